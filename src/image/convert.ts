import type { RawImage } from './types.js';

/**
 * Any RawImage → 8-bit RGB (3 channels), the form SAM's encoder and the overlays work on.
 *
 * Grey is copied into R, G and B; alpha is dropped (not composited: ultrasound frames with alpha are
 * opaque in practice, and compositing onto a colour would invent pixel values). 16-bit images are
 * mapped linearly from the image's own min..max onto 0..255 because medical 16-bit data rarely uses
 * the full range — a 12-bit scanner's values in 0..4095 would all land in 0..15 under a fixed >> 8 —
 * so windowing on the data keeps the contrast the model needs. The min and max are taken over the
 * colour channels together, so colour balance is kept. A constant 16-bit image maps to 0.
 * 8-bit RGB input is returned as is (same object).
 */
export function toRgb8(image: RawImage): RawImage {
  const { width, height, channels, data } = image;
  if (channels < 1 || channels > 4) throw new RangeError(`toRgb8: images have 1 to 4 channels, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new RangeError(`toRgb8: data has ${data.length} values, expected ${width}×${height}×${channels}`);
  }
  if (channels === 3 && data instanceof Uint8Array) return image;
  const colourChannels = channels <= 2 ? 1 : 3;
  const pixels = width * height;
  let scale = (v: number) => v;
  if (data instanceof Uint16Array) {
    let min = Infinity;
    let max = -Infinity;
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < colourChannels; c++) {
        const v = data[p * channels + c];
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    const range = max - min;
    scale = range > 0 ? (v) => Math.round(((v - min) * 255) / range) : () => 0;
  }
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = scale(data[p * channels + (colourChannels === 1 ? 0 : c)]);
  }
  const result: RawImage = { data: out, width, height, channels: 3 };
  if (image.pixelSpacingMm) result.pixelSpacingMm = [...image.pixelSpacingMm];
  return result;
}
