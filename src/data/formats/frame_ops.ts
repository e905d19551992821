/**
 * Re-orienting frames and walking two frame streams (image volume, label volume) side by side —
 * what every volume converter does between reading and yielding samples.
 */
import type { VoxelArray } from './volume.js';

type Pixels = VoxelArray | Uint8Array | Int32Array;

/**
 * Rotates a row-major image by 180° (mmcv's `imflip(..., direction='diagonal')`, i.e. flipping both
 * axes), which the reference converters apply to volumes stored upside down and mirrored.
 */
export function rotate180<T extends Pixels>(values: T, width: number, height: number, channels = 1): T {
  const out = new (values.constructor as new (n: number) => T)(values.length);
  const pixels = width * height;
  for (let p = 0; p < pixels; p++) {
    const q = pixels - 1 - p;
    for (let c = 0; c < channels; c++) out[q * channels + c] = values[p * channels + c];
  }
  return out;
}

/** Flips a row-major image upside down (mmcv's `imflip(..., direction='vertical')`). */
export function flipRows<T extends Pixels>(values: T, width: number, height: number, channels = 1): T {
  const out = new (values.constructor as new (n: number) => T)(values.length);
  const row = width * channels;
  for (let y = 0; y < height; y++) out.set(values.subarray(y * row, (y + 1) * row) as never, (height - 1 - y) * row);
  return out;
}

/** Flips a row-major image left to right (mmcv's `imflip(..., direction='horizontal')`). */
export function flipColumns<T extends Pixels>(values: T, width: number, height: number, channels = 1): T {
  const out = new (values.constructor as new (n: number) => T)(values.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const from = (row + x) * channels;
      const to = (row + width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = values[from + c];
    }
  }
  return out;
}

/** A rectangle of pixels: columns [x, x + width), rows [y, y + height). */
export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The pixels of `box` out of a row-major width×height image (channels interleaved). */
export function cropPixels<T extends Pixels>(values: T, width: number, height: number, box: PixelBox, channels = 1): T {
  if (box.x < 0 || box.y < 0 || box.width < 1 || box.height < 1 || box.x + box.width > width || box.y + box.height > height) {
    throw new Error(`crop ${box.width}×${box.height} at (${box.x}, ${box.y}) is not inside ${width}×${height}`);
  }
  const out = new (values.constructor as new (n: number) => T)(box.width * box.height * channels);
  const row = box.width * channels;
  for (let y = 0; y < box.height; y++) {
    const start = ((box.y + y) * width + box.x) * channels;
    out.set(values.subarray(start, start + row) as never, y * row);
  }
  return out;
}

/**
 * The box left after peeling off flat bands at the edges: whole rows (from the top and the bottom)
 * and then whole columns (from the left and the right) whose grey values span at most `tolerance`
 * (JPEG noise) — the padding a copy added to make frames square. Undefined when every row is flat.
 */
export function contentBox(grey: ArrayLike<number>, width: number, height: number, tolerance: number): PixelBox | undefined {
  const flat = (start: number, step: number, count: number): boolean => {
    let low = Infinity;
    let high = -Infinity;
    for (let k = 0, i = start; k < count; k++, i += step) {
      const v = grey[i];
      if (v < low) low = v;
      if (v > high) high = v;
      if (high - low > tolerance) return false;
    }
    return true;
  };
  let top = 0;
  while (top < height && flat(top * width, 1, width)) top++;
  if (top === height) return undefined;
  let bottom = height - 1;
  while (flat(bottom * width, 1, width)) bottom--;
  const rows = bottom - top + 1;
  let left = 0;
  while (left < width && flat(top * width + left, width, rows)) left++;
  // Every column flat (content that varies only across them): no columns are padding.
  if (left === width) return { x: 0, y: top, width, height: rows };
  let right = width - 1;
  while (flat(top * width + right, width, rows)) right--;
  return { x: left, y: top, width: right - left + 1, height: rows };
}

/**
 * Iterates two async streams in lock step. `onLengthMismatch` is told which stream ran out first
 * (the other is then abandoned), so a converter can report an image / label volume whose frame
 * counts differ.
 */
export async function* zipStreams<A, B>(a: AsyncIterable<A>, b: AsyncIterable<B>, onLengthMismatch: (shorter: 'first' | 'second', pairs: number) => void): AsyncGenerator<[A, B]> {
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  let pairs = 0;
  try {
    for (;;) {
      const [ra, rb] = await Promise.all([ia.next(), ib.next()]);
      if (ra.done || rb.done) {
        if (!ra.done || !rb.done) onLengthMismatch(ra.done ? 'first' : 'second', pairs);
        return;
      }
      pairs++;
      yield [ra.value, rb.value];
    }
  } finally {
    await Promise.all([ia.return?.(), ib.return?.()]);
  }
}
