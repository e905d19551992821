// Images as the encoder sees them, kept compactly: decoded once, resized (long side to the model
// input, as SAM's predictor) and stored as 8-bit RGB, normalised only when a batch is filled, so a
// dataset costs 3 bytes per input pixel in memory rather than 12.
import { readImage } from '../image/read.js';
import { resizeLongestSide } from '../image/resize.js';
import { toRgb8 } from '../image/convert.js';
import type { RawImage } from '../image/types.js';
import type { SamConfig } from '../model/config.js';

export interface PreparedImage {
  path: string;
  /** Resized RGB, inputSize[0] × inputSize[1] × 3. */
  rgb: Uint8Array;
  /** [height, width] inside the padded square. */
  inputSize: [number, number];
  originalSize: [number, number];
}

/** Reads and resizes one image; a file that fails to decode gives an error naming it. */
export async function prepareImage(path: string, config: SamConfig): Promise<PreparedImage> {
  let image: RawImage;
  try {
    image = await readImage(path);
  } catch (error) {
    throw new Error(`cannot decode image ${path}: ${(error as Error).message}`);
  }
  if (image.width < 1 || image.height < 1) throw new Error(`image ${path} has no pixels`);
  return prepareRaw(path, image, config);
}

export function prepareRaw(path: string, image: RawImage, config: SamConfig): PreparedImage {
  const resized = resizeLongestSide(toRgb8(image), config.imageEncoder.imgSize);
  return { path, rgb: resized.data as Uint8Array, inputSize: [resized.height, resized.width], originalSize: [image.height, image.width] };
}

/** Normalises `image` into slot `index` of a [B, 3, S, S] batch, zero (after normalising) outside it, as SAM pads. */
export function fillBatch(batch: Float32Array, index: number, image: PreparedImage | undefined, config: SamConfig): void {
  const s = config.imageEncoder.imgSize;
  const base = index * 3 * s * s;
  batch.fill(0, base, base + 3 * s * s);
  if (!image) return;
  const [h, w] = image.inputSize;
  for (let c = 0; c < 3; c++) {
    const mean = config.pixelMean[c];
    const std = config.pixelStd[c];
    const plane = base + c * s * s;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) batch[plane + y * s + x] = (image.rgb[(y * w + x) * 3 + c] - mean) / std;
    }
  }
}

/** Prepares many images one after another (decoding is the slow part; memory stays compact). */
export async function prepareAll(paths: readonly string[], config: SamConfig): Promise<PreparedImage[]> {
  const out: PreparedImage[] = [];
  for (const p of paths) out.push(await prepareImage(p, config));
  return out;
}
