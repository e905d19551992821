import { ImageReadError } from './errors.js';
import type { RawImage } from './types.js';

/** Image Pixel module attributes that say how a frame's bytes are laid out. */
export interface DicomPixelFormat {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  /** e.g. MONOCHROME2, RGB, YBR_FULL_422, PALETTE COLOR. */
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  /** 0 colour-by-pixel (RGBRGB…), 1 colour-by-plane (RR…GG…BB…). */
  planarConfiguration: number;
  littleEndian: boolean;
  /** Red, green, blue lookup tables of a PALETTE COLOR image. */
  palette?: PaletteLookup;
}

export interface PaletteLookup {
  /** The stored value that maps to entry 0; smaller values use entry 0, larger ones the last entry. */
  firstMapped: number;
  /** 8-bit red, green and blue entries. */
  red: Uint8Array;
  green: Uint8Array;
  blue: Uint8Array;
}

/** Bytes one uncompressed frame occupies. */
export function nativeFrameByteLength(f: DicomPixelFormat): number {
  // YBR_FULL_422 stores each horizontal pair of pixels as four samples Y0 Y1 Cb Cr.
  const samples = f.photometric === 'YBR_FULL_422' ? f.rows * Math.ceil(f.columns / 2) * 4 : f.rows * f.columns * f.samplesPerPixel;
  return (samples * f.bitsAllocated) / 8;
}

/**
 * Turn one uncompressed frame into a RawImage: grey stays one channel, colour becomes interleaved RGB.
 *
 * Signed samples are shifted by 2^(bitsStored−1) so that they fit the unsigned arrays of RawImage with
 * their order kept (the display path windows over min..max, so only order and spacing matter).
 * MONOCHROME1 (0 = white) is inverted so that every grey image reads 0 = black, as SAM expects.
 */
export function decodeNativeFrame(bytes: Uint8Array, f: DicomPixelFormat, name: string): RawImage {
  const { rows: height, columns: width } = f;
  const pixels = width * height;
  const unsupported = (detail: string): never => {
    throw new ImageReadError(name, 'unsupported', detail);
  };
  if (f.bitsAllocated !== 8 && f.bitsAllocated !== 16) {
    unsupported(`DICOM BitsAllocated ${f.bitsAllocated} is not supported (only 8 and 16)`);
  }
  if (f.bitsStored < 1 || f.bitsStored > f.bitsAllocated || f.highBit >= f.bitsAllocated || f.highBit + 1 < f.bitsStored) {
    throw new ImageReadError(name, 'corrupt', `inconsistent DICOM bit layout: BitsAllocated ${f.bitsAllocated}, BitsStored ${f.bitsStored}, HighBit ${f.highBit}`);
  }
  const read = sampleReader(bytes, f);

  switch (f.photometric) {
    case 'MONOCHROME1':
    case 'MONOCHROME2': {
      if (f.samplesPerPixel !== 1) unsupported(`${f.photometric} with ${f.samplesPerPixel} samples per pixel`);
      const data = f.bitsAllocated === 8 ? new Uint8Array(pixels) : new Uint16Array(pixels);
      const max = 2 ** f.bitsStored - 1;
      const invert = f.photometric === 'MONOCHROME1';
      for (let i = 0; i < pixels; i++) data[i] = invert ? max - read(i) : read(i);
      return { data, width, height, channels: 1 };
    }
    case 'RGB':
    case 'YBR_FULL': {
      if (f.samplesPerPixel !== 3) unsupported(`${f.photometric} with ${f.samplesPerPixel} samples per pixel`);
      const ybr = f.photometric === 'YBR_FULL';
      if (ybr && f.bitsAllocated !== 8) unsupported('YBR_FULL with 16-bit samples');
      const data = f.bitsAllocated === 8 ? new Uint8Array(pixels * 3) : new Uint16Array(pixels * 3);
      const planar = f.planarConfiguration === 1;
      for (let i = 0; i < pixels; i++) {
        const a = read(planar ? i : i * 3);
        const b = read(planar ? pixels + i : i * 3 + 1);
        const c = read(planar ? 2 * pixels + i : i * 3 + 2);
        if (ybr) ybrToRgb(a, b, c, data as Uint8Array, i * 3);
        else {
          data[i * 3] = a;
          data[i * 3 + 1] = b;
          data[i * 3 + 2] = c;
        }
      }
      return { data, width, height, channels: 3 };
    }
    case 'YBR_FULL_422': {
      if (f.bitsAllocated !== 8) unsupported('YBR_FULL_422 with 16-bit samples');
      const data = new Uint8Array(pixels * 3);
      // Per row, each pair of pixels is stored as Y0 Y1 Cb Cr (an odd last pixel still takes a full group).
      const groupsPerRow = Math.ceil(width / 2);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const group = (y * groupsPerRow + (x >> 1)) * 4;
          ybrToRgb(read(group + (x & 1)), read(group + 2), read(group + 3), data, (y * width + x) * 3);
        }
      }
      return { data, width, height, channels: 3 };
    }
    case 'PALETTE COLOR': {
      if (!f.palette) {
        throw new ImageReadError(name, 'corrupt', 'PALETTE COLOR DICOM without its red/green/blue lookup tables');
      }
      const { firstMapped, red, green, blue } = f.palette;
      const last = red.length - 1;
      const data = new Uint8Array(pixels * 3);
      for (let i = 0; i < pixels; i++) {
        // Palette indices are used as stored, without the signed offset of read().
        const index = Math.min(Math.max(rawSigned(read(i), f) - firstMapped, 0), last);
        data[i * 3] = red[index];
        data[i * 3 + 1] = green[index];
        data[i * 3 + 2] = blue[index];
      }
      return { data, width, height, channels: 3 };
    }
    default:
      return unsupported(`DICOM photometric interpretation "${f.photometric}" is not supported for uncompressed data`);
  }
}

/** Sample i of the frame as an unsigned value in [0, 2^bitsStored). */
function sampleReader(bytes: Uint8Array, f: DicomPixelFormat): (i: number) => number {
  const shift = f.highBit + 1 - f.bitsStored;
  const mask = 2 ** f.bitsStored - 1;
  const signBit = 2 ** (f.bitsStored - 1);
  const signed = f.pixelRepresentation === 1;
  const stored = f.bitsAllocated === 8 ? (i: number) => bytes[i] : f.littleEndian ? (i: number) => bytes[2 * i] | (bytes[2 * i + 1] << 8) : (i: number) => (bytes[2 * i] << 8) | bytes[2 * i + 1];
  if (!signed && shift === 0 && f.bitsStored === f.bitsAllocated) return stored;
  return (i) => {
    const v = (stored(i) >>> shift) & mask;
    // Two's complement → offset binary: −2^(n−1) becomes 0, 0 becomes 2^(n−1).
    return signed ? v ^ signBit : v;
  };
}

/** Undo sampleReader's signed offset, for palette indices. */
function rawSigned(v: number, f: DicomPixelFormat): number {
  return f.pixelRepresentation === 1 ? v - 2 ** (f.bitsStored - 1) : v;
}

/** Full-range YCbCr (JPEG/JFIF, DICOM YBR_FULL) → RGB, rounded and clamped. */
function ybrToRgb(y: number, cb: number, cr: number, out: Uint8Array, at: number): void {
  const u = cb - 128;
  const v = cr - 128;
  out[at] = clamp255(y + 1.402 * v);
  out[at + 1] = clamp255(y - 0.344136 * u - 0.714136 * v);
  out[at + 2] = clamp255(y + 1.772 * u);
}

function clamp255(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x);
}
