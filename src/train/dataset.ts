// The training set: one or several COCO files with their image folders (our corpus's splits, or any
// COCO with RLE or polygon masks) read into one list of images, each with its instance masks.
// Crowd annotations are left out and images without any instance are dropped (the reference's
// filter_empty_gt). Evaluation-only datasets (registry) are refused unless allowed.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { rasterisePolygon } from '../data/masks.js';
import { ALLOW_EVALUATION_ONLY_FLAG, evaluationOnlyAmong, evaluationOnlyRefusal } from '../data/registry.js';
import { type Rle, decodeRle, runsToMask } from '../data/rle.js';

export interface DataSource {
  /** A COCO file. */
  coco: string;
  /** Folder that the images' file_name is relative to (default: the COCO file's folder). */
  images?: string;
}

/** A COCO segmentation: compressed RLE, uncompressed RLE, or polygons. */
export type Segmentation = Rle | { size: [number, number]; counts: number[] } | number[][];

export interface TrainImage {
  path: string;
  width: number;
  height: number;
  /** Dataset (COCO `dataset` field or the COCO file's name), for reports. */
  dataset: string;
  instances: Segmentation[];
}

export interface TrainingSet {
  images: TrainImage[];
  /** sha256 over the image paths, sizes and instance counts in order: names the exact training list. */
  hash: string;
  instances: number;
}

export interface LoadOptions {
  /** Train on evaluation-only datasets too (the run config's allowEvaluationOnly); refused otherwise. */
  allowEvaluationOnly?: boolean;
}

interface RawCoco {
  info?: { description?: unknown };
  images?: { id: number; file_name: string; width: number; height: number; dataset?: string }[];
  annotations?: { image_id: number; segmentation: Segmentation; iscrowd?: number }[];
}

/** Reads the sources in order; throws naming the file and field that is wrong. */
export function loadTrainingSet(sources: readonly DataSource[], options: LoadOptions = {}): TrainingSet {
  if (sources.length === 0) throw new Error('training data: no COCO file given');
  const images: TrainImage[] = [];
  for (const source of sources) images.push(...readSource(source, options));
  if (images.length === 0) throw new Error(`training data: no image with an instance mask in ${sources.map((s) => s.coco).join(', ')}`);
  const hash = createHash('sha256');
  let instances = 0;
  for (const im of images) {
    hash.update(`${im.path}\t${im.width}x${im.height}\t${im.instances.length}\n`);
    instances += im.instances.length;
  }
  return { images, hash: hash.digest('hex'), instances };
}

/**
 * The names a COCO file gives its dataset, as our corpus writes them: the file's own name
 * (`BUSI.train.coco.json`), `info.description`, the images' `dataset` (merged files) and the
 * image file names' prefix (`images/BUSI__benign__1.png`). Unregistered names are harmless.
 */
function datasetNames(coco: RawCoco, file: string): Set<string> {
  const names = new Set<string>([file.replace(/^.*[\\/]/, '').split('.')[0]]);
  if (typeof coco.info?.description === 'string') names.add(coco.info.description);
  for (const image of coco.images ?? []) {
    if (typeof image.dataset === 'string') names.add(image.dataset);
    const base = typeof image.file_name === 'string' ? image.file_name.replace(/^.*[\\/]/, '') : '';
    if (base.includes('__')) names.add(base.slice(0, base.indexOf('__')));
  }
  return names;
}

function readSource(source: DataSource, options: LoadOptions): TrainImage[] {
  let coco: RawCoco;
  try {
    coco = JSON.parse(readFileSync(source.coco, 'utf8')) as RawCoco;
  } catch (error) {
    throw new Error(`training data: cannot read COCO file ${source.coco}: ${(error as Error).message}`);
  }
  if (!Array.isArray(coco.images) || !Array.isArray(coco.annotations)) {
    throw new Error(`training data: ${source.coco} is not a COCO file ("images" and "annotations" must be arrays)`);
  }
  const evaluationOnly = evaluationOnlyAmong(datasetNames(coco, source.coco));
  if (evaluationOnly.length > 0 && !options.allowEvaluationOnly) {
    throw evaluationOnlyRefusal(evaluationOnly, `train on ${source.coco}, which holds`, `pass ${ALLOW_EVALUATION_ONLY_FLAG} (run config: "allowEvaluationOnly": true) to train on it anyway`);
  }
  const root = resolve(source.images ?? dirname(source.coco));
  const name = source.coco.replace(/^.*[\\/]/, '').replace(/\.json$/, '');
  const byId = new Map<number, TrainImage>();
  for (const im of coco.images) {
    if (typeof im.file_name !== 'string' || !(im.width > 0) || !(im.height > 0)) {
      throw new Error(`training data: ${source.coco}: image ${im.id} needs file_name, width and height`);
    }
    byId.set(im.id, { path: join(root, im.file_name), width: im.width, height: im.height, dataset: im.dataset ?? name, instances: [] });
  }
  for (const a of coco.annotations) {
    if (a.iscrowd) continue;
    const image = byId.get(a.image_id);
    if (!image) throw new Error(`training data: ${source.coco}: an annotation refers to image ${a.image_id}, which is not listed`);
    checkSegmentation(a.segmentation, image, source.coco);
    image.instances.push(a.segmentation);
  }
  return [...byId.values()].filter((im) => im.instances.length > 0);
}

function checkSegmentation(s: Segmentation, image: TrainImage, file: string): void {
  if (Array.isArray(s)) {
    if (s.length === 0 || s.some((poly) => !Array.isArray(poly) || poly.length < 6 || poly.length % 2 !== 0)) {
      throw new Error(`training data: ${file}: a polygon segmentation of ${image.path} is not [[x, y, x, y, ...], ...] with ≥ 3 points`);
    }
    return;
  }
  if (!s || !Array.isArray(s.size) || (typeof s.counts !== 'string' && !Array.isArray(s.counts))) {
    throw new Error(`training data: ${file}: a segmentation of ${image.path} is neither RLE nor polygons`);
  }
  if (s.size[0] !== image.height || s.size[1] !== image.width) {
    throw new Error(`training data: ${file}: an RLE of ${image.path} is ${s.size[1]}×${s.size[0]}, the image is ${image.width}×${image.height}`);
  }
}

/** The instance's mask at the image's size, row-major 0/1. */
export function decodeSegmentation(s: Segmentation, width: number, height: number): Uint8Array {
  if (Array.isArray(s)) {
    const mask = new Uint8Array(width * height);
    for (const poly of s) {
      const points: [number, number][] = [];
      for (let i = 0; i < poly.length; i += 2) points.push([poly[i], poly[i + 1]]);
      const part = rasterisePolygon(points, width, height, { grid: 'corner' });
      for (let i = 0; i < mask.length; i++) mask[i] |= part[i];
    }
    return mask;
  }
  if (typeof s.counts === 'string') return decodeRle(s as Rle);
  return runsToMask(s.counts, s.size[0], s.size[1]);
}
