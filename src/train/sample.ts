// One training sample: an image resized and padded exactly as the predictor does (preprocessImage:
// long side to the model input, PIL-exact bilinear, normalised, zero-padded bottom and right; grey
// to three channels), flipped left-right with probability ½, and up to K of its instances, each
// with its low-resolution target and a simulated prompt. All random choices come from one
// generator seeded by the caller (see order.ts), so a sample is a pure function of its seed.
//
// Masks are resized to the input frame with nearest neighbour (as mmdet rescales bitmap masks);
// the target on the low-resolution logit grid (4× the embedding grid: one cell per f × f input
// pixels, f = patch / 4) is the cell's mean coverage thresholded at ½ — area averaging, which unlike
// the reference's bilinear sampling of two pixels per cell sees every pixel — or, with maskTarget
// 'coverage', the mean coverage itself for the loss: a boundary's place inside its cell survives the
// grid (what thresholding costs: scripts/logit_ceiling.ts --cells binary, figures in the model card).
// With maskTarget 'input' the loss sees the input frame instead: the mask itself, S × S, against the
// logits upsampled as postprocessing upsamples them, so training scores the boundary the user gets.
import { Rng } from '../graph/random.js';
import { readImage } from '../image/read.js';
import { getPreprocessShape } from '../image/resize.js';
import { type SamConfig, lowResSize } from '../model/config.js';
import { preprocessImage } from '../model/preprocess.js';
import { resizeMaskNearest } from '../data/masks.js';
import { type AugmentOptions, type Rect, chooseCrop, cropImage, cropMask, keepsEnough, photometric, rotate, syntheticInstance } from './augment.js';
import { type TrainImage, decodeSegmentation } from './dataset.js';
import type { LonePointOutput } from '../eval/click_rule.js';
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
  /** Interactive training: iterations after the first prompt that each add one corrective click. */
  clicks: number;
  /** Interactive training: iterations that add no click (the previous mask is the only new prompt). */
  maskOnlyIterations: number;
  /** The weights' lone-point rule (RunConfig.lonePoint): 'single' supervises half the lone points through output 0. */
  lonePoint: LonePointOutput;
  /** What the loss is given (RunConfig.maskTarget). */
  maskTarget: MaskTarget;
  /** Where corrective clicks are found (RunConfig.clickGrid; absent: 'cells'): 'input' needs the input-frame mask. */
  clickGrid?: ClickGrid;
  augment: AugmentOptions;
}

/**
 * The loss's target: on the low-resolution grid, cell coverage ≥ ½ (0/1) or the coverage itself; or
 * 'input', the mask on the padded input frame (the loss upsamples the logits to it).
 */
export type MaskTarget = 'binary' | 'coverage' | 'input';

/**
 * Where the click simulation looks for a prediction's error regions: 'cells', the low-resolution
 * grid (the binary cells against the logits' signs); 'input', the model's input frame (the mask
 * against the logits upsampled as postprocessing upsamples them).
 */
export type ClickGrid = 'cells' | 'input';

export interface PreparedInstance {
  /** L × L target on the low-resolution grid, 0/1 (cell coverage ≥ ½): the IoU targets and the clicks. */
  target: Uint8Array;
  /** L × L share of each cell the mask covers, for the loss, with maskTarget 'coverage'. */
  coverage?: Float32Array;
  /** S × S mask on the padded input frame (0 in the padding), for the loss with maskTarget 'input' and for the clicks with clickGrid 'input'. */
  input?: Uint8Array;
  kind: 'point' | 'box';
  /** Two prompt tokens [x, y, x, y] in input-frame coordinates as the decoder takes them. */
  coords: Float32Array;
  /** Their labels: [1, −1] (point, padding) or [2, 3] (box corners). */
  labels: Float32Array;
  /** Iterations after the first, in order: 1 adds a corrective click, 0 only the previous mask. */
  iterations: Uint8Array;
  /** Made up by the synthetic-instance augmentation. */
  synthetic: boolean;
  /** A lone point whose first pass is supervised through the single-mask output (lonePoint 'single'). */
  singleOutput: boolean;
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
  const side = lowResSize(config);
  const factor = imgSize / side;
  if (!Number.isInteger(factor)) throw new Error(`training: patch size ${patchSize} must be a multiple of 4 (low-res cells of whole pixels)`);
  return { side, factor };
}

export async function prepareSample(item: TrainImage, seed: number, o: SampleOptions): Promise<PreparedSample> {
  const rng = new Rng(seed);
  const s = o.config.imageEncoder.imgSize;
  const a = o.augment;
  // Drawn whether or not flips are on, so both settings make the same other choices.
  const flipped = rng.next() < 0.5 && o.flip;

  // Up to K instances, a random subset when there are more.
  const order = item.instances.map((_, i) => i);
  if (order.length > o.instancesPerImage) rng.shuffle(order);
  const chosen = order.slice(0, o.instancesPerImage).sort((x, y) => x - y);
  let masks = chosen.map((index) => decodeSegmentation(item.instances[index], item.width, item.height));

  // Zoom: a crop of the raw image that keeps enough of at least one instance.
  let crop: Rect | null = null;
  if (a.crop > 0 && rng.next() < a.crop) {
    if (!o.pixels) throw new Error('training: crop augmentation needs the pixels (not available with cached embeddings)');
    crop = chooseCrop(item.width, item.height, masks, a.cropMinScale, rng);
    if (crop) masks = masks.filter((m) => keepsEnough(m, item.width, crop!)).map((m) => cropMask(m, item.width, crop!));
  }
  const width = crop?.width ?? item.width;
  const height = crop?.height ?? item.height;
  const [h, w] = getPreprocessShape(height, width, s);
  masks = masks.map((m) => resizeMaskNearest(m, width, height, w, h));

  let image: Float32Array | undefined;
  let syntheticFirst = false;
  if (o.pixels) {
    const raw = await readImage(item.path);
    if (raw.width !== item.width || raw.height !== item.height) {
      throw new Error(`training data: ${item.path} is ${raw.width}×${raw.height}, its COCO record says ${item.width}×${item.height}`);
    }
    image = preprocessImage(crop ? cropImage(raw, crop) : raw, o.config).tensor;
    const frame = { size: s, height: h, width: w, mean: o.config.pixelMean, std: o.config.pixelStd };
    if (a.rotateDegrees > 0 && rng.next() < 0.5) rotate(image, masks, frame, rng.uniform(-a.rotateDegrees, a.rotateDegrees));
    if (a.intensity > 0 && rng.next() < a.intensity) photometric(image, frame, rng.fork());
    if (a.synthetic > 0 && rng.next() < a.synthetic) {
      const blob = syntheticInstance(image, frame, masks, rng.fork());
      // The synthetic instance takes a slot of its own: the last real one goes when all are taken.
      if (blob) {
        masks = [blob, ...masks.slice(0, o.instancesPerImage - 1)];
        syntheticFirst = true;
      }
    }
    if (flipped) flipInput(image, s, h, w);
  }

  const instances: PreparedInstance[] = [];
  masks.forEach((mask, m) => {
    if (flipped) for (let y = 0; y < h; y++) mask.subarray(y * w, (y + 1) * w).reverse();
    const kind = rng.next() < o.boxProbability ? 'box' : 'point';
    const iterations = new Uint8Array(o.clicks + o.maskOnlyIterations);
    iterations.fill(1, 0, o.clicks);
    // Where the click-free iterations fall among the others: a random order per instance.
    for (let i = iterations.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [iterations[i], iterations[j]] = [iterations[j], iterations[i]];
    }
    const box = tightBox(mask, w, h);
    if (!box) return; // the instance vanished at this scale
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
    // Drawn only under the 'single' rule, so runs under SAM's make the same choices as before it existed.
    const singleOutput = kind === 'point' && o.lonePoint === 'single' && rng.next() < 0.5;
    const cells = lowResCoverage(mask, w, h, o.config);
    instances.push({
      target: coveredAtLeastHalf(cells),
      ...(o.maskTarget === 'coverage' ? { coverage: cells } : {}),
      ...(o.maskTarget === 'input' || o.clickGrid === 'input' ? { input: padToInput(mask, w, h, s) } : {}),
      kind,
      coords,
      labels,
      iterations,
      synthetic: syntheticFirst && m === 0,
      singleOutput,
    });
  });
  return { flipped, inputSize: [h, w], image, instances };
}

/** Mirrors the resized image (h × w at the top left of each S × S channel) in place; the padding stays. */
export function flipInput(tensor: Float32Array, s: number, h: number, w: number): void {
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) tensor.subarray(c * s * s + y * s, c * s * s + y * s + w).reverse();
}

/** The mask (w × h) at the top left of an S × S frame of zeros: the padded input's geometry. */
export function padToInput(mask: Uint8Array, w: number, h: number, s: number): Uint8Array {
  const frame = new Uint8Array(s * s);
  for (let y = 0; y < h; y++) frame.set(mask.subarray(y * w, (y + 1) * w), y * s);
  return frame;
}

/** The share of each L × L grid cell that the mask (w × h at the top left of the padded input) covers. */
export function lowResCoverage(mask: Uint8Array, w: number, h: number, config: SamConfig): Float32Array {
  const { side, factor } = lowResGeometry(config);
  const counts = new Uint16Array(side * side);
  for (let y = 0; y < h; y++) {
    const row = Math.floor(y / factor) * side;
    for (let x = 0; x < w; x++) if (mask[y * w + x]) counts[row + Math.floor(x / factor)]++;
  }
  // share ≥ ½ ⇔ count ≥ f²/2: a count of exactly half a cell divides to exactly 0.5 (correctly rounded).
  return Float32Array.from(counts, (c) => c / (factor * factor));
}

/** Cells covered at least half: the binary target. */
export function coveredAtLeastHalf(coverage: Float32Array): Uint8Array {
  return Uint8Array.from(coverage, (c) => (c >= 0.5 ? 1 : 0));
}

/** The mask (w × h at the top left of the padded input) on the L × L grid: cell coverage ≥ ½. */
export function lowResTarget(mask: Uint8Array, w: number, h: number, config: SamConfig): Uint8Array {
  return coveredAtLeastHalf(lowResCoverage(mask, w, h, config));
}
