import { toRgb8 } from './convert.js';
import type { RawImage } from './types.js';

/** An RGB colour, each component 0..255. */
export type Rgb = [number, number, number];

export interface OverlayMask {
  /** Row-major width×height, non-zero = object. */
  mask: Uint8Array;
  /** Defaults to the next colour of OVERLAY_PALETTE. */
  color?: Rgb;
}

export interface OverlayOptions {
  /** Opacity of the mask fill, 0..1 (default 0.45). */
  alpha?: number;
  /** Draw the 1-pixel outline of each mask in its full colour (default true). */
  contour?: boolean;
}

/** Distinct, saturated colours for successive masks. */
export const OVERLAY_PALETTE: readonly Rgb[] = [
  [255, 64, 64],
  [64, 200, 255],
  [255, 210, 0],
  [80, 230, 80],
  [230, 90, 255],
  [255, 140, 30],
];

/**
 * The image as 8-bit RGB with masks drawn on it: each mask's pixels are blended towards its colour by
 * `alpha`, then its contour (mask pixels with a 4-neighbour outside the mask or on the image border)
 * is painted opaque so the boundary stays visible on any background. Later masks draw over earlier ones.
 */
export function renderOverlay(image: RawImage, masks: OverlayMask[], options: OverlayOptions = {}): RawImage {
  const alpha = options.alpha ?? 0.45;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`renderOverlay: alpha must be in 0..1, got ${alpha}`);
  const drawContour = options.contour ?? true;
  const base = toRgb8(image);
  const { width, height } = base;
  const out = new Uint8Array(base.data);
  masks.forEach(({ mask, color }, index) => {
    if (mask.length !== width * height) {
      throw new RangeError(`renderOverlay: mask ${index} has ${mask.length} pixels, the image ${width}×${height} = ${width * height}`);
    }
    const rgb = color ?? OVERLAY_PALETTE[index % OVERLAY_PALETTE.length];
    if (rgb.length !== 3 || rgb.some((v) => !(v >= 0 && v <= 255))) {
      throw new RangeError(`renderOverlay: mask ${index} colour must be three values in 0..255, got [${rgb.join(', ')}]`);
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        if (!mask[i]) continue;
        const edge = drawContour && (x === 0 || y === 0 || x === width - 1 || y === height - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width]);
        for (let c = 0; c < 3; c++) {
          out[i * 3 + c] = edge ? rgb[c] : Math.round(out[i * 3 + c] * (1 - alpha) + rgb[c] * alpha);
        }
      }
    }
  });
  const result: RawImage = { data: out, width, height, channels: 3 };
  if (base.pixelSpacingMm) result.pixelSpacingMm = [...base.pixelSpacingMm];
  return result;
}
