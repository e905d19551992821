/**
 * AUL (Annotated Ultrasound Liver): liver B-mode images of normal livers and livers with benign
 * or malignant masses, annotated as JSON polygons. Each pathology folder holds
 * `image/<n>.jpg` and `segmentation/{liver,mass,outline}/<n>.json` (a JSON array of [x, y]
 * points). 'outline' traces the ultrasound fan, not anatomy, and is skipped, as the issue asks.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addPolygon, hasForeground } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, isFile, listFiles, stemOf } from './support/files.js';
import { readRawImage, reportProblem } from './support/problems.js';

const PATHOLOGIES = ['Benign', 'Malignant', 'Normal'] as const;
/** Annotation folder → corpus category (the reference's names); 'outline' is left out on purpose. */
const CATEGORY_OF_FOLDER: Record<string, string> = { liver: 'liver', mass: 'mass' };
/**
 * Images whose liver polygon was filed under 'outline' (they have no liver file and no fan
 * outline), as the UltraBench authors found; their outline file is read as the liver.
 */
const LIVER_FILED_AS_OUTLINE = new Set(['229', '306']);

type Point = [number, number];

/** The polygons of an AUL annotation: one array of [x, y] points, or several such arrays. */
export function parseAulPolygons(text: string): Point[][] {
  const data: unknown = JSON.parse(text);
  const isPoint = (p: unknown): p is Point => Array.isArray(p) && p.length >= 2 && typeof p[0] === 'number' && typeof p[1] === 'number';
  if (!Array.isArray(data) || data.length === 0) throw new Error('expected a non-empty JSON array of [x, y] points');
  if (data.every(isPoint)) return [data.map((p) => [p[0], p[1]] as Point)];
  if (data.every((polygon) => Array.isArray(polygon) && polygon.length > 0 && polygon.every(isPoint))) {
    return (data as Point[][]).map((polygon) => polygon.map((p) => [p[0], p[1]] as Point));
  }
  throw new Error('expected a JSON array of [x, y] points (or of such arrays)');
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  let found = 0;
  for (const pathology of PATHOLOGIES) {
    if (!(await isDirectory(join(rawDir, pathology, 'image')))) continue;
    found++;
    for (const imageFile of await listFiles(join(rawDir, pathology, 'image'), { extensions: ['.jpg', '.jpeg', '.png'] })) {
      const sourceFile = `${pathology}/image/${imageFile}`;
      const stem = stemOf(imageFile);
      const image = await readRawImage(rawDir, sourceFile, options);
      if (!image) continue;
      const masks: ConvertedSample['masks'] = [];
      let malformed = false;
      for (const [folder, category] of Object.entries(CATEGORY_OF_FOLDER)) {
        let jsonFile = `${pathology}/segmentation/${folder}/${stem}.json`;
        if (folder === 'liver' && LIVER_FILED_AS_OUTLINE.has(stem) && !(await isFile(join(rawDir, jsonFile)))) {
          jsonFile = `${pathology}/segmentation/outline/${stem}.json`;
        }
        if (!(await isFile(join(rawDir, jsonFile)))) continue; // normal livers have no mass; one image lacks its liver
        let polygons: Point[][];
        try {
          polygons = parseAulPolygons(await readFile(join(rawDir, jsonFile), 'utf8'));
        } catch (error) {
          reportProblem(options, jsonFile, `unreadable polygon annotation: ${(error as Error).message}`);
          malformed = true;
          break;
        }
        const mask = new Uint8Array(image.width * image.height);
        // The reference drew these with PIL (fill and outline), pixel centres on integer coordinates.
        for (const polygon of polygons) addPolygon(mask, polygon, image.width, image.height, { grid: 'centre', outline: true });
        if (hasForeground(mask)) masks.push({ category, mask });
      }
      if (malformed) continue;
      yield {
        image,
        index: `${pathology.toLowerCase()}_${stem}`,
        sourceFile,
        masks,
        labels: { class: pathology.toLowerCase() },
      };
    }
  }
  if (found === 0) {
    throw new Error(`${rawDir}: no AUL pathology folder found (expected ${PATHOLOGIES.map((p) => `${p}/image/`).join(', ')})`);
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'AUL',
    anatomy: 'liver',
    structures: ['liver', 'mass'],
    modality: 'B-mode ultrasound',
    url: 'https://zenodo.org/records/7272660',
    licence:
      'not stated as a named licence; the authors state the de-identified data is open to public access but subject to ' + 'copyright, and any use must give appropriate acknowledgement and credit',
    citation:
      'Xu Y, et al. Improving artificial intelligence pipeline for liver malignancy diagnosis using ultrasound images and ' +
      'video frames. Briefings in Bioinformatics 24(1):bbac569, 2023. doi:10.1093/bib/bbac569',
    layout:
      '{Benign,Malignant,Normal}/image/<n>.jpg with {Benign,Malignant,Normal}/segmentation/{liver,mass}/<n>.json ' +
      '(JSON array of [x, y] points) — the unpacked Benign.zip, Malignant.zip and Normal.zip of the Zenodo archive. ' +
      'segmentation/outline/ (the scan fan) is ignored, except for images 229 and 306 whose liver was filed there.',
    imageLabels: ['class'],
  },
  convert,
};
