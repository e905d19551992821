import { readFile } from 'node:fs/promises';
import { decodeBmp } from './bmp.js';
import { decodeWithSharp } from './decode_sharp.js';
import { readDicom, readDicomFrames, type JpegDecoder } from './dicom.js';
import { ImageReadError } from './errors.js';
import { describeUnknownBytes, detectImageFormat } from './format.js';
import type { RawImage } from './types.js';

/** Decoded pixels handed in directly (e.g. from a canvas); validated and used as they are. */
export interface RawImageLike {
  data: Uint8Array | Uint8ClampedArray | Uint16Array;
  width: number;
  height: number;
  channels: number;
  pixelSpacingMm?: [number, number];
}

/** A path, the bytes of an encoded file (Buffer, Uint8Array, ArrayBuffer), or decoded pixels. */
export type ImageSource = string | Uint8Array | ArrayBuffer | RawImageLike;

export interface ReadImageOptions {
  /** Frame of a multi-frame DICOM, from 0 (default 0). Other formats only have frame 0. */
  frame?: number;
  /** Name for error messages when the source is bytes or pixels (a path names itself). */
  name?: string;
}

const SUPPORTED = 'PNG, JPEG, BMP, TIFF, WebP, GIF or DICOM';

/** Read one image: PNG, JPEG, BMP, TIFF, WebP, GIF (first page) or DICOM (options.frame). */
export async function readImage(source: ImageSource, options: ReadImageOptions = {}): Promise<RawImage> {
  if (isRawImageLike(source)) {
    checkFrameZero(options.frame, options.name ?? 'image', 'raw pixels');
    return fromRaw(source, options.name ?? 'image');
  }
  const { bytes, name } = await loadBytes(source, options.name);
  const format = detectFormatOrThrow(bytes, name);
  if (format === 'dicom') return readDicom(bytes, { frame: options.frame, name, decodeJpeg: sharpJpegDecoder(name) });
  checkFrameZero(options.frame, name, format.toUpperCase());
  if (format === 'bmp') return decodeBmp(bytes, name);
  return decodeWithSharp(bytes, name, format);
}

/** Every frame of an image: all frames of a DICOM, the one image of any other format. */
export async function readImageFrames(source: ImageSource, options: Omit<ReadImageOptions, 'frame'> = {}): Promise<RawImage[]> {
  if (isRawImageLike(source)) return [fromRaw(source, options.name ?? 'image')];
  const { bytes, name } = await loadBytes(source, options.name);
  if (detectFormatOrThrow(bytes, name) === 'dicom') {
    return readDicomFrames(bytes, { name, decodeJpeg: sharpJpegDecoder(name) });
  }
  return [await readImage(bytes, { name })];
}

function isRawImageLike(source: ImageSource): source is RawImageLike {
  return typeof source === 'object' && source !== null && !(source instanceof Uint8Array) && !(source instanceof ArrayBuffer) && 'data' in source;
}

async function loadBytes(source: string | Uint8Array | ArrayBuffer, givenName: string | undefined): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (typeof source !== 'string') {
    const name = givenName ?? 'image buffer';
    if (!(source instanceof Uint8Array)) {
      throw new TypeError(`readImage(${name}): expected a path, a Buffer/Uint8Array/ArrayBuffer or {data, width, height, channels}`);
    }
    if (source.length === 0) throw new ImageReadError(name, 'empty', 'empty buffer (0 bytes)');
    return { bytes: source, name };
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(source);
  } catch (thrown) {
    const code = (thrown as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not an image file' : code === 'EACCES' ? 'permission denied' : (thrown as Error).message;
    throw new ImageReadError(source, 'unreadable', `cannot read image: ${why}`, { cause: thrown });
  }
  if (bytes.length === 0) throw new ImageReadError(source, 'empty', 'empty file (0 bytes)');
  return { bytes, name: source };
}

function detectFormatOrThrow(bytes: Uint8Array, name: string) {
  const format = detectImageFormat(bytes, name);
  if (!format) {
    throw new ImageReadError(name, 'unsupported', `unsupported image format (expected ${SUPPORTED}); ${describeUnknownBytes(bytes)}`);
  }
  return format;
}

function checkFrameZero(frame: number | undefined, name: string, what: string): void {
  if (frame !== undefined && frame !== 0) {
    throw new ImageReadError(name, 'invalid', `frame ${frame} does not exist: ${what} has a single frame (0)`);
  }
}

/** JPEG frames inside DICOM files go through the same sharp decoding as JPEG files. */
function sharpJpegDecoder(name: string): JpegDecoder {
  return (jpeg) => decodeWithSharp(jpeg, `${name} (embedded JPEG)`, 'jpeg');
}

function fromRaw(source: RawImageLike, name: string): RawImage {
  const { width, height, channels } = source;
  const invalid = (detail: string): never => {
    throw new ImageReadError(name, 'invalid', detail);
  };
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    invalid(`raw image size must be positive integers, got ${width}×${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) invalid(`raw image channels must be 1, 2, 3 or 4, got ${channels}`);
  const { data } = source;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Uint16Array)) {
    invalid('raw image data must be a Uint8Array, Uint8ClampedArray or Uint16Array');
  }
  if (data.length !== width * height * channels) {
    invalid(`raw image data has ${data.length} values, expected ${width}×${height}×${channels} = ${width * height * channels}`);
  }
  const image: RawImage = {
    data: data instanceof Uint8ClampedArray ? new Uint8Array(data.buffer, data.byteOffset, data.length) : data,
    width,
    height,
    channels,
  };
  if (source.pixelSpacingMm) image.pixelSpacingMm = source.pixelSpacingMm;
  return image;
}
