// The image side of SAM's predictor: any image → 8-bit RGB → long side resized to the model input
// (PIL-exact bilinear, as the reference) → per-channel normalisation → zero padding to a square.
import { toRgb8 } from '../image/convert.js';
import { resizeLongestSide } from '../image/resize.js';
import type { RawImage } from '../image/types.js';
import type { SamConfig } from './config.js';
import type { Size } from './prompts.js';

export interface PreprocessedImage {
  /** [1, 3, S, S] normalised, zero-padded (after normalising) at the bottom and right. */
  tensor: Float32Array;
  /** Size of the resized image inside the padded square. */
  inputSize: Size;
  originalSize: Size;
}

export function preprocessImage(image: RawImage, config: SamConfig): PreprocessedImage {
  const s = config.imageEncoder.imgSize;
  const rgb = toRgb8(image);
  const resized = resizeLongestSide(rgb, s);
  const { width: w, height: h } = resized;
  const tensor = new Float32Array(3 * s * s);
  const data = resized.data as Uint8Array;
  for (let c = 0; c < 3; c++) {
    const mean = config.pixelMean[c];
    const std = config.pixelStd[c];
    const plane = c * s * s;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) tensor[plane + y * s + x] = (data[(y * w + x) * 3 + c] - mean) / std;
    }
  }
  return { tensor, inputSize: [h, w], originalSize: [image.height, image.width] };
}
