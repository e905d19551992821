// Test-time flip averaging: a prompt is decoded on the image and, mirrored, on the mirror image; the
// mirror's low-resolution logits are mirrored back and the two averaged (scores too) before
// upsampling. Training flips images at random, so the two views are equally valid readings of the
// same image, and their mean is a steadier boundary than either (chosen on the val splits: the model
// card). Weights say whether they want it (FLIP_AVERAGE_METADATA_KEY); the predictor and the app's
// worker both build on these functions, so Node and the browser compute the same masks.
import type { RawImage } from '../image/types.js';
import type { LowResPrediction } from './prediction.js';
import type { Prompt } from './prompts.js';

/** safetensors metadata key: "true" where the weights are meant to be decoded with flip averaging. */
export const FLIP_AVERAGE_METADATA_KEY = 'ultrasam.flip_average';

/** The recorded value: absent or "false" → false, "true" → true; anything else names the file. */
export function parseFlipAverage(value: unknown, where: string): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`${where}: metadata ${FLIP_AVERAGE_METADATA_KEY} must be "true" or "false", got ${JSON.stringify(value)}`);
}

/** The image mirrored left-right (a new buffer; same type, size and channels). */
export function mirrorImage<T extends Pick<RawImage, 'data' | 'width' | 'height' | 'channels'>>(image: T): T {
  const { width: w, height: h, channels: c } = image;
  const data = new (image.data.constructor as Uint8ArrayConstructor)(image.data.length) as typeof image.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const from = (y * w + x) * c;
      const to = (y * w + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) data[to + k] = image.data[from + k];
    }
  }
  return { ...image, data };
}

/**
 * The prompt on the mirror image of an image `width` pixels wide. The decoder sees a coordinate v at
 * v + ½ (SAM's pixel-centre shift, box corners included), so the mirror of v is width − 1 − v; a box's
 * corners swap. Kept ≥ 0: a box reaching the right border (x1 = width) starts at 0, not −1.
 */
export function mirrorPrompt<P extends Prompt>(prompt: P, width: number): P {
  const x = (v: number) => Math.max(width - 1 - v, 0);
  return {
    ...prompt,
    ...(prompt.points ? { points: prompt.points.map(([px, py]) => [x(px), py] as const) } : {}),
    ...(prompt.box ? { box: [x(prompt.box[2]), prompt.box[1], x(prompt.box[0]), prompt.box[3]] as const } : {}),
  };
}

/**
 * `count` maps of side × side low-resolution logits mirrored within the image's part of the padded
 * input (its first `inputWidth` of `imgSize` pixels): a cell centred at u reads the mirror position
 * inputWidth − u, linearly between the two nearest cells (exact cells where inputWidth is a whole
 * number of cells). Cells over the padding stay as they are. Mirroring twice returns the maps where
 * the width is a whole number of cells.
 */
export function mirrorLowRes(maps: Float32Array, count: number, side: number, imgSize: number, inputWidth: number): Float32Array {
  if (maps.length !== count * side * side) throw new Error(`mirrorLowRes: ${maps.length} values for ${count} maps of ${side}×${side}`);
  const f = imgSize / side;
  const out = Float32Array.from(maps);
  for (let c = 0; c < side; c++) {
    const centre = (c + 0.5) * f;
    if (centre >= inputWidth) break;
    const src = Math.min(Math.max((inputWidth - centre) / f - 0.5, 0), side - 1);
    const i0 = Math.floor(src);
    const i1 = Math.min(i0 + 1, side - 1);
    const t = src - i0;
    for (let row = 0; row < count * side; row++) {
      const base = row * side;
      out[base + c] = t === 0 ? maps[base + i0] : maps[base + i0] * (1 - t) + maps[base + i1] * t;
    }
  }
  return out;
}

/** The mean of a prediction and its mirror twin's (mirrored back): logits and scores. */
export function averageWithMirror(plain: LowResPrediction, mirrored: LowResPrediction, side: number, imgSize: number, inputWidth: number): LowResPrediction {
  if (plain.count !== mirrored.count) throw new Error(`flip averaging: ${plain.count} outputs against the mirror's ${mirrored.count}`);
  const back = mirrorLowRes(mirrored.lowResLogits, mirrored.count, side, imgSize, inputWidth);
  return {
    lowResLogits: Float32Array.from(plain.lowResLogits, (v, i) => (v + back[i]) / 2),
    scores: Float32Array.from(plain.scores, (v, i) => (v + mirrored.scores[i]) / 2),
    count: plain.count,
  };
}
