/** Element types that the weight readers hand out (the type of `data`, after any widening). */
export type WeightDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint16' | 'uint8' | 'bool';

/** Element types as stored in a file; float16 and bfloat16 are widened to float32 on reading. */
export type StoredDtype = WeightDtype | 'float16' | 'bfloat16';

export type WeightData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint16Array | Uint8Array;

/** A dense, row-major (C order) tensor. `bool` data is a Uint8Array of 0/1. */
export interface WeightTensor {
  dtype: WeightDtype;
  shape: number[];
  data: WeightData;
  /** The dtype in the file when it differs from `dtype` (float16/bfloat16 widened to float32). */
  sourceDtype?: StoredDtype;
}

/** Named tensors, in file order. */
export type StateDict = Map<string, WeightTensor>;

/** Bytes per element of a stored dtype. */
export const STORED_DTYPE_SIZE: Readonly<Record<StoredDtype, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  uint16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Number of elements of a shape (1 for a scalar's empty shape). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
