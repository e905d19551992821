/**
 * UBPD (Ultrasound Brachial Plexus Dataset): JPEG images annotated with labelme polygons, one
 * JSON beside each image with the same name. Labels are pinyin names of six structures.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addPolygon, hasForeground } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isFile, listFiles } from './support/files.js';
import { readRawImage, reportProblem } from './support/problems.js';

/** labelme label (pinyin) → corpus category, as the reference maps them. */
const CATEGORY_OF_LABEL: Record<string, string> = {
  dongmai: 'artery', // 动脉
  jingmai: 'vein', // 静脉
  jirouzuzhi: 'muscle', // 肌肉组织
  shenjing: 'nerve', // 神经
  zhifang: 'fat', // 脂肪
  jizhu: 'spine', // 脊柱
};
const CATEGORIES = ['artery', 'vein', 'muscle', 'nerve', 'fat', 'spine'];

interface LabelmeShape {
  label?: unknown;
  points?: unknown;
  shape_type?: unknown;
}

/** The polygon of a labelme shape (polygons, and rectangles as their four corners), or an error message. */
function shapePolygon(shape: LabelmeShape): [number, number][] | string {
  const points = shape.points;
  if (!Array.isArray(points) || !points.every((p) => Array.isArray(p) && p.length >= 2 && p.every((v) => typeof v === 'number'))) {
    return 'points are not a list of [x, y] numbers';
  }
  const type = shape.shape_type ?? 'polygon';
  if (type === 'polygon') return points.map((p) => [p[0], p[1]] as [number, number]);
  if (type === 'rectangle' && points.length === 2) {
    const [[x0, y0], [x1, y1]] = points as number[][];
    return [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ];
  }
  return `shape type '${String(type)}' is not a polygon or rectangle`;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const images = await listFiles(rawDir, { extensions: ['.jpg', '.jpeg', '.png'] });
  if (images.length === 0) throw new Error(`${rawDir}: no UBPD images found`);
  for (const imageFile of images) {
    const base = imageFile.replace(/\.[^./]+$/, '');
    const jsonFile = `${base}.json`;
    if (!(await isFile(join(rawDir, jsonFile)))) {
      reportProblem(options, imageFile, `missing annotation: ${jsonFile} not found`);
      continue;
    }
    let shapes: LabelmeShape[];
    try {
      // Some files are not valid UTF-8 (the reference opened them with errors='ignore'): decode leniently.
      const text = new TextDecoder('utf-8', { fatal: false }).decode(await readFile(join(rawDir, jsonFile)));
      const parsed = JSON.parse(text) as { shapes?: unknown };
      if (!Array.isArray(parsed.shapes)) throw new Error("no 'shapes' list");
      shapes = parsed.shapes as LabelmeShape[];
    } catch (error) {
      reportProblem(options, jsonFile, `unreadable labelme annotation: ${(error as Error).message}`);
      continue;
    }
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const masks = new Map<string, Uint8Array>();
    let problem: string | undefined;
    for (const [k, shape] of shapes.entries()) {
      const category = CATEGORY_OF_LABEL[String(shape.label)];
      const polygon = shapePolygon(shape);
      if (!category) problem = `shape ${k}: unknown label '${String(shape.label)}' (known: ${Object.keys(CATEGORY_OF_LABEL).join(', ')})`;
      else if (typeof polygon === 'string') problem = `shape ${k} (${String(shape.label)}): ${polygon}`;
      if (problem) break;
      const mask = masks.get(category) ?? new Uint8Array(image.width * image.height);
      masks.set(category, mask);
      // labelme coordinates put pixel centres on integers; the reference filled and outlined with PIL.
      addPolygon(mask, polygon as [number, number][], image.width, image.height, { grid: 'centre', outline: true });
    }
    if (problem) {
      reportProblem(options, jsonFile, problem);
      continue;
    }
    yield {
      image,
      index: base.replace(/\//g, '_'),
      sourceFile: imageFile,
      masks: CATEGORIES.filter((c) => masks.has(c) && hasForeground(masks.get(c)!)).map((category) => ({ category, mask: masks.get(category)! })),
    };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'UBPD',
    anatomy: 'neck and shoulder (brachial plexus region)',
    structures: CATEGORIES,
    modality: 'B-mode ultrasound',
    url: 'https://ubpd.worldwidetracing.com:9443/',
    licence: 'not stated',
    citation: 'UBPD: Ultrasound Brachial Plexus Dataset, https://ubpd.worldwidetracing.com:9443/',
    layout:
      '<any folders>/<name>.jpg with the labelme file <same folder>/<name>.json (polygon shapes labelled dongmai artery, ' +
      'jingmai vein, jirouzuzhi muscle, shenjing nerve, zhifang fat, jizhu spine).',
    imageLabels: [],
  },
  convert,
};
