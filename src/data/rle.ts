/**
 * COCO run-length encoding, bit-for-bit as pycocotools (maskApi.c) writes it, so that corpora made
 * here load in pycocotools/mmdet and theirs load here.
 *
 * - Runs are counted in column-major (Fortran) order over an H×W mask, alternating 0-runs and
 *   1-runs and always starting with a (possibly empty) 0-run.
 * - `counts` is the compressed string of `rleToString`: each run, minus the run two places before
 *   it (from the fourth run on), is written as a signed LEB128-like sequence of 5-bit chunks, each
 *   chunk + 48 as an ASCII character, 0x20 meaning "more chunks follow".
 */

/** A COCO RLE: `size` is [height, width]. */
export interface Rle {
  size: [number, number];
  counts: string;
}

function checkSize(height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) {
    throw new Error(`RLE size must be two non-negative integers, got [${height}, ${width}]`);
  }
  // Runs are handled as plain numbers; past 2^31 pixels pycocotools' own uint counts overflow too.
  if (height * width >= 2 ** 31) throw new Error(`RLE size [${height}, ${width}] is too large`);
}

/** Run lengths of a row-major H×W mask (non-zero = object), counted column-major. */
export function maskToRuns(mask: ArrayLike<number>, height: number, width: number): number[] {
  checkSize(height, width);
  if (mask.length !== height * width) {
    throw new Error(`mask has ${mask.length} pixels, expected ${height}×${width} = ${height * width}`);
  }
  const runs: number[] = [];
  let current = 0; // value of the run being counted; the first run counts zeros
  let length = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const value = mask[y * width + x] !== 0 ? 1 : 0;
      if (value !== current) {
        runs.push(length);
        length = 0;
        current = value;
      }
      length++;
    }
  }
  runs.push(length);
  return runs;
}

/** Row-major mask (0/1) from column-major run lengths. */
export function runsToMask(runs: readonly number[], height: number, width: number): Uint8Array {
  checkSize(height, width);
  // A negative run would move the cursor back (counts [-5, 157505] covered every pixel of a
  // 500×315 image and decoded to the whole image); a fractional one has no pixel meaning.
  const bad = runs.findIndex((run) => !Number.isSafeInteger(run) || run < 0);
  if (bad >= 0) throw new Error(`RLE run ${bad} is ${JSON.stringify(runs[bad])}; runs are non-negative whole numbers of pixels`);
  const total = runs.reduce((sum, run) => sum + run, 0);
  if (total !== height * width) {
    throw new Error(`RLE runs cover ${total} pixels, expected ${height}×${width} = ${height * width}`);
  }
  const mask = new Uint8Array(height * width);
  let position = 0; // column-major index
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i];
    if (i % 2 === 1) {
      for (let k = position; k < position + run; k++) {
        const x = Math.floor(k / height);
        mask[(k - x * height) * width + x] = 1;
      }
    }
    position += run;
  }
  return mask;
}

/** pycocotools `rleToString`: compress run lengths to the `counts` string. */
export function runsToString(runs: readonly number[]): string {
  let out = '';
  for (let i = 0; i < runs.length; i++) {
    let x = runs[i];
    if (i > 2) x -= runs[i - 2];
    let more = true;
    while (more) {
      const chunk = ((x % 32) + 32) % 32; // low 5 bits, two's complement for negatives
      x = Math.floor(x / 32); // arithmetic shift right by 5
      more = chunk & 0x10 ? x !== -1 : x !== 0;
      out += String.fromCharCode((more ? chunk | 0x20 : chunk) + 48);
    }
  }
  return out;
}

/** pycocotools `rleFrString`: run lengths from a `counts` string. */
export function stringToRuns(counts: string): number[] {
  const runs: number[] = [];
  let p = 0;
  while (p < counts.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= counts.length) throw new Error(`RLE counts string ends inside a number: "${counts}"`);
      const c = counts.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`RLE counts has an invalid character "${counts[p]}" at ${p}`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k); // sign-extend the last chunk
    }
    if (runs.length > 2) x += runs[runs.length - 2];
    if (x < 0) throw new Error(`RLE counts decodes to a negative run (${x}) at run ${runs.length}`);
    runs.push(x);
  }
  return runs;
}

/** Encodes a row-major H×W mask (non-zero = object) as pycocotools' `mask.encode` would. */
export function encodeMask(mask: ArrayLike<number>, height: number, width: number): Rle {
  return { size: [height, width], counts: runsToString(maskToRuns(mask, height, width)) };
}

/** Decodes an RLE to a row-major H×W mask of 0/1. */
export function decodeRle(rle: Rle): Uint8Array {
  const [height, width] = rle.size;
  return runsToMask(stringToRuns(rle.counts), height, width);
}

/** Number of object pixels (pycocotools `area`). */
export function rleArea(rle: Rle): number {
  const runs = stringToRuns(rle.counts);
  let area = 0;
  for (let i = 1; i < runs.length; i += 2) area += runs[i];
  return area;
}

/**
 * Bounding box [x, y, w, h] as pycocotools `toBbox` computes it; [0, 0, 0, 0] for an empty mask.
 * Same result as the tight box of the decoded pixels (a 1-run crossing a column boundary spans all rows).
 */
export function rleToBbox(rle: Rle): [number, number, number, number] {
  const height = rle.size[0];
  const runs = stringToRuns(rle.counts);
  const pairs = Math.floor(runs.length / 2) * 2; // a trailing 0-run adds nothing
  if (pairs === 0 || height === 0) return [0, 0, 0, 0];
  let xs = Infinity;
  let xe = -Infinity;
  let ys = Infinity;
  let ye = -Infinity;
  let cumulative = 0;
  let firstColumn = 0;
  for (let j = 0; j < pairs; j++) {
    cumulative += runs[j];
    const t = cumulative - (j % 2); // first pixel of a 1-run, or last pixel of it
    const y = t % height;
    const x = (t - y) / height;
    if (j % 2 === 0) firstColumn = x;
    else if (firstColumn < x) {
      ys = 0;
      ye = height - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  if (!Number.isFinite(xs)) return [0, 0, 0, 0];
  return [xs, ys, xe + 1 - xs, ye + 1 - ys];
}

/** Intersection over union of two RLEs of the same size (0 when both are empty). */
export function rleIou(a: Rle, b: Rle): number {
  if (a.size[0] !== b.size[0] || a.size[1] !== b.size[1]) {
    throw new Error(`RLE sizes differ: [${a.size}] vs [${b.size}]`);
  }
  const maskA = decodeRle(a);
  const maskB = decodeRle(b);
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < maskA.length; i++) {
    intersection += maskA[i] & maskB[i];
    union += maskA[i] | maskB[i];
  }
  return union === 0 ? 0 : intersection / union;
}

/** Union of RLEs of the same size (pycocotools `merge` with intersect = false). */
export function rleUnion(rles: readonly Rle[]): Rle {
  if (rles.length === 0) throw new Error('rleUnion needs at least one RLE');
  const [height, width] = rles[0].size;
  const union = new Uint8Array(height * width);
  for (const rle of rles) {
    if (rle.size[0] !== height || rle.size[1] !== width) {
      throw new Error(`RLE sizes differ: [${rles[0].size}] vs [${rle.size}]`);
    }
    const mask = decodeRle(rle);
    for (let i = 0; i < mask.length; i++) union[i] |= mask[i];
  }
  return encodeMask(union, height, width);
}
