/**
 * In-memory N-D medical volumes (NIfTI, MetaImage, NumPy, HDF5) and the 2-D frames cut from them.
 *
 * Axis convention (shared by every reader in this folder): voxels are stored with the first
 * dimension varying fastest — NIfTI's i, MetaImage's x, or the LAST axis of a C-ordered NumPy /
 * HDF5 array — exactly as on disk. `dims[0]` is that fastest axis.
 *
 * - A **frame** is the 2-D image at fixed indices of every dimension beyond the first two: width
 *   `dims[0]` (columns), height `dims[1]` (rows), row-major, so pixel (column x, row y) of frame k is
 *   `data[x + y·dims[0] + k·dims[0]·dims[1]]` (times `channels` for multi-channel voxels). Frames are
 *   numbered z fastest, then t. This is the image SimpleITK's `GetArrayFromImage(img)[k]` shows,
 *   which the UltraSam reference converters call the "axial" view; no reorientation by the qform /
 *   sform or direction matrix is applied (the reference applies none either).
 * - A **sagittal** slice is the image at fixed x (first dimension): width `dims[1]` (columns = y),
 *   height `dims[2]` (rows = z), i.e. numpy `array[z, y, x].transpose(2, 0, 1)[x]`.
 */
import type { RawImage } from '../../image/types.js';

export type VoxelArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface Volume {
  /** Sizes, fastest-varying first (x, y, z, t, ...); at least two entries. */
  dims: number[];
  /** Values per voxel, interleaved (1 for scalar images). */
  channels: number;
  /** Physical spacing per dimension in millimetres (seconds for a time axis) where the header gives it. */
  spacing: number[];
  /** All voxels, laid out as described above, already scaled (NIfTI scl_slope / scl_inter). */
  data: VoxelArray;
}

/** One 2-D frame of a volume, in the frame convention described above. */
export interface VolumeFrame {
  /** Frame number (z fastest, then t). */
  index: number;
  width: number;
  height: number;
  channels: number;
  /** Row-major, channels interleaved; a view or copy of the volume's voxels. */
  values: VoxelArray;
  /** [x, y] spacing in millimetres when known. */
  spacing?: [number, number];
}

/** Number of frames of a volume: the product of every dimension beyond the first two. */
export function frameCount(dims: number[]): number {
  let n = 1;
  for (let d = 2; d < dims.length; d++) n *= dims[d];
  return n;
}

/** The spacing of a frame ([x, y] in mm), or undefined when the header gives none. */
export function frameSpacing(spacing: number[]): [number, number] | undefined {
  const [sx, sy] = spacing;
  if (sx === undefined || sy === undefined || !(sx > 0) || !(sy > 0)) return undefined;
  return [sx, sy];
}

/** Frame `index` (z fastest, then t) of an in-memory volume, as a view (no copy). */
export function volumeFrame(volume: Volume, index: number): VolumeFrame {
  const [width, height] = volume.dims;
  const count = frameCount(volume.dims);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`frame ${index} out of range: the volume has ${count} frames`);
  }
  const size = width * height * volume.channels;
  return {
    index,
    width,
    height,
    channels: volume.channels,
    values: volume.data.subarray(index * size, (index + 1) * size),
    spacing: frameSpacing(volume.spacing),
  };
}

/** Every frame of an in-memory volume, lazily (views, no copies). */
export function* volumeFrames(volume: Volume): Generator<VolumeFrame> {
  const count = frameCount(volume.dims);
  for (let k = 0; k < count; k++) yield volumeFrame(volume, k);
}

/**
 * Sagittal slice at fixed x of a 3-D (or 3-D + channels) volume: width = dims[1] (y), height = dims[2] (z).
 * Only the first volume of a 4-D series is used when `t` is not given.
 */
export function sagittalSlice(volume: Volume, x: number, t = 0): VolumeFrame {
  const [nx, ny, nz] = volume.dims;
  if (nz === undefined) throw new Error('a sagittal slice needs a volume with at least three dimensions');
  if (!Number.isInteger(x) || x < 0 || x >= nx) throw new RangeError(`x ${x} out of range 0..${nx - 1}`);
  const c = volume.channels;
  const ArrayType = volume.data.constructor as new (n: number) => VoxelArray;
  const values = new ArrayType(ny * nz * c);
  const volumeOffset = t * nx * ny * nz * c;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const src = volumeOffset + ((z * ny + y) * nx + x) * c;
      const dst = (z * ny + y) * c;
      for (let ch = 0; ch < c; ch++) values[dst + ch] = volume.data[src + ch];
    }
  }
  const [, sy, sz] = volume.spacing;
  return {
    index: x,
    width: ny,
    height: nz,
    channels: c,
    values,
    spacing: sy !== undefined && sz !== undefined && sy > 0 && sz > 0 ? [sy, sz] : undefined,
  };
}

/**
 * Grey 8-bit image of a frame. Values already in 0..255 are rounded; any other range is stretched
 * linearly from the frame's minimum (0) to its maximum (255), since a cast would wrap around.
 */
export function frameToImage(frame: VolumeFrame): RawImage {
  const { values, width, height, channels } = frame;
  const data = new Uint8Array(values.length);
  if (values instanceof Uint8Array) {
    data.set(values);
  } else {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (min >= 0 && max <= 255) {
      for (let i = 0; i < values.length; i++) data[i] = Math.round(values[i]);
    } else if (max > min) {
      const scale = 255 / (max - min);
      for (let i = 0; i < values.length; i++) data[i] = Math.round((values[i] - min) * scale);
    }
  }
  const image: RawImage = { data, width, height, channels };
  if (frame.spacing) image.pixelSpacingMm = frame.spacing;
  return image;
}

/** Integer labels of a frame (rounded; a mask never has channels). */
export function frameLabels(frame: VolumeFrame): Int32Array {
  if (frame.channels !== 1) throw new Error(`a label frame must have one channel, not ${frame.channels}`);
  const labels = new Int32Array(frame.values.length);
  for (let i = 0; i < labels.length; i++) labels[i] = Math.round(frame.values[i]);
  return labels;
}
