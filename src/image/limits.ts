// The pixel cap that every image reader applies from the header, before it allocates or decodes
// anything: a PNG of a few hundred kilobytes can declare 16000×16000 pixels (gigabytes and seconds
// to decode: docs/benchmarks.md), a DICOM 65535², a NIfTI or MetaImage volume billions of voxels
// behind gzip. Ultrasound frames are a few megapixels; the cap is far above them and far below what
// a decoder would try.
import { ImageReadError } from './errors.js';

/** 8192 × 8192. libvips' own default limit is 268 megapixels (0x3FFF × 0x3FFF). */
export const DEFAULT_MAX_PIXELS = 8192 * 8192;

/** Environment variable that sets the cap (the CLI's --max-pixels sets it for every reader and worker). */
export const MAX_PIXELS_ENV = 'ULTRASAM_MAX_PIXELS';

/** The cap in force: ULTRASAM_MAX_PIXELS when set, else DEFAULT_MAX_PIXELS. In a browser, the default. */
export function maxImagePixels(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const text = env?.[MAX_PIXELS_ENV]?.trim();
  if (text === undefined || text === '') return DEFAULT_MAX_PIXELS;
  if (!/^[1-9]\d*$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new Error(`${MAX_PIXELS_ENV}="${text}" is not a positive whole number of pixels`);
  }
  return Number(text);
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Throws an ImageReadError ('too-large') naming the source and its size when `sizes` (width, height
 * and, for a volume read whole, its other dimensions) multiply to more than the cap.
 */
export function checkPixelCount(source: string, what: string, sizes: readonly number[]): void {
  const max = maxImagePixels();
  const total = sizes.reduce((a, b) => a * b, 1);
  if (total > max) {
    throw new ImageReadError(source, 'too-large', `${what} of ${sizes.join('×')} = ${count(total)} pixels is over the limit of ${count(max)} (raise it with --max-pixels or ${MAX_PIXELS_ENV})`);
  }
}
