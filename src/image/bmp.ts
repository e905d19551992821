import { ImageReadError } from './errors.js';
import { checkPixelCount } from './limits.js';
import type { RawImage } from './types.js';

/**
 * Windows BMP decoder for the uncompressed variants (sharp/libvips has no BMP loader): 1/4/8-bit
 * palette, 16-bit (5-5-5 or bit fields), 24-bit BGR and 32-bit BGRX/BGRA, bottom-up or top-down.
 * Works on a Uint8Array alone so it also runs in the browser.
 */

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

/** True when the bytes start with the BMP signature "BM" and are long enough to hold its headers. */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** One colour channel of a bit-field pixel: where it sits and how to stretch it to 0..255. */
interface Field {
  mask: number;
  shift: number;
  max: number;
}

function field(mask: number): Field | null {
  if (mask === 0) return null;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { mask, shift, max: mask >>> shift };
}

function extract(value: number, f: Field | null): number {
  if (!f) return 0;
  return Math.round((((value & f.mask) >>> f.shift) * 255) / f.max);
}

/** Decode a BMP file; `name` is used in error messages. */
export function decodeBmp(bytes: Uint8Array, name = 'BMP buffer'): RawImage {
  const fail = (kind: 'corrupt' | 'unsupported' | 'truncated', detail: string): never => {
    throw new ImageReadError(name, kind, detail);
  };
  if (!isBmp(bytes)) fail('corrupt', 'not a BMP file (no "BM" signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  const core = headerSize === 12; // OS/2 BITMAPCOREHEADER: 16-bit sizes, 3-byte palette entries
  if (!core && headerSize < 40) fail('corrupt', `BMP header size ${headerSize} is not a known DIB header`);
  if (14 + headerSize > bytes.length) fail('truncated', 'BMP file ends inside its header');

  const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
  const rawHeight = core ? view.getUint16(20, true) : view.getInt32(22, true);
  const bitsPerPixel = core ? view.getUint16(24, true) : view.getUint16(28, true);
  const compression = core ? BI_RGB : view.getUint32(30, true);
  const coloursUsed = core ? 0 : view.getUint32(46, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width < 0) fail('corrupt', `BMP has a negative width ${width}`);
  if (width === 0 || height === 0) throw new ImageReadError(name, 'empty', `BMP has zero size (${width}×${height})`);
  checkPixelCount(name, 'BMP', [width, height]);
  if (compression === BI_RLE8 || compression === BI_RLE4) {
    fail('unsupported', 'run-length-encoded BMP (RLE4/RLE8) is not supported; save it uncompressed or as PNG');
  }
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    fail('unsupported', `BMP compression ${compression} (embedded JPEG/PNG or unknown) is not supported`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) fail('unsupported', `BMP with ${bitsPerPixel} bits per pixel`);

  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  if (pixelOffset + stride * height > bytes.length) {
    fail('truncated', `BMP pixel data needs ${stride * height} bytes from offset ${pixelOffset}, file has ${bytes.length}`);
  }
  const rowStart = (y: number) => pixelOffset + (topDown ? y : height - 1 - y) * stride;

  if (bitsPerPixel <= 8) {
    const entrySize = core ? 3 : 4;
    const paletteStart = 14 + headerSize;
    const paletteSize = coloursUsed || 1 << bitsPerPixel;
    if (paletteStart + paletteSize * entrySize > pixelOffset) fail('corrupt', 'BMP palette overlaps the pixel data');
    const palette = bytes.subarray(paletteStart, paletteStart + paletteSize * entrySize);
    let grey = true;
    for (let i = 0; i < paletteSize; i++) {
      const b = palette[i * entrySize];
      if (palette[i * entrySize + 1] !== b || palette[i * entrySize + 2] !== b) grey = false;
    }
    const channels = grey ? 1 : 3;
    const data = new Uint8Array(width * height * channels);
    const perByte = 8 / bitsPerPixel;
    const indexMask = (1 << bitsPerPixel) - 1;
    for (let y = 0; y < height; y++) {
      const row = rowStart(y);
      for (let x = 0; x < width; x++) {
        const byte = bytes[row + Math.floor(x / perByte)];
        // Pixels are packed from the most significant bits down.
        const index = (byte >> (8 - bitsPerPixel * ((x % perByte) + 1))) & indexMask;
        if (index >= paletteSize) fail('corrupt', `BMP pixel (${x}, ${y}) uses colour ${index} of a ${paletteSize}-entry palette`);
        const o = (y * width + x) * channels;
        if (grey) data[o] = palette[index * entrySize];
        else {
          data[o] = palette[index * entrySize + 2];
          data[o + 1] = palette[index * entrySize + 1];
          data[o + 2] = palette[index * entrySize];
        }
      }
    }
    return { data, width, height, channels };
  }

  if (bitsPerPixel === 24) {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      const row = rowStart(y);
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        data[o] = bytes[row + x * 3 + 2];
        data[o + 1] = bytes[row + x * 3 + 1];
        data[o + 2] = bytes[row + x * 3];
      }
    }
    return { data, width, height, channels: 3 };
  }

  // 16 and 32 bits: fixed layouts unless the header gives bit fields (after a 40-byte header, or inside V2+ headers).
  let masks: [number, number, number, number];
  if (compression === BI_RGB) {
    masks = bitsPerPixel === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0xff00, 0xff, 0];
  } else {
    const at = 14 + 40;
    const alphaInHeader = headerSize >= 56 || compression === BI_ALPHABITFIELDS;
    if (at + (alphaInHeader ? 16 : 12) > bytes.length) fail('truncated', 'BMP file ends inside its bit-field masks');
    masks = [view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true), alphaInHeader ? view.getUint32(at + 12, true) : 0];
  }
  const [red, green, blue, alpha] = masks.map(field);
  const channels = alpha ? 4 : 3;
  const data = new Uint8Array(width * height * channels);
  let anyAlpha = false;
  for (let y = 0; y < height; y++) {
    const row = rowStart(y);
    for (let x = 0; x < width; x++) {
      const value = bitsPerPixel === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true);
      const o = (y * width + x) * channels;
      data[o] = extract(value, red);
      data[o + 1] = extract(value, green);
      data[o + 2] = extract(value, blue);
      if (alpha) {
        data[o + 3] = extract(value, alpha);
        if (data[o + 3] !== 0) anyAlpha = true;
      }
    }
  }
  // Many writers declare an alpha mask but leave it all zero: treat that as opaque, not invisible.
  if (alpha && !anyAlpha) {
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) rgb.set(data.subarray(j, j + 3), i);
    return { data: rgb, width, height, channels: 3 };
  }
  return { data, width, height, channels };
}
