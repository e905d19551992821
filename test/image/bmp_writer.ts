/**
 * Test helper: writes uncompressed BMP files (sharp cannot): 24-bit BGR, 32-bit BGRX or BGRA with
 * bit-field masks (V4 header), and 1/4/8-bit palette images, bottom-up (the default) or top-down.
 */
export interface BmpSpec {
  width: number;
  height: number;
  bitsPerPixel: 1 | 4 | 8 | 24 | 32;
  /** RGB (24), RGBA or RGB (32) samples, or palette indices (≤ 8 bits); row-major, top row first. */
  pixels: number[];
  /** [r, g, b] entries for palette images. */
  palette?: [number, number, number][];
  topDown?: boolean;
  /** 32-bit only: write a V4 header whose masks include alpha. */
  alpha?: boolean;
}

export function buildBmp(spec: BmpSpec): Uint8Array {
  const { width, height, bitsPerPixel, pixels, palette = [], topDown = false, alpha = false } = spec;
  const v4 = bitsPerPixel === 32 && alpha;
  const headerSize = v4 ? 108 : 40;
  const paletteBytes = bitsPerPixel <= 8 ? palette.length * 4 : 0;
  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  const pixelOffset = 14 + headerSize + paletteBytes;
  const bytes = new Uint8Array(pixelOffset + stride * height);
  const view = new DataView(bytes.buffer);
  bytes.set([0x42, 0x4d]);
  view.setUint32(2, bytes.length, true);
  view.setUint32(10, pixelOffset, true);
  view.setUint32(14, headerSize, true);
  view.setInt32(18, width, true);
  view.setInt32(22, topDown ? -height : height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, bitsPerPixel, true);
  view.setUint32(30, v4 ? 3 : 0, true); // BI_BITFIELDS for the V4 alpha variant, else BI_RGB
  view.setUint32(46, bitsPerPixel <= 8 ? palette.length : 0, true);
  if (v4) {
    view.setUint32(54, 0x00ff0000, true);
    view.setUint32(58, 0x0000ff00, true);
    view.setUint32(62, 0x000000ff, true);
    view.setUint32(66, 0xff000000, true);
  }
  palette.forEach(([r, g, b], i) => bytes.set([b, g, r, 0], 14 + headerSize + i * 4));
  const samplesPerPixel = bitsPerPixel === 24 ? 3 : bitsPerPixel === 32 ? (alpha ? 4 : 3) : 1;
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * samplesPerPixel;
      if (bitsPerPixel <= 8) {
        const perByte = 8 / bitsPerPixel;
        const shift = 8 - bitsPerPixel * ((x % perByte) + 1);
        bytes[row + Math.floor(x / perByte)] |= pixels[s] << shift;
      } else {
        const at = row + x * (bitsPerPixel / 8);
        bytes[at] = pixels[s + 2];
        bytes[at + 1] = pixels[s + 1];
        bytes[at + 2] = pixels[s];
        if (bitsPerPixel === 32) bytes[at + 3] = alpha ? pixels[s + 3] : 0;
      }
    }
  }
  return bytes;
}
