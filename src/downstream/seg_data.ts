// Segmentation data from a COCO file: per image a label map (0 background, k the k-th category in
// id order; where objects overlap the later annotation wins), brought to the model's input frame
// with nearest-neighbour resizing so labels stay labels.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readCoco } from '../data/coco.js';
import { decodeRle } from '../data/rle.js';
import type { SamConfig } from '../model/config.js';
import { type PreparedImage, prepareImage } from './prepare.js';

export interface SegSample {
  path: string;
  patient?: string;
  /** Index of the image in the COCO file. */
  imageId: number;
}

export interface SegData {
  samples: SegSample[];
  /** 'background' then the category names. */
  classes: string[];
  /** Label maps at original size, by image id (decoded on demand: see labelMapOf). */
  labelMapOf(imageId: number): { labels: Uint8Array; width: number; height: number };
  source: string;
}

export async function loadSegmentationData(cocoPath: string): Promise<SegData> {
  const path = resolve(cocoPath);
  const coco = await readCoco(path);
  const base = dirname(path);
  const categories = [...coco.categories].sort((a, b) => a.id - b.id);
  if (categories.length === 0) throw new Error(`${path}: no categories to segment`);
  if (categories.length > 254) throw new Error(`${path}: ${categories.length} categories; at most 254 fit a label map`);
  const classOf = new Map(categories.map((c, i) => [c.id, i + 1]));
  const byImage = new Map<number, typeof coco.annotations>();
  for (const a of coco.annotations) {
    if (!classOf.has(a.category_id)) throw new Error(`${path}: annotation ${a.id} has category ${a.category_id}, which is not in "categories"`);
    byImage.set(a.image_id, [...(byImage.get(a.image_id) ?? []), a]);
  }
  const images = new Map(coco.images.map((im) => [im.id, im]));
  const samples: SegSample[] = coco.images.map((im) => {
    const file = resolve(base, im.file_name);
    if (!existsSync(file)) throw new Error(`${path} image ${im.id}: image file not found: ${file}`);
    return { path: file, imageId: im.id, ...(im.patient ? { patient: im.patient } : {}) };
  });
  if (samples.length === 0) throw new Error(`${path}: no images`);
  for (const [i, c] of categories.entries()) {
    if (!coco.annotations.some((a) => a.category_id === c.id)) throw new Error(`${path}: category '${c.name}' (class ${i + 1}) has no annotations`);
  }
  return {
    samples,
    classes: ['background', ...categories.map((c) => c.name)],
    source: path,
    labelMapOf(imageId) {
      const im = images.get(imageId)!;
      const labels = new Uint8Array(im.width * im.height);
      for (const a of byImage.get(imageId) ?? []) {
        const [h, w] = a.segmentation.size;
        if (h !== im.height || w !== im.width) throw new Error(`${path}: annotation ${a.id} is ${w}×${h} but image ${im.id} is ${im.width}×${im.height}`);
        const mask = decodeRle(a.segmentation); // row-major
        const k = classOf.get(a.category_id)!;
        for (let i = 0; i < mask.length; i++) if (mask[i]) labels[i] = k;
      }
      return { labels, width: im.width, height: im.height };
    },
  };
}

/** Nearest-neighbour resize of a label map (pixel centres), e.g. to the model input frame. */
export function resizeLabels(labels: Uint8Array, width: number, height: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / outH));
    for (let x = 0; x < outW; x++) out[y * outW + x] = labels[sy * width + Math.min(width - 1, Math.floor(((x + 0.5) * width) / outW))];
  }
  return out;
}

export interface PreparedSeg {
  image: PreparedImage;
  /** Labels in the input frame, inputSize[0] × inputSize[1]. */
  labels: Uint8Array;
}

export async function prepareSeg(data: SegData, sample: SegSample, config: SamConfig): Promise<PreparedSeg> {
  const image = await prepareImage(sample.path, config);
  const map = data.labelMapOf(sample.imageId);
  if (map.width !== image.originalSize[1] || map.height !== image.originalSize[0]) {
    throw new Error(`${sample.path}: the image is ${image.originalSize[1]}×${image.originalSize[0]} but its COCO record says ${map.width}×${map.height}`);
  }
  const [h, w] = image.inputSize;
  return { image, labels: resizeLabels(map.labels, map.width, map.height, w, h) };
}
