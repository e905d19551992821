// One training sample: an image resized and padded exactly as the predictor does (preprocessImage:
// long side to the model input, PIL-exact bilinear, normalised, zero-padded bottom and right; grey
// to three channels), flipped left-right with probability ½, and up to K of its instances, each
// with its low-resolution target and a simulated prompt. All random choices come from one
// generator seeded by the caller (see order.ts), so a sample is a pure function of its seed.
//
// Masks are resized to the input frame with nearest neighbour (as mmdet rescales bitmap masks);
// the target on the low-resolution logit grid (4× the embedding grid: one cell per f × f input
// pixels, f = patch / 4) is the cell's mean coverage thresholded at ½ — area averaging, which unlike
// the reference's bilinear sampling of two pixels per cell sees every pixel.
import { Rng } from '../graph/random.js';
import { readImage } from '../image/read.js';
import { getPreprocessShape } from '../image/resize.js';
import type { SamConfig } from '../model/config.js';
import { preprocessImage } from '../model/preprocess.js';
import { resizeMaskNearest } from '../data/masks.js';
import { type TrainImage, decodeSegmentation } from './dataset.js';
import { jitterBox, randomPointInMask, tightBox } from './prompt_sampling.js';

export interface SampleOptions {
  config: SamConfig;
  /** Instance slots per image (K): more instances are subsampled. */
  instancesPerImage: number;
  /** Random horizontal flip with probability ½. */
  flip: boolean;
  /** Decode and preprocess the pixels (false when training on cached embeddings). */
  pixels: boolean;
  /** Probability of a box prompt (else a single point); the reference's 0.5. */
  boxProbability: number;
  /** Box corner jitter as a fraction of the box size; the reference's 0.05. */
  boxJitter: number;
  /** Multi-click: each instance gets U{0..max} extra clicks (0: no multi-click). */
  maxExtraClicks: number;
}

export interface PreparedInstance {
  /** L × L target on the low-resolution grid, 0/1. */
  target: Uint8Array;
  kind: 'point' | 'box';
  /** Two prompt tokens [x, y, x, y] in input-frame coordinates as the decoder takes them. */
  coords: Float32Array;
  /** Their labels: [1, −1] (point, padding) or [2, 3] (box corners). */
  labels: Float32Array;
  extraClicks: number;
}

export interface PreparedSample {
  flipped: boolean;
  /** Size [h, w] of the resized image inside the padded input. */
  inputSize: [number, number];
  /** [3, S, S] normalised and padded, when options.pixels. */
  image?: Float32Array;
  instances: PreparedInstance[];
}

/** Low-resolution grid side and the input pixels per grid cell. */
export function lowResGeometry(config: SamConfig): { side: number; factor: number } {
  const { imgSize, patchSize } = config.imageEncoder;
  const side = (4 * imgSize) / patchSize;
  const factor = imgSize / side;
  if (!Number.isInteger(factor)) throw new Error(`training: patch size ${patchSize} must be a multiple of 4 (low-res cells of whole pixels)`);
  return { side, factor };
}

export async function prepareSample(item: TrainImage, seed: number, o: SampleOptions): Promise<PreparedSample> {
  const rng = new Rng(seed);
  const s = o.config.imageEncoder.imgSize;
  // Drawn whether or not flips are on, so both settings make the same other choices.
  const flipped = rng.next() < 0.5 && o.flip;
  const [h, w] = getPreprocessShape(item.height, item.width, s);

  let image: Float32Array | undefined;
  if (o.pixels) {
    const raw = await readImage(item.path);
    if (raw.width !== item.width || raw.height !== item.height) {
      throw new Error(`training data: ${item.path} is ${raw.width}×${raw.height}, its COCO record says ${item.width}×${item.height}`);
    }
    image = preprocessImage(raw, o.config).tensor;
    if (flipped) flipInput(image, s, h, w);
  }

  // Up to K instances, a random subset when there are more.
  const order = item.instances.map((_, i) => i);
  if (order.length > o.instancesPerImage) rng.shuffle(order);
  const chosen = order.slice(0, o.instancesPerImage).sort((a, b) => a - b);

  const instances: PreparedInstance[] = [];
  for (const index of chosen) {
    const full = decodeSegmentation(item.instances[index], item.width, item.height);
    const mask = resizeMaskNearest(full, item.width, item.height, w, h);
    if (flipped) for (let y = 0; y < h; y++) mask.subarray(y * w, (y + 1) * w).reverse();
    const kind = rng.next() < o.boxProbability ? 'box' : 'point';
    const extraClicks = o.maxExtraClicks > 0 ? rng.int(o.maxExtraClicks + 1) : 0;
    const box = tightBox(mask, w, h);
    if (!box) continue; // the instance vanished at this scale
    let coords: Float32Array;
    let labels: Float32Array;
    if (kind === 'box') {
      // Corners are pixel edges; +0.5 as the predictor adds to user coordinates (and the reference here).
      const [x0, y0, x1, y1] = jitterBox(box, o.boxJitter, rng);
      coords = Float32Array.from([x0 + 0.5, y0 + 0.5, x1 + 0.5, y1 + 0.5]);
      labels = Float32Array.from([2, 3]);
    } else {
      const [x, y] = randomPointInMask(mask, w, h, rng);
      coords = Float32Array.from([x, y, 0, 0]);
      labels = Float32Array.from([1, -1]);
    }
    instances.push({ target: lowResTarget(mask, w, h, o.config), kind, coords, labels, extraClicks });
  }
  return { flipped, inputSize: [h, w], image, instances };
}

/** Mirrors the resized image (h × w at the top left of each S × S channel) in place; the padding stays. */
export function flipInput(tensor: Float32Array, s: number, h: number, w: number): void {
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) tensor.subarray(c * s * s + y * s, c * s * s + y * s + w).reverse();
}

/** The mask (w × h at the top left of the padded input) on the L × L grid: cell coverage ≥ ½. */
export function lowResTarget(mask: Uint8Array, w: number, h: number, config: SamConfig): Uint8Array {
  const { side, factor } = lowResGeometry(config);
  const counts = new Uint16Array(side * side);
  for (let y = 0; y < h; y++) {
    const row = Math.floor(y / factor) * side;
    for (let x = 0; x < w; x++) if (mask[y * w + x]) counts[row + Math.floor(x / factor)]++;
  }
  const target = new Uint8Array(side * side);
  const half = (factor * factor) / 2;
  for (let i = 0; i < target.length; i++) target[i] = counts[i] >= half ? 1 : 0;
  return target;
}
