import { isBmp } from './bmp.js';
import { isDicom } from './dicom.js';

/** Image container formats that readImage decodes. */
export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'tiff' | 'webp' | 'bmp' | 'dicom';

/**
 * The format of an encoded image, from its first bytes (never trusting the extension, except that a
 * `.dcm`/`.dicom` name marks DICOM data sets written without the Part-10 preamble); undefined when unknown.
 */
export function detectImageFormat(bytes: Uint8Array, name = ''): ImageFormat | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (isDicom(bytes)) return 'dicom';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) {
    return 'webp';
  }
  if (isBmp(bytes)) return 'bmp';
  if (/\.(dcm|dicom)$/i.test(name) && bytes.length >= 8) return 'dicom';
  return undefined;
}

/** A short human description of unrecognised bytes, for the "unsupported format" error. */
export function describeUnknownBytes(bytes: Uint8Array): string {
  const head = bytes.subarray(0, Math.min(bytes.length, 64));
  const printable = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (printable) return 'it looks like text, not an image';
  const hex = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `first bytes ${hex}`;
}
