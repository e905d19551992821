// Sam.postprocess_masks on the host: low-res logits bilinearly upsampled to the padded input size,
// cropped to the resized image, bilinearly resized to the original size (align_corners=False
// throughout), then thresholded at the model's mask threshold (SAM's Sam.mask_threshold, 0). Plain
// Float32Array code rather than a graph: it runs once per prediction on a few channels, and the
// original size changes with every image.
//
// Each axis goes through upsample → crop → resize, three linear maps that compose into one sparse
// matrix per axis; the two axes are then applied one after the other (bilinear is separable).
import { bilinearTaps } from '../graph/ops/resize.js';
import { type Size, resizedSize } from './prompts.js';

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
  /** For output o: the lowest and highest input position it reads (both non-decreasing in o). */
  lo: Int32Array;
  hi: Int32Array;
  /**
   * For input position i: the first output whose taps all lie at or after i (the output count if
   * none), and the last output whose taps all lie at or before i (−1 if none).
   */
  firstFrom: Int32Array;
  lastUpTo: Int32Array;
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
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) [lo[o], hi[o]] = [index[start[o]], index[start[o + 1] - 1]];
  for (let o = 1; o < outSize; o++) {
    if (lo[o] < lo[o - 1] || hi[o] < hi[o - 1]) throw new Error(`postprocess: the axis map ${lowRes} → ${imgSize} → ${kept} → ${outSize} is not monotone at ${o}`);
  }
  // Both sweeps rely on lo and hi never decreasing.
  const firstFrom = new Int32Array(lowRes);
  const lastUpTo = new Int32Array(lowRes);
  for (let i = 0, o = 0; i < lowRes; i++) {
    while (o < outSize && lo[o] < i) o++;
    firstFrom[i] = o;
  }
  for (let i = 0, o = -1; i < lowRes; i++) {
    while (o + 1 < outSize && hi[o + 1] <= i) o++;
    lastUpTo[i] = o;
  }
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight), first: lo[0], last: hi[outSize - 1], lo, hi, firstFrom, lastUpTo };
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
  const { start, index, weight } = cols;
  const outW = start.length - 1;
  const src = m * h * w;
  for (let y = rows.first; y <= rows.last; y++) {
    const base = src + y * w;
    const line = y * outW;
    for (let c = 0; c < outW; c++) {
      const t = start[c];
      const taps = start[c + 1] - t;
      // Summed left to right, as the loop for other tap counts sums them.
      if (taps === 2) tmp[line + c] = weight[t] * lowRes[base + index[t]] + weight[t + 1] * lowRes[base + index[t + 1]];
      else if (taps === 3) tmp[line + c] = weight[t] * lowRes[base + index[t]] + weight[t + 1] * lowRes[base + index[t + 1]] + weight[t + 2] * lowRes[base + index[t + 2]];
      else {
        let sum = 0;
        for (let u = t; u < t + taps; u++) sum += weight[u] * lowRes[base + index[u]];
        tmp[line + c] = sum;
      }
    }
  }
}

/**
 * Output row r of a mask at the original size into `row` [outW], from the column pass's tmp: the
 * taps are whole rows of tmp, so the inner loop runs along contiguous memory.
 */
function rowPass(rows: SparseRows, tmp: Float64Array, r: number, row: Float64Array): void {
  const outW = row.length;
  const first = rows.start[r];
  const taps = rows.start[r + 1] - first;
  const { index, weight } = rows;
  // Two and three taps (nearly every row) in one pass, summed left to right as the loop below sums
  // them (its 0 + x is x but for the sign of a zero, which no threshold test sees).
  if (taps === 2 || taps === 3) {
    const [a, wa, b, wb] = [index[first] * outW, weight[first], index[first + 1] * outW, weight[first + 1]];
    if (taps === 2) {
      for (let c = 0; c < outW; c++) row[c] = wa * tmp[a + c] + wb * tmp[b + c];
    } else {
      const [d, wd] = [index[first + 2] * outW, weight[first + 2]];
      for (let c = 0; c < outW; c++) row[c] = wa * tmp[a + c] + wb * tmp[b + c] + wd * tmp[d + c];
    }
    return;
  }
  row.fill(0);
  for (let t = first; t < first + taps; t++) {
    const from = index[t] * outW;
    const wt = weight[t];
    for (let c = 0; c < outW; c++) row[c] += wt * tmp[from + c];
  }
}

/**
 * mask[dst + c] for columns c0..c1 − 1: 1 where the row's sum, rounded to float32, is above the
 * threshold. A function of its own: written inline in postprocessMasks' large body, V8 ran this loop
 * several times slower (docs/benchmarks.md).
 */
function thresholdRow(row: Float64Array, c0: number, c1: number, threshold: number, mask: Uint8Array, dst: number): void {
  for (let c = c0; c < c1; c++) mask[dst + c] = Math.fround(row[c]) > threshold ? 1 : 0;
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

/** Low-res values classed for postprocessMasks: every value a pixel reads above the threshold, every one at or below it, or neither. */
const BELOW = 0;
const MIXED = 1;
const ABOVE = 2;
/** Runs per low-res value above which postprocessMasks sums every pixel instead (1 / FRAGMENTED). */
const FRAGMENTED = 8;

/** Runs of one class along low-res rows: row y's are rowStart[y]..rowStart[y + 1] − 1, run i ending at column end[i]. */
interface Runs {
  rowStart: Int32Array;
  end: Int32Array;
  kind: Uint8Array;
}

/**
 * One mask's low-res logits [h, w] classed against the threshold and written as runs, over the rows
 * and columns the maps read; returns the number of runs, or Infinity as soon as they exceed `limit`.
 * A margin sends values too close to the threshold for float rounding to keep their side to MIXED.
 */
function classRuns(logits: Float32Array, w: number, rows: SparseRows, cols: SparseRows, threshold: number, runs: Runs, limit: number): number {
  const margin = 1e-5 * (1 + Math.abs(threshold));
  let n = 0;
  for (let y = rows.first; y <= rows.last; y++) {
    runs.rowStart[y] = n;
    for (let x = cols.first; x <= cols.last; x++) {
      const v = logits[y * w + x];
      const k = v > threshold + margin ? ABOVE : v <= threshold - margin ? BELOW : MIXED;
      if (n > runs.rowStart[y] && runs.kind[n - 1] === k) runs.end[n - 1] = x;
      else {
        runs.end[n] = x;
        runs.kind[n++] = k;
      }
    }
    if (n > limit) return Infinity;
  }
  runs.rowStart[rows.last + 1] = n;
  return n;
}

/**
 * The runs of low-res rows top..bottom merged into one row, written to `out`; returns their number. A
 * column keeps a class where all rows have it, else MIXED. `at` is scratch space for one run index
 * per row (at least bottom − top + 1 long).
 */
function mergeRuns(runs: Runs, top: number, bottom: number, cols: SparseRows, out: Pick<Runs, 'end' | 'kind'>, at: Int32Array): number {
  let n = 0;
  const count = bottom - top + 1;
  for (let i = 0; i < count; i++) at[i] = runs.rowStart[top + i];
  for (let x = cols.first; x <= cols.last;) {
    let end = cols.last;
    let k = -1;
    for (let i = 0; i < count; i++) {
      while (runs.end[at[i]] < x) at[i]++;
      end = Math.min(end, runs.end[at[i]]);
      k = k === -1 || runs.kind[at[i]] === k ? runs.kind[at[i]] : MIXED;
    }
    if (n > 0 && out.kind[n - 1] === k) out.end[n - 1] = end;
    else {
      out.end[n] = end;
      out.kind[n++] = k;
    }
    x = end + 1;
  }
  return n;
}

/**
 * The whole of SAM's postprocessing: low-res logits → binary masks at the original size. The same
 * as thresholdMasks(upscaleLogits(…)) (each logit rounded to float32 before the test), without the
 * logits at the original size in memory.
 *
 * Every output logit is a convex combination of the few low-res logits its taps read (bilinear
 * weights are ≥ 0 and sum to 1), so where all of them lie above the threshold the pixel is in the
 * mask, and where all lie at or below it, out: only pixels whose taps straddle the threshold — a
 * band along each mask's edge — are summed, in the same order and precision as upscaleLogits sums
 * them, so the masks are exactly those of the full computation (classRuns' margin keeps float
 * rounding out of the argument). Logits that change sign every few cells are summed whole.
 */
export function postprocessMasks(lowRes: Float32Array, count: number, [h, w]: Size, geo: PostprocessGeometry, threshold = 0): Uint8Array[] {
  const { rows, cols } = geometryMaps(lowRes, count, [h, w], geo);
  const [outH, outW] = geo.originalSize;
  const span = cols.last - cols.first + 1;
  const runs: Runs = { rowStart: new Int32Array(h + 1), end: new Int32Array(h * span), kind: new Uint8Array(h * span) };
  // The runs of an output row: those of the low-res rows it reads, merged.
  const merged = { end: new Int32Array(span), kind: new Uint8Array(span) };
  const at = new Int32Array(h);
  // columnPass's sums, made where a pixel needs them: summed[y · outW + c] is the mask's index + 1
  // where tmp holds low-res row y's sum for output column c.
  const tmp = new Float64Array(h * outW);
  const summed = new Int32Array(h * outW);
  const acc = new Float64Array(outW);
  const fragmented = (span * (rows.last - rows.first + 1)) / FRAGMENTED;
  const masks: Uint8Array[] = [];
  for (let m = 0; m < count; m++) {
    const src = m * h * w;
    const mask = new Uint8Array(outH * outW);
    if (classRuns(lowRes.subarray(src, src + h * w), w, rows, cols, threshold, runs, fragmented) === Infinity) {
      // Logits that change sign every few cells leave few pixels to decide by runs: sum them all.
      columnPass(lowRes, m, h, w, cols, rows, tmp);
      for (let r = 0; r < outH; r++) {
        rowPass(rows, tmp, r, acc);
        thresholdRow(acc, 0, outW, threshold, mask, r * outW);
      }
      masks.push(mask);
      continue;
    }
    const stamp = m + 1;
    // Output row r's columns c0..c1 − 1 summed as upscaleLogits sums them (rowPass over columnPass's
    // sums, each sum made once, when first needed), and thresholded.
    const sumSpan = (r: number, c0: number, c1: number): void => {
      acc.fill(0, c0, c1);
      for (let t = rows.start[r]; t < rows.start[r + 1]; t++) {
        const y = rows.index[t];
        const wt = rows.weight[t];
        const base = src + y * w;
        const line = y * outW;
        for (let c = c0; c < c1; c++) {
          if (summed[line + c] !== stamp) {
            let sum = 0;
            for (let u = cols.start[c]; u < cols.start[c + 1]; u++) sum += cols.weight[u] * lowRes[base + cols.index[u]];
            tmp[line + c] = sum;
            summed[line + c] = stamp;
          }
          acc[c] += wt * tmp[line + c];
        }
      }
      thresholdRow(acc, c0, c1, threshold, mask, r * outW);
    };
    let [top, bottom, mergedCount] = [-1, -1, 0];
    for (let r = 0; r < outH; r++) {
      if (rows.lo[r] !== top || rows.hi[r] !== bottom) {
        [top, bottom] = [rows.lo[r], rows.hi[r]];
        mergedCount = mergeRuns(runs, top, bottom, cols, merged, at);
      }
      const dst = r * outW;
      let c = 0; // the first output column not decided yet
      for (let i = 0, x = cols.first; i < mergedCount; x = merged.end[i++] + 1) {
        if (merged.kind[i] === MIXED) continue;
        // Output columns whose taps all lie in low-res columns x..merged.end[i] share its class.
        const from = cols.firstFrom[x];
        const to = cols.lastUpTo[merged.end[i]];
        if (from > to) continue;
        if (c < from) sumSpan(r, c, from);
        if (merged.kind[i] === ABOVE) mask.fill(1, dst + from, dst + to + 1);
        c = to + 1;
      }
      if (c < outW) sumSpan(r, c, outW);
    }
    masks.push(mask);
  }
  return masks;
}

/**
 * Runs postprocessMasks `rounds` times on made-up low-res logits for an image of `originalSize`: a
 * disc (masks decided by runs) and logits whose sign changes every few cells (masks summed whole),
 * four masks each; returns the last round's masks. A page calls it while it loads its model: V8
 * optimises a function once it has run for a while, so without this the first masks of a page are
 * made by slower code (docs/benchmarks.md has what it changes).
 */
export function warmUpPostprocess(lowSide: number, imgSize: number, originalSize: Size, rounds: number): { disc: Uint8Array[]; noise: Uint8Array[] } {
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`warmUpPostprocess: rounds must be a whole number ≥ 1, got ${rounds}`);
  const geo = { imgSize, inputSize: resizedSize(originalSize, imgSize), originalSize };
  const cells = lowSide * lowSide;
  const disc = new Float32Array(4 * cells);
  const noise = new Float32Array(4 * cells);
  for (let i = 0; i < disc.length; i++) {
    const [y, x] = [Math.floor((i % cells) / lowSide), i % lowSide];
    disc[i] = lowSide / 8 - Math.hypot(y + 0.5 - lowSide / 2, x + 0.5 - lowSide / 2);
    noise[i] = ((i * 7919) % 13) - 6; // steps of 2 (mod 13): the sign changes every three cells or so
  }
  let masks = { disc: [] as Uint8Array[], noise: [] as Uint8Array[] };
  for (let r = 0; r < rounds; r++) {
    masks = { disc: postprocessMasks(disc, 4, [lowSide, lowSide], geo), noise: postprocessMasks(noise, 4, [lowSide, lowSide], geo) };
  }
  return masks;
}
