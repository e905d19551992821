/**
 * GIST514-DB: endoscopic ultrasound images of gastrointestinal stromal tumours (GIST) and
 * leiomyomas, annotated as COCO polygons in two files: `train_anno_crop_split_0.json` and
 * `val_anno_crop_split_0.json`. The val file is the official test split.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addPolygon, hasForeground } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isFile, requireDirectory } from './support/files.js';
import { readRawImage, reportProblem } from './support/problems.js';

/** COCO category id → corpus category, as the reference maps them (1 leiomyoma 'lmym', 2 'gist'). */
const CATEGORY_OF_ID: Record<number, string> = { 1: 'lmym', 2: 'gist' };
const SPLITS = [
  { file: 'train_anno_crop_split_0.json', officialSplit: undefined },
  { file: 'val_anno_crop_split_0.json', officialSplit: 'test' as const },
];

interface CocoPolygonFile {
  images: { id: number; file_name: string }[];
  annotations: { image_id: number; category_id: number; segmentation: unknown }[];
}

function parseCocoFile(text: string, file: string): CocoPolygonFile {
  const data = JSON.parse(text) as Partial<CocoPolygonFile>;
  if (!Array.isArray(data.images) || !Array.isArray(data.annotations)) {
    throw new Error(`${file}: not a COCO file (needs 'images' and 'annotations' arrays)`);
  }
  return data as CocoPolygonFile;
}

/** COCO polygons ([[x1, y1, x2, y2, ...], ...]) as point lists, or an error message. */
function polygonsOf(segmentation: unknown): [number, number][][] | string {
  if (!Array.isArray(segmentation)) return 'segmentation is not a list of polygons (RLE is not expected here)';
  const polygons: [number, number][][] = [];
  for (const flat of segmentation) {
    if (!Array.isArray(flat) || flat.length < 6 || flat.length % 2 !== 0 || !flat.every((v) => typeof v === 'number')) {
      return 'a polygon is not a flat list of at least three x, y pairs';
    }
    const points: [number, number][] = [];
    for (let k = 0; k < flat.length; k += 2) points.push([flat[k], flat[k + 1]]);
    polygons.push(points);
  }
  return polygons;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const root = await requireDirectory(rawDir, ['usd514_jpeg_roi', ''], 'usd514_jpeg_roi');
  const prefix = root === '' ? '' : `${root}/`;
  for (const { file, officialSplit } of SPLITS) {
    const annotationFile = `${prefix}annotations/${file}`;
    if (!(await isFile(join(rawDir, annotationFile)))) {
      throw new Error(`${rawDir}: GIST514-DB annotation file ${annotationFile} not found`);
    }
    const coco = parseCocoFile(await readFile(join(rawDir, annotationFile), 'utf8'), annotationFile);
    const byImage = new Map<number, CocoPolygonFile['annotations']>();
    for (const annotation of coco.annotations) {
      byImage.set(annotation.image_id, [...(byImage.get(annotation.image_id) ?? []), annotation]);
    }
    for (const entry of coco.images) {
      const imageFile = `${prefix}images/${entry.file_name}`;
      if (!(await isFile(join(rawDir, imageFile)))) {
        reportProblem(options, annotationFile, `image ${entry.file_name} (id ${entry.id}) not found in ${prefix}images/`);
        continue;
      }
      const image = await readRawImage(rawDir, imageFile, options);
      if (!image) continue;
      const masks = new Map<string, Uint8Array>();
      let problem: string | undefined;
      for (const annotation of byImage.get(entry.id) ?? []) {
        const category = CATEGORY_OF_ID[annotation.category_id];
        const polygons = polygonsOf(annotation.segmentation);
        if (!category) problem = `unknown category_id ${annotation.category_id}`;
        else if (typeof polygons === 'string') problem = polygons;
        if (problem) break;
        const mask = masks.get(category!) ?? new Uint8Array(image.width * image.height);
        masks.set(category!, mask);
        // COCO polygons: pixel (i, j) covers [i, i+1) × [j, j+1), as pycocotools rasterises them.
        for (const polygon of polygons as [number, number][][]) addPolygon(mask, polygon, image.width, image.height, { grid: 'corner' });
      }
      if (problem) {
        reportProblem(options, annotationFile, `image ${entry.file_name}: ${problem}`);
        continue;
      }
      yield {
        image,
        index: entry.file_name.replace(/\.[^.]+$/, ''),
        sourceFile: imageFile,
        masks: [...masks].filter(([, mask]) => hasForeground(mask)).map(([category, mask]) => ({ category, mask })),
        ...(officialSplit ? { officialSplit } : {}),
      };
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'GIST514-DB',
    aliases: ['GIST514', 'usd514_jpeg_roi'],
    anatomy: 'stomach wall (submucosal tumours)',
    structures: Object.values(CATEGORY_OF_ID),
    modality: 'endoscopic ultrasound',
    url: 'https://github.com/howardchina/query2',
    licence: 'not stated',
    citation:
      'He Q, Bano S, Stoyanov D, Zuo S. Query2: Query over queries for improving gastrointestinal stromal tumour detection ' +
      'in an endoscopic ultrasound. Computers in Biology and Medicine 152:106424, 2023.',
    layout:
      'usd514_jpeg_roi/images/<name>.jpg with COCO polygon annotations usd514_jpeg_roi/annotations/' +
      'train_anno_crop_split_0.json and val_anno_crop_split_0.json (category 1 = lmym (leiomyoma), 2 = gist). The ' +
      'val file is the official test split. The usd514_jpeg_roi/ level may be omitted.',
    imageLabels: [],
  },
  convert,
};
