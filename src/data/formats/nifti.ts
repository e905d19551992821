/**
 * NIfTI-1 / NIfTI-2 single-file images (.nii, .nii.gz), read with nifti-reader-js for the header and
 * streamed through zlib for the voxels, so that a long 2D+t sequence or a large 3-D volume can be cut
 * into frames one at a time. 2-D, 2D+t (dim[3] or dim[4] frames) and 3-D/4-D images are supported;
 * datatypes uint8, int8, int16, uint16, int32, uint32, float32, float64 and RGB24 (3 channels).
 * scl_slope / scl_inter are applied; pixdim becomes the spacing in millimetres (metres and microns
 * are converted; an unknown unit is taken as millimetres, the NIfTI default in practice).
 *
 * Frame orientation: see volume.ts — frame k has width dim[1] (i) and height dim[2] (j), as stored;
 * frames are numbered over dim[3], then dim[4], ... (the reference converters' "axial" view).
 */
import * as niftiReader from 'nifti-reader-js';
import { checkPixelCount } from '../../image/limits.js';
import { ByteReader, isGzipFile, openByteReader } from './byte_reader.js';
import { frameCount, frameSpacing, type Volume, type VolumeFrame } from './volume.js';
import { decodeVoxels, scaleVoxels, VOXEL_BYTES, type VoxelType } from './voxel_decode.js';

export interface NiftiHeader {
  version: 1 | 2;
  /** Image sizes dim[1..dim[0]], fastest first; trailing sizes of 1 are kept. */
  dims: number[];
  /** 3 for RGB24, else 1. */
  channels: number;
  /** pixdim[1..dim[0]] in millimetres (spatial) and seconds (time). */
  spacing: number[];
  voxelType: VoxelType;
  datatypeCode: number;
  littleEndian: boolean;
  slope: number;
  intercept: number;
  /** Byte offset of the voxels in the (decompressed) file. */
  voxOffset: number;
  gzipped: boolean;
}

const DATATYPES: Record<number, { type: VoxelType; channels: number }> = {
  2: { type: 'uint8', channels: 1 },
  4: { type: 'int16', channels: 1 },
  8: { type: 'int32', channels: 1 },
  16: { type: 'float32', channels: 1 },
  64: { type: 'float64', channels: 1 },
  128: { type: 'uint8', channels: 3 },
  256: { type: 'int8', channels: 1 },
  512: { type: 'uint16', channels: 1 },
  768: { type: 'uint32', channels: 1 },
};

function spatialUnitToMm(code: number): number {
  switch (code & 7) {
    case 1:
      return 1000; // metre
    case 3:
      return 0.001; // micron
    default:
      return 1; // millimetre, or unknown
  }
}

function temporalUnitToSeconds(code: number): number {
  switch (code & 56) {
    case 16:
      return 0.001;
    case 24:
      return 0.000001;
    default:
      return 1;
  }
}

/** Reads the header (and extensions) from the start of `reader`, leaving it at the first voxel. */
async function readHeaderFrom(reader: ByteReader, path: string, gzipped: boolean): Promise<NiftiHeader> {
  const first = await reader.read(348);
  if (first.length < 348) throw new Error(`${path}: not a NIfTI file (only ${first.length} bytes)`);
  const sizeLE = first.readInt32LE(0);
  const sizeBE = first.readInt32BE(0);
  const sizeofHdr = sizeLE === 348 || sizeLE === 540 ? sizeLE : sizeBE;
  const littleEndian = sizeLE === sizeofHdr;
  let headerBytes: Buffer = first;
  let version: 1 | 2;
  let voxOffset: number;
  if (sizeofHdr === 348) {
    version = 1;
    voxOffset = Math.round(littleEndian ? first.readFloatLE(108) : first.readFloatBE(108));
    if (voxOffset < 348) voxOffset = 352; // 0 or garbage in old writers: the minimum for a single file.
  } else if (sizeofHdr === 540) {
    version = 2;
    headerBytes = Buffer.concat([first, await reader.readExactly(540 - 348, `${path}: NIfTI-2 header`)]);
    voxOffset = Number(littleEndian ? headerBytes.readBigInt64LE(168) : headerBytes.readBigInt64BE(168));
  } else {
    throw new Error(`${path}: not a NIfTI file (sizeof_hdr is ${sizeLE}, expected 348 or 540)`);
  }
  if (voxOffset > headerBytes.length) {
    headerBytes = Buffer.concat([headerBytes, await reader.readExactly(voxOffset - headerBytes.length, `${path}: header extensions`)]);
  }
  const arrayBuffer = headerBytes.buffer.slice(headerBytes.byteOffset, headerBytes.byteOffset + headerBytes.byteLength) as ArrayBuffer;
  if (!niftiReader.isNIFTI(arrayBuffer)) {
    throw new Error(`${path}: not a single-file NIfTI image (magic is not "n+1" / "n+2"; .hdr/.img pairs are not supported)`);
  }
  const parsed = niftiReader.readHeader(arrayBuffer);
  const ndim = parsed.dims[0];
  if (!(ndim >= 2 && ndim <= 7)) throw new Error(`${path}: dim[0] is ${ndim}, expected 2 to 7`);
  const dims = parsed.dims.slice(1, ndim + 1);
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`${path}: invalid dimensions [${dims.join(', ')}]`);
  checkPixelCount(path, 'NIfTI frame (dim[1] × dim[2])', dims.slice(0, 2));
  const datatype = DATATYPES[parsed.datatypeCode];
  if (!datatype) {
    throw new Error(`${path}: unsupported NIfTI datatype ${parsed.datatypeCode} (supported: ${Object.keys(DATATYPES).join(', ')})`);
  }
  const spatial = spatialUnitToMm(parsed.xyzt_units);
  const temporal = temporalUnitToSeconds(parsed.xyzt_units);
  const spacing = dims.map((_, d) => {
    // pixdim is a float32: keep the 7 significant digits it holds (0.8, not 0.800000011920929).
    const p = Number(Math.abs(parsed.pixDims[d + 1] ?? 0).toPrecision(7));
    return d < 3 ? p * spatial : d === 3 ? p * temporal : p;
  });
  return {
    version,
    dims,
    channels: datatype.channels,
    spacing,
    voxelType: datatype.type,
    datatypeCode: parsed.datatypeCode,
    littleEndian,
    slope: parsed.scl_slope,
    intercept: parsed.scl_inter,
    voxOffset,
    gzipped,
  };
}

async function openNifti(path: string): Promise<{ reader: ByteReader; header: NiftiHeader }> {
  const gzipped = await isGzipFile(path);
  const reader = openByteReader(path, gzipped ? 'gzip' : 'none');
  try {
    const header = await readHeaderFrom(reader, path, gzipped);
    if (reader.position < header.voxOffset) await reader.skip(header.voxOffset - reader.position, `${path}: header`);
    return { reader, header };
  } catch (error) {
    reader.close();
    throw error;
  }
}

/** The header of a .nii / .nii.gz file (reads only the first bytes). */
export async function readNiftiHeader(path: string): Promise<NiftiHeader> {
  const { reader, header } = await openNifti(path);
  reader.close();
  return header;
}

function frameBytes(header: NiftiHeader): number {
  return header.dims[0] * header.dims[1] * header.channels * VOXEL_BYTES[header.voxelType];
}

/** Every frame of a NIfTI image, decompressed and decoded one at a time (see the frame convention above). */
export async function* streamNiftiFrames(path: string): AsyncGenerator<VolumeFrame> {
  const { reader, header } = await openNifti(path);
  try {
    const count = frameCount(header.dims);
    const bytes = frameBytes(header);
    const spacing = frameSpacing(header.spacing);
    for (let k = 0; k < count; k++) {
      const raw = await reader.readExactly(bytes, `${path}: frame ${k} of ${count}`);
      const values = scaleVoxels(decodeVoxels(raw, header.voxelType, header.littleEndian), header.slope, header.intercept);
      yield { index: k, width: header.dims[0], height: header.dims[1], channels: header.channels, values, spacing };
    }
  } finally {
    reader.close();
  }
}

/** The whole image in memory (one volume at a time; use streamNiftiFrames for long sequences). */
export async function readNifti(path: string): Promise<Volume & { header: NiftiHeader }> {
  const { reader, header } = await openNifti(path);
  try {
    checkPixelCount(path, 'NIfTI volume read whole', header.dims);
    const total = frameBytes(header) * frameCount(header.dims);
    const raw = await reader.readExactly(total, `${path}: voxel data`);
    const data = scaleVoxels(decodeVoxels(raw, header.voxelType, header.littleEndian), header.slope, header.intercept);
    return { dims: header.dims, channels: header.channels, spacing: header.spacing, data, header };
  } finally {
    reader.close();
  }
}
