/**
 * NumPy arrays (.npy) and pickled dicts of arrays (`np.save(path, {'structures': {...}})`, read
 * back in Python with `np.load(path, allow_pickle=True).item()`), on top of the weights room's
 * .npy reader and its restricted unpickler (no code in a pickle is ever run).
 *
 * Orientation: .npy arrays are C-ordered, so the LAST axis varies fastest. An array of shape
 * (H, W) is one frame of width W and height H; (N, H, W) is N frames; (N, H, W, C) is N frames with C
 * interleaved channels — volume.ts's frame convention.
 */
import { readNpyFile, readNpyObjectFile, type NpyArray } from '../../weights/npy.js';
import type { VolumeFrame, VoxelArray } from './volume.js';

/** A numeric .npy; errors name the file. */
export function readNpyArray(path: string): NpyArray {
  try {
    return readNpyFile(path);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.includes(path) ? message : `${path}: ${message}`);
  }
}

/** The voxels of an array as a typed array usable as frame values (int64 becomes float64). */
export function npyValues(array: NpyArray): VoxelArray {
  const data = array.data;
  if (data instanceof BigInt64Array) return Float64Array.from(data, Number);
  return data;
}

/** Number of frames of an (H, W), (N, H, W) or (N, H, W, C) array. */
export function npyFrameCount(array: NpyArray, path: string): number {
  const { shape } = array;
  if (shape.length === 2) return 1;
  if (shape.length === 3 || shape.length === 4) return shape[0];
  throw new Error(`${path}: array of shape (${shape.join(', ')}) is not (H, W), (N, H, W) or (N, H, W, C)`);
}

/** Frame `index` of an (H, W), (N, H, W) or (N, H, W, C) array, as a view. */
export function npyFrame(array: NpyArray, index: number, path: string): VolumeFrame {
  const count = npyFrameCount(array, path);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`${path}: frame ${index} out of range 0..${count - 1}`);
  const { shape } = array;
  const [height, width] = shape.length === 2 ? shape : [shape[1], shape[2]];
  const channels = shape.length === 4 ? shape[3] : 1;
  const size = width * height * channels;
  return { index, width, height, channels, values: npyValues(array).subarray(index * size, (index + 1) * size) };
}

/**
 * A pickled dict saved with np.save, as a Map of its keys (strings) to values: numeric arrays as
 * NpyArray, nested dicts as Maps. Errors name the file.
 */
export function readNpyDict(path: string): Map<string, unknown> {
  let value: unknown;
  try {
    value = readNpyObjectFile(path);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.includes(path) ? message : `${path}: ${message}`);
  }
  if (!(value instanceof Map)) throw new Error(`${path}: holds ${describe(value)}, not a pickled dict`);
  return value as Map<string, unknown>;
}

/** True for a numeric array record from the npy reader. */
export function isNpyArray(value: unknown): value is NpyArray {
  return (
    typeof value === 'object' &&
    value !== null &&
    'dtype' in value &&
    (value as { dtype: unknown }).dtype !== 'object' &&
    Array.isArray((value as { shape?: unknown }).shape) &&
    ArrayBuffer.isView((value as { data?: unknown }).data)
  );
}

/** `dict[key]` as a nested dict, or an error naming the file and the key. */
export function dictEntry(dict: Map<string, unknown>, key: string, path: string): Map<string, unknown> {
  const value = dict.get(key);
  if (!(value instanceof Map)) {
    throw new Error(`${path}: entry "${key}" is ${value === undefined ? 'missing' : describe(value)}, expected a dict (keys: ${[...dict.keys()].join(', ')})`);
  }
  return value as Map<string, unknown>;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (isNpyArray(value)) return `an array of shape (${value.shape.join(', ')})`;
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
