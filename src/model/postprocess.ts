// Sam.postprocess_masks on the host: low-res logits bilinearly upsampled to the padded input size,
// cropped to the resized image, bilinearly resized to the original size (align_corners=False
// throughout), then thresholded at the model's mask threshold (SAM's Sam.mask_threshold, 0). Plain
// Float32Array code rather than a graph: it runs once per prediction on a few channels, and the
// original size changes with every image.
//
// Each axis goes through upsample → crop → resize, three linear maps that compose into one sparse
// matrix per axis; the two axes are then applied one after the other (bilinear is separable).
import { bilinearTaps } from '../graph/ops/resize.js';
import type { Size } from './prompts.js';

export interface PostprocessGeometry {
  /** Side of the padded square input (1024). */
  imgSize: number;
  /** Size of the resized image inside the padded input, e.g. [645, 1024]. */
  inputSize: Size;
  /** Size of the original image. */
  originalSize: Size;
}

interface SparseRows {
  /** For output row o: taps start[o]..start[o+1]−1 of `index` and `weight`. */
  start: Int32Array;
  index: Int32Array;
  weight: Float64Array;
  /** The first and last input position any tap reads (a crop leaves the padding's positions unread). */
  first: number;
  last: number;
}

/** The taps of output o as [index, weight] pairs; at the edge, where both are one index, summed as bilinearMatrix sums them. */
function tapList(inSize: number, outSize: number, o: number): [number, number][] {
  const { i0, i1, w1 } = bilinearTaps(inSize, outSize, o);
  return i0 === i1
    ? [[i0, 1 - w1 + w1]]
    : [
        [i0, 1 - w1],
        [i1, w1],
      ];
}

/**
 * The composed map of one axis: lowRes → imgSize, keep the first `kept`, → outSize. Built from the
 * taps (each output reads ≤ 2 kept positions, each of those ≤ 2 low-res ones), summed in the order
 * of the dense product R_down · R_up, so the weights are those of the matrices multiplied out.
 */
function axisMap(lowRes: number, imgSize: number, kept: number, outSize: number): SparseRows {
  const start = new Int32Array(outSize + 1);
  const index: number[] = [];
  const weight: number[] = [];
  const row = new Map<number, number>();
  for (let o = 0; o < outSize; o++) {
    row.clear();
    for (const [k, d] of tapList(kept, outSize, o)) {
      if (d === 0) continue;
      for (const [i, u] of tapList(lowRes, imgSize, k)) row.set(i, (row.get(i) ?? 0) + d * u);
    }
    for (const i of [...row.keys()].sort((a, b) => a - b)) {
      const w = row.get(i)!;
      if (w !== 0) {
        index.push(i);
        weight.push(w);
      }
    }
    start[o + 1] = index.length;
  }
  let first = Infinity;
  let last = -1;
  for (const i of index) [first, last] = [Math.min(first, i), Math.max(last, i)];
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight), first, last };
}

// The maps of the last few geometries: every prompt on an image post-processes with the same ones.
const axisMaps = new Map<string, SparseRows>();

function cachedAxisMap(lowRes: number, imgSize: number, kept: number, outSize: number): SparseRows {
  const key = `${lowRes},${imgSize},${kept},${outSize}`;
  let map = axisMaps.get(key);
  if (!map) {
    map = axisMap(lowRes, imgSize, kept, outSize);
    axisMaps.set(key, map);
    if (axisMaps.size > 8) axisMaps.delete(axisMaps.keys().next().value as string);
  }
  return map;
}

/** The axis maps of a geometry, checked against the logits' shape. */
function geometryMaps(lowRes: Float32Array, count: number, [h, w]: Size, geo: PostprocessGeometry): { rows: SparseRows; cols: SparseRows } {
  if (lowRes.length !== count * h * w) {
    throw new Error(`postprocess: ${lowRes.length} logits do not fill [${count}, ${h}, ${w}]`);
  }
  const [inH, inW] = geo.inputSize;
  const [outH, outW] = geo.originalSize;
  if (inH > geo.imgSize || inW > geo.imgSize) throw new Error(`postprocess: input size [${inH}, ${inW}] exceeds the ${geo.imgSize} input`);
  return { rows: cachedAxisMap(h, geo.imgSize, inH, outH), cols: cachedAxisMap(w, geo.imgSize, inW, outW) };
}

/**
 * Mask m's low-res rows resized along the columns to the original width (tmp: [h, outW]): those rows
 * only that the row map reads. Columns first, then rows (rowPass).
 */
function columnPass(lowRes: Float32Array, m: number, h: number, w: number, cols: SparseRows, rows: SparseRows, tmp: Float64Array): void {
  const outW = cols.start.length - 1;
  const src = m * h * w;
  for (let y = rows.first; y <= rows.last; y++) {
    const base = src + y * w;
    for (let c = 0; c < outW; c++) {
      let s = 0;
      for (let t = cols.start[c]; t < cols.start[c + 1]; t++) s += cols.weight[t] * lowRes[base + cols.index[t]];
      tmp[y * outW + c] = s;
    }
  }
}

/**
 * Output row r of a mask at the original size into `row` [outW], from the column pass's tmp: the
 * taps are whole rows of tmp, so the inner loop runs along contiguous memory.
 */
function rowPass(rows: SparseRows, tmp: Float64Array, r: number, row: Float64Array): void {
  const outW = row.length;
  row.fill(0);
  for (let t = rows.start[r]; t < rows.start[r + 1]; t++) {
    const from = rows.index[t] * outW;
    const wt = rows.weight[t];
    for (let c = 0; c < outW; c++) row[c] += wt * tmp[from + c];
  }
}

/**
 * Low-res logits [count, h, w] (row-major) → logits at the original size [count, H, W].
 * `h`, `w` are the low-res sides (256 for a 1024 model).
 */
export function upscaleLogits(lowRes: Float32Array, count: number, [h, w]: Size, geo: PostprocessGeometry): Float32Array {
  const { rows, cols } = geometryMaps(lowRes, count, [h, w], geo);
  const [outH, outW] = geo.originalSize;
  const out = new Float32Array(count * outH * outW);
  const tmp = new Float64Array(h * outW);
  const row = new Float64Array(outW);
  for (let m = 0; m < count; m++) {
    columnPass(lowRes, m, h, w, cols, rows, tmp);
    for (let r = 0; r < outH; r++) {
      rowPass(rows, tmp, r, row);
      out.set(row, (m * outH + r) * outW);
    }
  }
  return out;
}

/** Binary masks (1 = object) from logits [count, H, W]: one Uint8Array per mask, logit > threshold. */
export function thresholdMasks(logits: Float32Array, count: number, threshold = 0): Uint8Array[] {
  const size = logits.length / count;
  if (!Number.isInteger(size)) throw new Error(`postprocess: ${logits.length} logits are not ${count} equal masks`);
  const masks: Uint8Array[] = [];
  for (let m = 0; m < count; m++) {
    const mask = new Uint8Array(size);
    for (let i = 0; i < size; i++) mask[i] = logits[m * size + i] > threshold ? 1 : 0;
    masks.push(mask);
  }
  return masks;
}

/**
 * Weights metadata: the logit above which a pixel belongs to a mask, when not SAM's 0 (a decimal
 * string). A calibration of the weights: a model whose loss draws its masks too small records a
 * negative one, and everything that binarizes its logits (predictor, generator, app) uses it.
 */
export const MASK_THRESHOLD_METADATA_KEY = 'ultrasam.mask_threshold';

/** Reads MASK_THRESHOLD_METADATA_KEY's value (absent: 0); `where` names the file in errors. */
export function parseMaskThreshold(value: unknown, where: string): number {
  if (value === undefined) return 0;
  const t = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(t)) throw new Error(`${where}: metadata '${MASK_THRESHOLD_METADATA_KEY}' is ${JSON.stringify(value)}; expected a decimal number such as "-0.25"`);
  return t;
}

/**
 * The whole of SAM's postprocessing: low-res logits → binary masks at the original size. The same
 * as thresholdMasks(upscaleLogits(…)) (each logit rounded to float32 before the test), without the
 * logits at the original size in memory.
 */
export function postprocessMasks(lowRes: Float32Array, count: number, [h, w]: Size, geo: PostprocessGeometry, threshold = 0): Uint8Array[] {
  const { rows, cols } = geometryMaps(lowRes, count, [h, w], geo);
  const [outH, outW] = geo.originalSize;
  const tmp = new Float64Array(h * outW);
  // One output row at a time, thresholded as it is summed: no logits at the image size in memory.
  const row = new Float64Array(outW);
  const masks: Uint8Array[] = [];
  for (let m = 0; m < count; m++) {
    columnPass(lowRes, m, h, w, cols, rows, tmp);
    const mask = new Uint8Array(outH * outW);
    for (let r = 0; r < outH; r++) {
      rowPass(rows, tmp, r, row);
      const dst = r * outW;
      for (let c = 0; c < outW; c++) mask[dst + c] = Math.fround(row[c]) > threshold ? 1 : 0;
    }
    masks.push(mask);
  }
  return masks;
}
