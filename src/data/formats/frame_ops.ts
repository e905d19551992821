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

/**
 * Iterates two async streams in lock step. `onLengthMismatch` is told which stream ran out first
 * (the other is then abandoned), so a converter can report an image / label volume whose frame
 * counts differ.
 */
export async function* zipStreams<A, B>(
  a: AsyncIterable<A>,
  b: AsyncIterable<B>,
  onLengthMismatch: (shorter: 'first' | 'second', pairs: number) => void,
): AsyncGenerator<[A, B]> {
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
