// Raw little-endian element bytes <-> typed arrays, shared by the npy, pth and safetensors readers.
import { STORED_DTYPE_SIZE, type StoredDtype, type WeightData, type WeightDtype } from './types.js';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Typed arrays use the platform's byte order; every format read here is little-endian.
  throw new Error('ultrasam weights: a little-endian platform is required');
}

type TypedArrayCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): WeightData; BYTES_PER_ELEMENT: number };

const CTORS: Record<WeightDtype, TypedArrayCtor> = {
  float32: Float32Array as unknown as TypedArrayCtor,
  float64: Float64Array as unknown as TypedArrayCtor,
  int64: BigInt64Array as unknown as TypedArrayCtor,
  int32: Int32Array as unknown as TypedArrayCtor,
  int16: Int16Array as unknown as TypedArrayCtor,
  uint16: Uint16Array as unknown as TypedArrayCtor,
  int8: Int8Array as unknown as TypedArrayCtor,
  uint8: Uint8Array as unknown as TypedArrayCtor,
  bool: Uint8Array as unknown as TypedArrayCtor,
};

/** IEEE half → float32, exact (every half value is representable). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function widenHalf(src: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

let halfLookup: Float32Array | undefined;
function halfTable(): Float32Array {
  if (!halfLookup) {
    halfLookup = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfLookup[h] = halfToFloat(h);
  }
  return halfLookup;
}

function widenBfloat16(src: Uint16Array): Float32Array {
  const bits = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return new Float32Array(bits.buffer);
}

/** The dtype that `decodeElements` returns for a stored dtype. */
export function widenedDtype(dtype: StoredDtype): WeightDtype {
  return dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype;
}

/**
 * Interprets `count` little-endian elements of `dtype` at the start of `bytes`. The result is a view
 * of `bytes` when its alignment allows and no widening is needed, else a copy.
 */
export function decodeElements(bytes: Uint8Array, dtype: StoredDtype, count: number): WeightData {
  const size = STORED_DTYPE_SIZE[dtype];
  if (bytes.byteLength < count * size) {
    throw new RangeError(`${count} ${dtype} elements need ${count * size} bytes, got ${bytes.byteLength}`);
  }
  // A copy via the constructor (Buffer#slice would return a view, still misaligned).
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes.subarray(0, count * size));
  if (dtype === 'float16' || dtype === 'bfloat16') {
    const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, count);
    return dtype === 'float16' ? widenHalf(halves) : widenBfloat16(halves);
  }
  return new CTORS[dtype](aligned.buffer, aligned.byteOffset, count);
}

/** Allocates a zeroed typed array for `dtype`. */
export function allocElements(dtype: WeightDtype, count: number): WeightData {
  return new CTORS[dtype](new ArrayBuffer(count * CTORS[dtype].BYTES_PER_ELEMENT), 0, count);
}

/** The bytes of a typed array (a view, no copy). */
export function elementBytes(data: WeightData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Checks that `data` is the typed array that `dtype` uses. */
export function checkDataMatchesDtype(dtype: WeightDtype, data: WeightData, what: string): void {
  const expected = CTORS[dtype] as unknown;
  if (data.constructor !== expected) {
    throw new TypeError(`${what}: dtype ${dtype} needs a ${(expected as { name: string }).name}, got a ${data.constructor.name}`);
  }
}
