import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { Inflate } from 'fflate';
import { decodeNativeFrame, nativeFrameByteLength, type DicomPixelFormat, type PaletteLookup } from './dicom_pixels.js';
import { decodeRleFrame } from './dicom_rle.js';
import { dicomPixelSpacingMm } from './dicom_spacing.js';
import { ImageReadError, describeThrown } from './errors.js';
import { checkPixelCount, maxImagePixels } from './limits.js';
import type { RawImage } from './types.js';

/**
 * DICOM images (ultrasound above all) from the bytes of a file, with dicom-parser. Only Uint8Array and
 * pure-JS dependencies are used so that the same code runs in the browser; JPEG frames are handed to a
 * decoder that the caller supplies (sharp in Node, the browser's own decoder in the web app).
 */

/** Decodes one JPEG bitstream (8-bit grey or colour) to pixels. */
export type JpegDecoder = (jpeg: Uint8Array) => Promise<RawImage>;

export interface DicomReadOptions {
  /** Frame index for multi-frame files, from 0 (default 0). */
  frame?: number;
  /** Name used in error messages (the path, or e.g. the dropped file's name). */
  name?: string;
  /** Needed for JPEG-compressed files (transfer syntaxes 1.2.840.10008.1.2.4.50/.51). */
  decodeJpeg?: JpegDecoder;
}

/** What a DICOM file holds, read from its header without decoding pixels. */
export interface DicomInfo {
  width: number;
  height: number;
  frames: number;
  samplesPerPixel: number;
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  transferSyntax: string;
  /** Physical pixel size in mm [x, y] (ultrasound region calibration, else Pixel Spacing). */
  pixelSpacingMm?: [number, number];
  modality?: string;
  /**
   * Time of each frame from the first, in ms, for multi-frame files that say it: Frame Time Vector
   * (0018,1065, increments), else Frame Time (0018,1063), else Cine Rate (0018,0040, frames/s).
   */
  frameTimesMs?: number[];
}

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';
const RLE_LOSSLESS = '1.2.840.10008.1.2.5';

const NATIVE_SYNTAXES = new Set([IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE, EXPLICIT_BE]);

/** Names of transfer syntaxes that we cannot decode, to make the error say what the file is. */
const UNSUPPORTED_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.201': 'HTJ2K Lossless',
  '1.2.840.10008.1.2.4.202': 'HTJ2K Lossless RPCL',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
  '1.2.840.10008.1.2.4.100': 'MPEG-2',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265',
};

/** True when the bytes carry the Part-10 "DICM" magic after the 128-byte preamble. */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** Header facts of a DICOM image (size, frames, photometric, spacing), without decoding pixels. */
export function readDicomInfo(bytes: Uint8Array, name = 'DICOM buffer'): DicomInfo {
  return openDicom(bytes, name).info;
}

/** Decode one frame (options.frame, default 0) of a DICOM image. */
export async function readDicom(bytes: Uint8Array, options: DicomReadOptions = {}): Promise<RawImage> {
  const dicom = openDicom(bytes, options.name ?? 'DICOM buffer');
  const frame = options.frame ?? 0;
  if (!Number.isInteger(frame) || frame < 0 || frame >= dicom.info.frames) {
    throw new ImageReadError(dicom.name, 'invalid', `frame ${frame} does not exist (the file has ${dicom.info.frames} frame(s), numbered from 0)`);
  }
  return decodeFrame(dicom, frame, options.decodeJpeg);
}

/** Decode every frame of a DICOM image, in order. */
export async function readDicomFrames(bytes: Uint8Array, options: Omit<DicomReadOptions, 'frame'> = {}): Promise<RawImage[]> {
  const dicom = openDicom(bytes, options.name ?? 'DICOM buffer');
  const frames: RawImage[] = [];
  for (let i = 0; i < dicom.info.frames; i++) frames.push(await decodeFrame(dicom, i, options.decodeJpeg));
  return frames;
}

interface OpenDicom {
  name: string;
  dataSet: DataSet;
  pixelData: Element;
  format: DicomPixelFormat;
  info: DicomInfo;
}

function openDicom(bytes: Uint8Array, name: string): OpenDicom {
  if (bytes.length === 0) throw new ImageReadError(name, 'empty', 'empty file (0 bytes)');
  const dataSet = parse(bytes, name);
  const transferSyntax = (dataSet.string('x00020010') ?? IMPLICIT_LE).replace(/\0/g, '').trim();
  const pixelData = dataSet.elements.x7fe00010;
  if (!pixelData) {
    if (dataSet.elements.x7fe00008 || dataSet.elements.x7fe00009) {
      throw new ImageReadError(name, 'unsupported', 'DICOM float pixel data (7FE0,0008/0009) is not supported');
    }
    throw new ImageReadError(name, 'invalid', 'DICOM has no Pixel Data element (7FE0,0010): not an image');
  }
  const required = (tag: string, label: string): number => {
    const value = dataSet.uint16(tag);
    if (value === undefined) throw new ImageReadError(name, 'corrupt', `DICOM image lacks ${label} (${tag.slice(1, 5)},${tag.slice(5)})`);
    return value;
  };
  const rows = required('x00280010', 'Rows');
  const columns = required('x00280011', 'Columns');
  if (rows === 0 || columns === 0) throw new ImageReadError(name, 'empty', `DICOM image has zero size (${columns}×${rows})`);
  checkPixelCount(name, 'DICOM frame (Columns × Rows)', [columns, rows]);
  const bitsAllocated = required('x00280100', 'BitsAllocated');
  const photometric = (dataSet.string('x00280004') ?? 'MONOCHROME2').trim().toUpperCase();
  const samplesPerPixel = dataSet.uint16('x00280002') ?? (photometric.startsWith('MONOCHROME') || photometric === 'PALETTE COLOR' ? 1 : 3);
  const bitsStored = dataSet.uint16('x00280101') ?? bitsAllocated;
  const frames = dataSet.intString('x00280008') ?? 1;
  if (!Number.isInteger(frames) || frames < 1) throw new ImageReadError(name, 'corrupt', `DICOM NumberOfFrames is ${frames}`);
  const format: DicomPixelFormat = {
    rows,
    columns,
    samplesPerPixel,
    photometric,
    bitsAllocated,
    bitsStored,
    highBit: dataSet.uint16('x00280102') ?? bitsStored - 1,
    pixelRepresentation: dataSet.uint16('x00280103') ?? 0,
    planarConfiguration: dataSet.uint16('x00280006') ?? 0,
    littleEndian: transferSyntax !== EXPLICIT_BE,
  };
  if (photometric === 'PALETTE COLOR') format.palette = readPalette(dataSet, format, name);
  const info: DicomInfo = { width: columns, height: rows, frames, samplesPerPixel, photometric, bitsAllocated, bitsStored, transferSyntax };
  const spacing = dicomPixelSpacingMm(dataSet);
  if (spacing) info.pixelSpacingMm = spacing;
  const modality = dataSet.string('x00080060');
  if (modality) info.modality = modality;
  const times = frameTimesMs(dataSet, frames);
  if (times) info.frameTimesMs = times;
  return { name, dataSet, pixelData, format, info };
}

/** Frame times (see DicomInfo.frameTimesMs); undefined when the file gives none, or none that fits. */
function frameTimesMs(dataSet: DataSet, frames: number): number[] | undefined {
  if (frames < 2) return undefined;
  const vector = dataSet.string('x00181065');
  if (vector) {
    // The first entry is 0 and each later one the time since the previous frame.
    const steps = vector.split('\\').map(Number);
    if (steps.length === frames && steps.every((v) => Number.isFinite(v) && v >= 0)) {
      let t = 0;
      return steps.map((v, i) => (t += i === 0 ? 0 : v));
    }
  }
  const frameTime = dataSet.floatString('x00181063');
  const cineRate = dataSet.intString('x00180040');
  const step = frameTime !== undefined && frameTime > 0 ? frameTime : cineRate !== undefined && cineRate > 0 ? 1000 / cineRate : undefined;
  return step === undefined ? undefined : Array.from({ length: frames }, (_, i) => i * step);
}

function parse(bytes: Uint8Array, name: string): DataSet {
  // Files without the Part-10 preamble and meta header are bare data sets; guess their encoding
  // from whether a two-letter VR follows the first tag.
  const options: dicomParser.ParseDicomOptions = {
    inflater: (array, position) => inflateDataSet(array, position, name),
  } as dicomParser.ParseDicomOptions;
  if (!isDicom(bytes)) {
    const vr = String.fromCharCode(bytes[4] ?? 0, bytes[5] ?? 0);
    options.TransferSyntaxUID = /^[A-Z]{2}$/.test(vr) ? EXPLICIT_LE : IMPLICIT_LE;
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, options);
  } catch (thrown) {
    if (thrown instanceof ImageReadError) throw thrown;
    const detail = describeThrown(thrown);
    const truncated = /overrun|overread|past end|beyond|eof/i.test(detail);
    const what = truncated ? 'truncated DICOM (the data ends inside an element)' : 'cannot parse DICOM';
    throw new ImageReadError(name, truncated ? 'truncated' : 'corrupt', `${what}: ${detail}`, { cause: thrown });
  }
  return dataSet;
}

/** A deflated data set may inflate to at most this many bytes per pixel of the pixel cap (one 8-bit RGBA or 16-bit grey+alpha frame at the cap). */
const DEFLATED_BYTES_PER_CAPPED_PIXEL = 4;

/**
 * Inflates a Deflated Explicit VR data set (everything after the file meta group at `position`),
 * a few kilobytes of input at a time, stopping once the output passes the cap: a deflated DICOM of
 * a megabyte can otherwise expand to a gigabyte before its header is even read.
 */
function inflateDataSet(array: Uint8Array, position: number, name: string): Uint8Array {
  const cap = DEFLATED_BYTES_PER_CAPPED_PIXEL * maxImagePixels();
  const chunks: Uint8Array[] = [array.subarray(0, position)];
  let total = position;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    if (total > cap) {
      throw new ImageReadError(
        name,
        'too-large',
        `deflated DICOM data set inflates past ${cap.toLocaleString('en-US')} bytes (${DEFLATED_BYTES_PER_CAPPED_PIXEL} bytes per pixel of the limit; raise it with --max-pixels)`,
      );
    }
    chunks.push(chunk);
  });
  const compressed = array.subarray(position);
  const step = 4096; // at most ~4 MB of output per push (deflate expands at most ~1032:1)
  for (let at = 0; at < compressed.length || at === 0; at += step) {
    inflater.push(compressed.subarray(at, at + step), at + step >= compressed.length);
  }
  const whole = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.length;
  }
  return whole;
}

async function decodeFrame(dicom: OpenDicom, frame: number, decodeJpeg: JpegDecoder | undefined): Promise<RawImage> {
  const { name, pixelData, format, info } = dicom;
  const syntax = info.transferSyntax;
  let image: RawImage;
  if (NATIVE_SYNTAXES.has(syntax)) {
    if (pixelData.encapsulatedPixelData) {
      throw new ImageReadError(name, 'corrupt', `transfer syntax ${syntax} is uncompressed but the pixel data is encapsulated`);
    }
    image = decodeNativeFrame(nativeFrameBytes(dicom, frame), format, name);
  } else if (syntax === RLE_LOSSLESS) {
    const bytes = encapsulatedFrame(dicom, frame);
    const native = decodeRleFrame(bytes, format.rows * format.columns, format.samplesPerPixel, format.bitsAllocated, name);
    image = decodeNativeFrame(native, { ...format, littleEndian: true, planarConfiguration: 0 }, name);
  } else if (syntax === JPEG_BASELINE || (syntax === JPEG_EXTENDED && format.bitsStored <= 8)) {
    if (!decodeJpeg) {
      throw new ImageReadError(name, 'unsupported', `transfer syntax ${syntax} (JPEG) needs a JPEG decoder, and none was given`);
    }
    image = await decodeJpegFrame(dicom, frame, decodeJpeg);
  } else {
    const label = UNSUPPORTED_NAMES[syntax] ?? (syntax === JPEG_EXTENDED ? 'JPEG Extended 12-bit' : 'unknown');
    throw new ImageReadError(name, 'unsupported', `transfer syntax ${syntax} (${label}) is not supported; supported: uncompressed (implicit/explicit VR, deflated), RLE Lossless, JPEG Baseline`);
  }
  if (info.pixelSpacingMm) image.pixelSpacingMm = [...info.pixelSpacingMm];
  return image;
}

function nativeFrameBytes(dicom: OpenDicom, frame: number): Uint8Array {
  const { name, dataSet, pixelData, format, info } = dicom;
  const frameLength = nativeFrameByteLength(format);
  const start = pixelData.dataOffset + frame * frameLength;
  const end = start + frameLength;
  const available = dataSet.byteArray.length;
  if (end > available || (pixelData.length !== 0xffffffff && frameLength * info.frames > pixelData.length)) {
    throw new ImageReadError(
      name,
      end > available ? 'truncated' : 'corrupt',
      `DICOM pixel data is too short: ${info.frames} frame(s) of ${info.width}×${info.height}×${format.samplesPerPixel} at ${format.bitsAllocated} bits need ${frameLength * info.frames} bytes, ` +
        `the element declares ${pixelData.length} and the file holds ${Math.max(available - pixelData.dataOffset, 0)}`,
    );
  }
  let bytes = dataSet.byteArray.subarray(start, end);
  // In big-endian files 8-bit samples in an OW element have each pair of bytes swapped.
  if (!format.littleEndian && format.bitsAllocated === 8 && pixelData.vr === 'OW') {
    const swapped = new Uint8Array(bytes.length);
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      swapped[i] = bytes[i + 1];
      swapped[i + 1] = bytes[i];
    }
    bytes = swapped;
  }
  return bytes;
}

function encapsulatedFrame(dicom: OpenDicom, frame: number): Uint8Array {
  const { name, dataSet, pixelData, info } = dicom;
  const fragments = pixelData.fragments ?? [];
  if (!pixelData.encapsulatedPixelData || fragments.length === 0) {
    throw new ImageReadError(name, 'corrupt', `transfer syntax ${info.transferSyntax} needs encapsulated pixel data, and there is none`);
  }
  try {
    if (info.frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, 0, fragments.length);
    if ((pixelData.basicOffsetTable ?? []).length > 0) return dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, frame);
    // Without an offset table, one fragment per frame is by far the usual layout.
    if (fragments.length === info.frames) return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, frame, 1);
    const table = dicomParser.createJPEGBasicOffsetTable(dataSet, pixelData);
    return dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, frame, table);
  } catch (thrown) {
    throw new ImageReadError(name, 'corrupt', `cannot extract frame ${frame}: ${describeThrown(thrown)}`, { cause: thrown });
  }
}

async function decodeJpegFrame(dicom: OpenDicom, frame: number, decodeJpeg: JpegDecoder): Promise<RawImage> {
  const { name, format } = dicom;
  let image: RawImage;
  try {
    image = await decodeJpeg(encapsulatedFrame(dicom, frame));
  } catch (thrown) {
    if (thrown instanceof ImageReadError) throw thrown;
    throw new ImageReadError(name, 'corrupt', `cannot decode the JPEG data of frame ${frame}: ${describeThrown(thrown)}`, { cause: thrown });
  }
  if (image.width !== format.columns || image.height !== format.rows) {
    throw new ImageReadError(name, 'corrupt', `frame ${frame} decodes to ${image.width}×${image.height}, the header says ${format.columns}×${format.rows}`);
  }
  // The JPEG decoder already turned YCbCr into RGB; only MONOCHROME1's inverted greys remain to fix.
  if (format.photometric === 'MONOCHROME1') {
    const max = image.data instanceof Uint16Array ? 65535 : 255;
    for (let i = 0; i < image.data.length; i++) image.data[i] = max - image.data[i];
  }
  return image;
}

function readPalette(dataSet: DataSet, format: DicomPixelFormat, name: string): PaletteLookup {
  const channel = (descriptorTag: string, dataTag: string, label: string): { first: number; table: Uint8Array } => {
    const descriptor = dataSet.elements[descriptorTag];
    const data = dataSet.elements[dataTag];
    if (!descriptor || !data) {
      const segmented = dataSet.elements.x00281221 ? ' (segmented palettes are not supported)' : '';
      throw new ImageReadError(name, 'unsupported', `PALETTE COLOR DICOM without a ${label} lookup table${segmented}`);
    }
    const entries = dataSet.uint16(descriptorTag, 0) || 65536; // 0 stands for 2^16 entries
    const first = format.pixelRepresentation === 1 ? (dataSet.int16(descriptorTag, 1) ?? 0) : (dataSet.uint16(descriptorTag, 1) ?? 0);
    const bitsPerEntry = dataSet.uint16(descriptorTag, 2) ?? 16;
    const bytes = dataSet.byteArray.subarray(data.dataOffset, data.dataOffset + data.length);
    const table = new Uint8Array(entries);
    if (bytes.length === entries)
      table.set(bytes); // 8-bit entries packed one per byte
    else {
      if (bytes.length < entries * 2) throw new ImageReadError(name, 'corrupt', `${label} palette has ${bytes.length} bytes for ${entries} entries`);
      const words = new Uint16Array(entries);
      let max = 0;
      for (let i = 0; i < entries; i++) {
        words[i] = format.littleEndian ? bytes[2 * i] | (bytes[2 * i + 1] << 8) : (bytes[2 * i] << 8) | bytes[2 * i + 1];
        max = Math.max(max, words[i]);
      }
      // Some writers declare 16-bit entries but store 8-bit values; only scale when the values need it.
      const shift = bitsPerEntry > 8 && max > 255 ? bitsPerEntry - 8 : 0;
      for (let i = 0; i < entries; i++) table[i] = Math.min(words[i] >> shift, 255);
    }
    return { first, table };
  };
  const red = channel('x00281101', 'x00281201', 'red');
  const green = channel('x00281102', 'x00281202', 'green');
  const blue = channel('x00281103', 'x00281203', 'blue');
  return { firstMapped: red.first, red: red.table, green: green.table, blue: blue.table };
}
