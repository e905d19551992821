// "Segment everything": SAM's automatic mask generator (SamAutomaticMaskGenerator) with its
// semantics and defaults. A grid of single positive points is decoded in batches (three candidate
// masks each); candidates are kept when their predicted IoU exceeds a threshold and their
// stability score (IoU of the logits thresholded at ±offset) reaches another; masks cut by a crop
// edge are dropped; duplicates are removed by box NMS within each crop and then across crops
// (smaller crops preferred); optionally small holes and islands are removed, followed by one more NMS.
//
// The model is reached through a small backend interface, so the Node predictor
// (SamPredictor.generate) and the browser worker run this same code.
import { type BoxXyxy, buildAllLayerPointGrids, generateCropBoxes, isBoxNearCropEdge, maskBox, nonMaxSuppression, removeSmallRegions, stabilityScore, uncropBox, uncropMask } from './amg.js';
import { type PostprocessGeometry, upscaleLogits } from './postprocess.js';
import type { Size } from './prompts.js';
import { maskToRuns, runsToMask } from '../data/rle.js';
import type { RawImage } from '../image/types.js';

export interface EverythingOptions {
  /** Points along each side of the grid (SAM: 32). */
  pointsPerSide?: number;
  /** Points decoded per decoder call (SAM: 64); changes speed and memory only. */
  pointsPerBatch?: number;
  /** Keep masks whose predicted IoU is above this (SAM: 0.88); 0 disables the filter. */
  predIouThresh?: number;
  /** Keep masks whose stability score is at least this (SAM: 0.95); 0 disables the filter. */
  stabilityScoreThresh?: number;
  /** Logit offset of the stability score (SAM: 1). */
  stabilityScoreOffset?: number;
  /** Box IoU above which NMS drops a duplicate within a crop (SAM: 0.7). */
  boxNmsThresh?: number;
  /** Crop layers; layer i adds (2^i)² overlapping crops, each embedded on its own (SAM: 0). */
  cropNLayers?: number;
  /** Box IoU above which NMS drops a duplicate between crops (SAM: 0.7). */
  cropNmsThresh?: number;
  /** Overlap of first-layer crops as a fraction of the image's short side (SAM: 512 / 1500). */
  cropOverlapRatio?: number;
  /** Points per side at layer i are divided by this^i (SAM: 1). */
  cropNPointsDownscaleFactor?: number;
  /** Remove holes and islands smaller than this many pixels, then NMS again (SAM: 0 = off). */
  minMaskRegionArea?: number;
  /** Called after each decoder batch with the points done and the total over all crops. */
  onProgress?: (done: number, total: number) => void;
}

/** SAM's defaults (SamAutomaticMaskGenerator's constructor). */
export const EVERYTHING_DEFAULTS: Required<Omit<EverythingOptions, 'onProgress'>> = {
  pointsPerSide: 32,
  pointsPerBatch: 64,
  predIouThresh: 0.88,
  stabilityScoreThresh: 0.95,
  stabilityScoreOffset: 1,
  boxNmsThresh: 0.7,
  cropNLayers: 0,
  cropNmsThresh: 0.7,
  cropOverlapRatio: 512 / 1500,
  cropNPointsDownscaleFactor: 1,
  minMaskRegionArea: 0,
};

/** One generated mask, SAM's record: boxes in XYWH, `bbox` from the mask's inclusive pixel box. */
export interface GeneratedMask {
  /** Row-major height × width of the image, 1 = object. */
  mask: Uint8Array;
  area: number;
  /** [x, y, w, h] with w = right − left pixel index (SAM's convention; COCO's toBbox adds 1). */
  bbox: [number, number, number, number];
  predictedIou: number;
  stabilityScore: number;
  /** The grid point (image pixels) whose prompt produced the mask. */
  pointCoords: [number, number];
  /** Which of that point's multimask outputs it is (0-based; the decoder's output candidate + 1). */
  candidate: number;
  /** The crop the mask came from, [x, y, w, h]. */
  cropBox: [number, number, number, number];
}

/** Multimask outputs of the decoder for single positive points. */
export interface PointDecodeResult {
  /** [points, K, L, L] low-resolution logits, row-major. */
  lowResLogits: Float32Array;
  /** [points, K] predicted IoU. */
  scores: Float32Array;
  /** Candidate masks per point (SAM: 3). */
  masksPerPoint: number;
  /** Side L of the low-resolution logits. */
  lowResSide: number;
  /** How the logits map back to the embedded image. */
  geometry: PostprocessGeometry;
}

/** What the generator needs from a model. */
export interface EverythingBackend {
  /** Embeds an 8-bit RGB image (the whole image or one crop) for the decodes that follow. */
  embed(image: RawImage): Promise<void>;
  /** Decodes each point (x, y in pixels of the embedded image) as a lone positive point, multimask. */
  decodePoints(points: readonly (readonly [number, number])[]): Promise<PointDecodeResult>;
  /** The logit above which a pixel is in a mask (the model's, MASK_THRESHOLD_METADATA_KEY); absent: SAM's 0. */
  maskThreshold?: number;
}

/** A mask candidate between the filters, stored as column-major runs of the whole image. */
interface Candidate {
  runs: number[];
  /** Image coordinates, inclusive (after uncropping). */
  box: BoxXyxy;
  iou: number;
  stability: number;
  point: [number, number];
  candidate: number;
  crop: BoxXyxy;
}

/**
 * safetensors metadata key with a model's own generator thresholds (JSON, a subset of
 * EverythingOptions): SAM's defaults were set for ViT-H, whose predicted IoU and stability run far
 * higher than a small model's, so a model may record the values it was calibrated with.
 */
export const EVERYTHING_METADATA_KEY = 'ultrasam.everything';

const RECORDABLE: readonly (keyof typeof EVERYTHING_DEFAULTS)[] = ['predIouThresh', 'stabilityScoreThresh', 'stabilityScoreOffset', 'boxNmsThresh', 'pointsPerSide'];

/** Reads the thresholds recorded under EVERYTHING_METADATA_KEY; `source` names the file in errors. */
export function parseRecordedEverythingDefaults(recorded: unknown, source: string): EverythingOptions {
  if (recorded === undefined) return {};
  let value: unknown;
  try {
    value = typeof recorded === 'string' ? JSON.parse(recorded) : undefined;
  } catch (error) {
    throw new Error(`${source}: metadata '${EVERYTHING_METADATA_KEY}' is not JSON: ${(error as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${source}: metadata '${EVERYTHING_METADATA_KEY}' must be a JSON object`);
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!RECORDABLE.includes(key as keyof typeof EVERYTHING_DEFAULTS)) {
      throw new Error(`${source}: metadata '${EVERYTHING_METADATA_KEY}' has unknown field '${key}' (known: ${RECORDABLE.join(', ')})`);
    }
    if (typeof v !== 'number') throw new Error(`${source}: metadata '${EVERYTHING_METADATA_KEY}'.${key} must be a number, got ${JSON.stringify(v)}`);
    out[key] = v;
  }
  checkEverythingOptions(out);
  return out;
}

export function checkEverythingOptions(options: EverythingOptions): Required<Omit<EverythingOptions, 'onProgress'>> {
  const o = { ...EVERYTHING_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k !== 'onProgress')) };
  const positiveInt = (name: keyof typeof o) => {
    if (!Number.isInteger(o[name]) || o[name] < 1) throw new Error(`segment everything: ${name} must be a positive integer, got ${o[name]}`);
  };
  const unit = (name: keyof typeof o) => {
    if (!(o[name] >= 0 && o[name] <= 1)) throw new Error(`segment everything: ${name} must be in [0, 1], got ${o[name]}`);
  };
  positiveInt('pointsPerSide');
  positiveInt('pointsPerBatch');
  positiveInt('cropNPointsDownscaleFactor');
  for (const name of ['predIouThresh', 'stabilityScoreThresh', 'boxNmsThresh', 'cropNmsThresh'] as const) unit(name);
  if (!(o.cropOverlapRatio >= 0 && o.cropOverlapRatio < 1)) throw new Error(`segment everything: cropOverlapRatio must be in [0, 1), got ${o.cropOverlapRatio}`);
  if (!(o.stabilityScoreOffset > 0 && Number.isFinite(o.stabilityScoreOffset))) throw new Error(`segment everything: stabilityScoreOffset must be a positive number, got ${o.stabilityScoreOffset}`);
  if (!Number.isInteger(o.cropNLayers) || o.cropNLayers < 0) throw new Error(`segment everything: cropNLayers must be an integer ≥ 0, got ${o.cropNLayers}`);
  if (!(o.minMaskRegionArea >= 0 && Number.isFinite(o.minMaskRegionArea))) throw new Error(`segment everything: minMaskRegionArea must be ≥ 0, got ${o.minMaskRegionArea}`);
  if (Math.floor(o.pointsPerSide / o.cropNPointsDownscaleFactor ** o.cropNLayers) < 1) {
    throw new Error(`segment everything: ${o.pointsPerSide} points per side divided by ${o.cropNPointsDownscaleFactor}^${o.cropNLayers} leaves no point in the last crop layer`);
  }
  return o;
}

/** Copies the pixels of `crop` (exclusive right/bottom) out of an 8-bit RGB image. */
export function cropImage(image: RawImage, [x0, y0, x1, y1]: BoxXyxy): RawImage {
  if (x0 === 0 && y0 === 0 && x1 === image.width && y1 === image.height) return image;
  const c = image.channels;
  const w = x1 - x0;
  const data = new Uint8Array(w * (y1 - y0) * c);
  for (let y = y0; y < y1; y++) data.set(image.data.subarray((y * image.width + x0) * c, (y * image.width + x1) * c), (y - y0) * w * c);
  return { data, width: w, height: y1 - y0, channels: c };
}

const xywh = (b: BoxXyxy): [number, number, number, number] => [b[0], b[1], b[2] - b[0], b[3] - b[1]];

function runsArea(runs: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < runs.length; i += 2) area += runs[i];
  return area;
}

/**
 * Masks for the whole of an 8-bit RGB image. The backend's current embedding is replaced (by each
 * crop's); callers that keep one restore it afterwards.
 */
export async function generateEverything(backend: EverythingBackend, image: RawImage, options: EverythingOptions = {}): Promise<GeneratedMask[]> {
  if (image.channels !== 3 || !(image.data instanceof Uint8Array)) throw new Error('segment everything: the image must be 8-bit RGB (see toRgb8)');
  const o = checkEverythingOptions(options);
  const { width, height } = image;
  const size: Size = [height, width];
  const grids = buildAllLayerPointGrids(o.pointsPerSide, o.cropNLayers, o.cropNPointsDownscaleFactor);
  const crops = generateCropBoxes(size, o.cropNLayers, o.cropOverlapRatio);
  const total = crops.reduce((sum, c) => sum + grids[c.layer].length, 0);
  let done = 0;
  const report = (n: number) => {
    done += n;
    options.onProgress?.(done, total);
  };
  let all: Candidate[] = [];
  for (const crop of crops) all = all.concat(await processCrop(backend, image, crop.box, grids[crop.layer], o, report));
  if (crops.length > 1) {
    // Between crops, prefer the masks of smaller crops.
    const keep = nonMaxSuppression(
      all.map((c) => c.box),
      all.map((c) => 1 / ((c.crop[2] - c.crop[0]) * (c.crop[3] - c.crop[1]))),
      o.cropNmsThresh,
    );
    all = keep.map((i) => all[i]);
  }
  if (o.minMaskRegionArea > 0) all = postprocessSmallRegions(all, width, height, o.minMaskRegionArea, Math.max(o.boxNmsThresh, o.cropNmsThresh));
  return all.map((c) => ({
    mask: runsToMask(c.runs, height, width),
    area: runsArea(c.runs),
    bbox: xywh(c.box),
    predictedIou: c.iou,
    stabilityScore: c.stability,
    pointCoords: c.point,
    candidate: c.candidate,
    cropBox: xywh(c.crop),
  }));
}

async function processCrop(
  backend: EverythingBackend,
  image: RawImage,
  crop: BoxXyxy,
  grid: readonly [number, number][],
  o: Required<Omit<EverythingOptions, 'onProgress'>>,
  report: (points: number) => void,
): Promise<Candidate[]> {
  const cropped = cropImage(image, crop);
  await backend.embed(cropped);
  const points = grid.map(([x, y]) => [x * cropped.width, y * cropped.height] as [number, number]);
  const found: Candidate[] = [];
  for (let start = 0; start < points.length; start += o.pointsPerBatch) {
    const batch = points.slice(start, start + o.pointsPerBatch);
    found.push(...(await processBatch(backend, batch, crop, image.width, image.height, o)));
    report(batch.length);
  }
  const keep = nonMaxSuppression(
    found.map((c) => c.box),
    found.map((c) => c.iou),
    o.boxNmsThresh,
  );
  return keep.map((i) => {
    const c = found[i];
    return { ...c, box: uncropBox(c.box, crop), point: [c.point[0] + crop[0], c.point[1] + crop[1]] };
  });
}

/** Decodes one batch of points and keeps the candidates that pass the filters (boxes still in crop coordinates). */
async function processBatch(
  backend: EverythingBackend,
  points: [number, number][],
  crop: BoxXyxy,
  imageW: number,
  imageH: number,
  o: Required<Omit<EverythingOptions, 'onProgress'>>,
): Promise<Candidate[]> {
  const out = await backend.decodePoints(points);
  const threshold = backend.maskThreshold ?? 0;
  const k = out.masksPerPoint;
  const side = out.lowResSide;
  const [cropH, cropW] = out.geometry.originalSize;
  const pixels = cropH * cropW;
  const kept: Candidate[] = [];
  for (let p = 0; p < points.length; p++) {
    // SAM filters on the predicted IoU before upscaling anything.
    const masks: number[] = [];
    for (let m = 0; m < k; m++) if (!(o.predIouThresh > 0) || out.scores[p * k + m] > o.predIouThresh) masks.push(m);
    if (masks.length === 0) continue;
    const logits = upscaleLogits(out.lowResLogits.subarray(p * k * side * side, (p + 1) * k * side * side), k, [side, side], out.geometry);
    for (const m of masks) {
      const stability = stabilityScore(logits, m * pixels, pixels, threshold, o.stabilityScoreOffset);
      if (o.stabilityScoreThresh > 0 && !(stability >= o.stabilityScoreThresh)) continue;
      const mask = new Uint8Array(pixels);
      for (let i = 0; i < pixels; i++) mask[i] = logits[m * pixels + i] > threshold ? 1 : 0;
      const box = maskBox(mask, cropW, cropH);
      if (isBoxNearCropEdge(box, crop, [0, 0, imageW, imageH])) continue;
      kept.push({
        runs: maskToRuns(uncropMask(mask, crop, imageW, imageH), imageH, imageW),
        box,
        iou: out.scores[p * k + m],
        stability,
        point: points[p],
        candidate: m,
        crop,
      });
    }
  }
  return kept;
}

/**
 * Fills small holes and removes small islands of every mask; masks that changed lose NMS ties to
 * masks that did not (score 0 against 1), and the survivors of the NMS are kept (in NMS order).
 */
function postprocessSmallRegions(candidates: Candidate[], width: number, height: number, minArea: number, nmsThreshold: number): Candidate[] {
  if (candidates.length === 0) return candidates;
  const updated = candidates.map((c) => {
    const mask = runsToMask(c.runs, height, width);
    const holes = removeSmallRegions(mask, width, height, minArea, 'holes');
    const islands = removeSmallRegions(holes.mask, width, height, minArea, 'islands');
    const changed = holes.changed || islands.changed;
    return { mask: islands.mask, changed, box: maskBox(islands.mask, width, height) };
  });
  const keep = nonMaxSuppression(
    updated.map((u) => u.box),
    updated.map((u) => (u.changed ? 0 : 1)),
    nmsThreshold,
  );
  return keep.map((i) => {
    const u = updated[i];
    return u.changed ? { ...candidates[i], runs: maskToRuns(u.mask, height, width), box: u.box } : candidates[i];
  });
}
