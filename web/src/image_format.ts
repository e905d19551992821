// Which of the app's formats a file is, from its first bytes (names and MIME types lie), and the limit
// on image size the page accepts before it tries to decode.
import { isDicom } from '../../src/image/dicom.js';

export type ImageFormat = 'png' | 'jpeg' | 'dicom';

/**
 * Largest image the app opens, in pixels. Decoding keeps about 30 bytes per pixel alive at once (RGBA,
 * RGB, four candidate masks, their full-size logits), so 40 MP is already over a gigabyte.
 */
export const MAX_PIXELS = 40_000_000;

export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (isDicom(bytes)) return 'dicom';
  return undefined;
}

/**
 * Width and height a PNG or JPEG header declares, read before decoding so that an image too large
 * for memory is refused with its size instead of failing somewhere inside the browser's decoder.
 * Undefined when the header cannot be read (the decoder then says what is wrong).
 */
export function declaredSize(bytes: Uint8Array, format: 'png' | 'jpeg'): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'png') {
    // Signature (8), IHDR length (4) and type (4), then width and height, big-endian.
    if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return undefined;
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  // JPEG: walk the marker segments to the first start-of-frame (C0–CF except DHT C4, JPG C8, DAC CC).
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const length = view.getUint16(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > bytes.length) return undefined;
      return { width: view.getUint16(at + 7), height: view.getUint16(at + 5) };
    }
    if (marker === 0xda || length < 2) return undefined; // scan data before any frame header: not a JPEG we know
    at += 2 + length;
  }
  return undefined;
}

/** A clear refusal for an image over MAX_PIXELS, or undefined when it fits. */
export function sizeProblem(name: string, width: number, height: number, frames = 1): string | undefined {
  if (width * height <= MAX_PIXELS) return undefined;
  const mp = (width * height) / 1e6;
  return `${name}: the image is ${width}×${height} (${mp.toFixed(0)} MP${frames > 1 ? ` per frame` : ''}), too large for the browser's memory; the app opens images up to ${MAX_PIXELS / 1e6} MP`;
}
