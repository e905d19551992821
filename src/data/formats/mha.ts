/**
 * MetaImage (ITK) files: a single .mha (text header then binary data) or a .mhd header with its
 * .raw / .zraw data file. NDims 2 to 4, ElementType MET_UCHAR, MET_CHAR, MET_SHORT, MET_USHORT,
 * MET_INT, MET_UINT, MET_FLOAT, MET_DOUBLE; ElementNumberOfChannels (interleaved); CompressedData
 * (zlib); BinaryDataByteOrderMSB / ElementByteOrderMSB; ElementSpacing (millimetres by ITK
 * convention); HeaderSize for .mhd data files.
 *
 * Frame orientation: see volume.ts — frame k has width DimSize[0] (x) and height DimSize[1] (y);
 * frames are numbered over DimSize[2] (then DimSize[3]).
 */
import { open } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { checkPixelCount } from '../../image/limits.js';
import { openByteReader, type ByteReader } from './byte_reader.js';
import { frameCount, frameSpacing, type Volume, type VolumeFrame } from './volume.js';
import { decodeVoxels, VOXEL_BYTES, type VoxelType } from './voxel_decode.js';

export interface MetaImageHeader {
  /** Every header field, as written (keys as in the file). */
  fields: Record<string, string>;
  dims: number[];
  channels: number;
  spacing: number[];
  voxelType: VoxelType;
  littleEndian: boolean;
  compressed: boolean;
  /** File holding the voxels and the byte offset where they start. */
  dataFile: string;
  dataOffset: number;
}

const ELEMENT_TYPES: Record<string, VoxelType> = {
  MET_UCHAR: 'uint8',
  MET_CHAR: 'int8',
  MET_SHORT: 'int16',
  MET_USHORT: 'uint16',
  MET_INT: 'int32',
  MET_UINT: 'uint32',
  MET_FLOAT: 'float32',
  MET_DOUBLE: 'float64',
};

const MAX_HEADER_BYTES = 1 << 20;

/** Reads the text header: every `Key = Value` line up to and including ElementDataFile. */
async function readHeaderText(path: string): Promise<{ fields: Record<string, string>; headerBytes: number }> {
  const handle = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let text = '';
    let offset = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
      if (bytesRead === 0) break;
      text += chunk.subarray(0, bytesRead).toString('latin1');
      offset += bytesRead;
      const match = /^[ \t]*ElementDataFile[ \t]*=[^\n]*(\n|$)/m.exec(text);
      if (match && (match[1] === '\n' || bytesRead < chunk.length)) {
        const end = match.index + match[0].length;
        const fields: Record<string, string> = {};
        for (const line of text.slice(0, end).split('\n')) {
          const eq = line.indexOf('=');
          if (eq < 0) continue;
          fields[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
        }
        return { fields, headerBytes: Buffer.byteLength(text.slice(0, end), 'latin1') };
      }
      if (offset > MAX_HEADER_BYTES) break;
    }
    throw new Error(`${path}: not a MetaImage header (no ElementDataFile line in the first ${Math.min(offset, MAX_HEADER_BYTES)} bytes)`);
  } finally {
    await handle.close();
  }
}

function parseNumbers(path: string, key: string, value: string | undefined, count: number): number[] {
  if (value === undefined) throw new Error(`${path}: missing ${key}`);
  const numbers = value.split(/\s+/).filter(Boolean).map(Number);
  if (numbers.length < count || numbers.some((n) => !Number.isFinite(n))) {
    throw new Error(`${path}: ${key} = "${value}" is not ${count} numbers`);
  }
  return numbers.slice(0, count);
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(true|1)$/i.test(value);
}

/** Parses the header of a .mha or .mhd file and locates its voxel data. */
export async function readMetaImageHeader(path: string): Promise<MetaImageHeader> {
  const { fields, headerBytes } = await readHeaderText(path);
  const objectType = fields.ObjectType;
  if (objectType !== undefined && objectType.toLowerCase() !== 'image') {
    throw new Error(`${path}: ObjectType is "${objectType}", only Image is supported`);
  }
  const ndims = Number(fields.NDims);
  if (!Number.isInteger(ndims) || ndims < 2 || ndims > 4) throw new Error(`${path}: NDims = "${fields.NDims}", expected 2, 3 or 4`);
  const dims = parseNumbers(path, 'DimSize', fields.DimSize, ndims);
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`${path}: invalid DimSize "${fields.DimSize}"`);
  checkPixelCount(path, 'MetaImage frame (DimSize x × y)', dims.slice(0, 2));
  const voxelType = ELEMENT_TYPES[fields.ElementType ?? ''];
  if (!voxelType) {
    throw new Error(`${path}: unsupported ElementType "${fields.ElementType}" (supported: ${Object.keys(ELEMENT_TYPES).join(', ')})`);
  }
  const channels = fields.ElementNumberOfChannels === undefined ? 1 : Number(fields.ElementNumberOfChannels);
  if (!Number.isInteger(channels) || channels < 1) throw new Error(`${path}: invalid ElementNumberOfChannels "${fields.ElementNumberOfChannels}"`);
  const spacingText = fields.ElementSpacing ?? fields.ElementSize;
  const spacing = spacingText === undefined ? dims.map(() => 1) : parseNumbers(path, 'ElementSpacing', spacingText, ndims);
  const littleEndian = !isTrue(fields.BinaryDataByteOrderMSB ?? fields.ElementByteOrderMSB);
  const compressed = isTrue(fields.CompressedData);
  if (fields.BinaryData !== undefined && !isTrue(fields.BinaryData)) throw new Error(`${path}: ASCII (BinaryData = False) MetaImages are not supported`);

  const element = fields.ElementDataFile ?? '';
  let dataFile: string;
  let dataOffset: number;
  if (element.toUpperCase() === 'LOCAL') {
    dataFile = path;
    dataOffset = headerBytes;
  } else if (element === '' || /^LIST\b/i.test(element) || /%/.test(element) || element.split(/\s+/).length > 1) {
    throw new Error(`${path}: ElementDataFile "${element}" is not supported (only LOCAL or a single data file)`);
  } else {
    dataFile = resolve(dirname(path), element);
    const headerSize = fields.HeaderSize === undefined ? 0 : Number(fields.HeaderSize);
    if (headerSize === -1) {
      if (compressed) throw new Error(`${path}: HeaderSize = -1 with compressed data is not supported`);
      const total = dims.reduce((a, b) => a * b, 1) * channels * VOXEL_BYTES[voxelType];
      const size = (
        await stat(dataFile).catch(() => {
          throw new Error(`${path}: data file ${dataFile} not found`);
        })
      ).size;
      dataOffset = size - total;
    } else if (Number.isInteger(headerSize) && headerSize >= 0) {
      dataOffset = headerSize;
    } else {
      throw new Error(`${path}: invalid HeaderSize "${fields.HeaderSize}"`);
    }
    await stat(dataFile).catch(() => {
      throw new Error(`${path}: data file ${dataFile} (ElementDataFile) not found`);
    });
  }
  return { fields, dims, channels, spacing, voxelType, littleEndian, compressed, dataFile, dataOffset };
}

function openData(header: MetaImageHeader): ByteReader {
  return openByteReader(header.dataFile, header.compressed ? 'zlib' : 'none', header.dataOffset);
}

function frameBytes(header: MetaImageHeader): number {
  return header.dims[0] * header.dims[1] * header.channels * VOXEL_BYTES[header.voxelType];
}

/** Every frame of a MetaImage, read (and inflated) one at a time. */
export async function* streamMetaImageFrames(path: string): AsyncGenerator<VolumeFrame> {
  const header = await readMetaImageHeader(path);
  const reader = openData(header);
  try {
    const count = frameCount(header.dims);
    const bytes = frameBytes(header);
    const spacing = frameSpacing(header.spacing);
    for (let k = 0; k < count; k++) {
      const raw = await reader.readExactly(bytes, `${path}: frame ${k} of ${count}`);
      yield {
        index: k,
        width: header.dims[0],
        height: header.dims[1],
        channels: header.channels,
        values: decodeVoxels(raw, header.voxelType, header.littleEndian),
        spacing,
      };
    }
  } finally {
    reader.close();
  }
}

/** The whole MetaImage in memory. */
export async function readMetaImage(path: string): Promise<Volume & { header: MetaImageHeader }> {
  const header = await readMetaImageHeader(path);
  checkPixelCount(path, 'MetaImage volume read whole (DimSize)', header.dims);
  const reader = openData(header);
  try {
    const total = frameBytes(header) * frameCount(header.dims);
    const raw = await reader.readExactly(total, `${path}: voxel data`);
    const data = decodeVoxels(raw, header.voxelType, header.littleEndian);
    return { dims: header.dims, channels: header.channels, spacing: header.spacing, data, header };
  } finally {
    reader.close();
  }
}
