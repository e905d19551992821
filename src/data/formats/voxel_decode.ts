/** Turns raw voxel bytes of a known element type and byte order into a typed array. */
import type { VoxelArray } from './volume.js';

export type VoxelType = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export const VOXEL_BYTES: Record<VoxelType, number> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes `bytes` (a whole number of voxels) as `type` in the given byte order; always copies. */
export function decodeVoxels(bytes: Uint8Array, type: VoxelType, littleEndian: boolean): VoxelArray {
  const size = VOXEL_BYTES[type];
  if (bytes.length % size !== 0) {
    throw new Error(`${bytes.length} bytes is not a whole number of ${type} voxels`);
  }
  const n = bytes.length / size;
  // An aligned copy of the bytes, swapped in place when the file's order differs from the host's.
  const buffer = new ArrayBuffer(bytes.length);
  const copy = new Uint8Array(buffer);
  copy.set(bytes);
  if (size > 1 && littleEndian !== HOST_LITTLE_ENDIAN) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  switch (type) {
    case 'uint8':
      return copy;
    case 'int8':
      return new Int8Array(buffer, 0, n);
    case 'int16':
      return new Int16Array(buffer, 0, n);
    case 'uint16':
      return new Uint16Array(buffer, 0, n);
    case 'int32':
      return new Int32Array(buffer, 0, n);
    case 'uint32':
      return new Uint32Array(buffer, 0, n);
    case 'float32':
      return new Float32Array(buffer, 0, n);
    case 'float64':
      return new Float64Array(buffer, 0, n);
  }
}

/** Applies value = raw · slope + intercept (NIfTI scl_slope / scl_inter); identity when slope is 0 or 1 with intercept 0. */
export function scaleVoxels(values: VoxelArray, slope: number, intercept: number): VoxelArray {
  if (!Number.isFinite(slope) || slope === 0 || (slope === 1 && intercept === 0)) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * slope + intercept;
  return out;
}
