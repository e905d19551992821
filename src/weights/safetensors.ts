// safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
// optional "__metadata__" of string → string, then the raw little-endian data. Our native weight format.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { checkDataMatchesDtype, decodeElements, elementBytes, widenedDtype } from './elements.js';
import { STORED_DTYPE_SIZE, shapeSize, type StateDict, type StoredDtype, type WeightTensor } from './types.js';
import { bufferSource, fileSource, type ByteSource } from './zip.js';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export interface Safetensors {
  tensors: StateDict;
  metadata: Record<string, string>;
}

const TAGS: Record<string, StoredDtype> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U16: 'uint16',
  U8: 'uint8',
  BOOL: 'bool',
};
const TAG_OF = Object.fromEntries(Object.entries(TAGS).map(([tag, dtype]) => [dtype, tag])) as Record<StoredDtype, string>;

/** Largest header we accept (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;

interface HeaderEntry {
  name: string;
  dtype: StoredDtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeader(source: ByteSource): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  const where = source.label;
  if (source.size < 8) throw new SafetensorsError(`${where}: too short for a safetensors file (${source.size} bytes)`);
  const length = new DataView(source.read(0, 8).buffer).getBigUint64(0, true);
  if (length > BigInt(Math.min(MAX_HEADER, source.size - 8))) {
    throw new SafetensorsError(`${where}: header length ${length} exceeds the file (${source.size} bytes) or the ${MAX_HEADER}-byte limit`);
  }
  const dataStart = 8 + Number(length);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(source.read(8, Number(length))));
  } catch (error) {
    throw new SafetensorsError(`${where}: header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError(`${where}: header is not a JSON object`);
  const dataSize = source.size - dataStart;
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SafetensorsError(`${where}: __metadata__ is not an object`);
      for (const [key, text] of Object.entries(value)) {
        if (typeof text !== 'string') throw new SafetensorsError(`${where}: __metadata__.${key} is not a string`);
        metadata[key] = text;
      }
      continue;
    }
    const bad = (why: string): never => {
      throw new SafetensorsError(`${where}: tensor '${name}': ${why}`);
    };
    const { dtype: tag, shape, data_offsets: offsets } = (value ?? {}) as Record<string, unknown>;
    const dtype = typeof tag === 'string' ? TAGS[tag] : undefined;
    if (!dtype) bad(`unsupported dtype ${JSON.stringify(tag)} (supported: ${Object.keys(TAGS).join(' ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(`bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      bad(`bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataSize) bad(`data_offsets [${begin}, ${end}] outside the data section (${dataSize} bytes)`);
    const expected = shapeSize(shape as number[]) * STORED_DTYPE_SIZE[dtype!];
    if (end - begin !== expected) bad(`shape [${shape}] of ${tag} needs ${expected} bytes, data_offsets span ${end - begin}`);
    entries.push({ name, dtype: dtype!, shape: shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      throw new SafetensorsError(`${where}: tensors '${sorted[i - 1].name}' and '${sorted[i].name}' overlap in the data section`);
    }
  }
  return { entries, metadata, dataStart };
}

function readFrom(source: ByteSource): Safetensors {
  const { entries, metadata, dataStart } = parseHeader(source);
  const tensors: StateDict = new Map();
  for (const entry of entries.sort((a, b) => a.begin - b.begin)) {
    const raw = source.read(dataStart + entry.begin, entry.end - entry.begin);
    const dtype = widenedDtype(entry.dtype);
    const tensor: WeightTensor = { dtype, shape: entry.shape, data: decodeElements(raw, entry.dtype, shapeSize(entry.shape)) };
    if (dtype !== entry.dtype) tensor.sourceDtype = entry.dtype;
    tensors.set(entry.name, tensor);
  }
  return { tensors, metadata };
}

/** Reads safetensors bytes. float16/bfloat16 become float32 (sourceDtype says which). */
export function readSafetensors(bytes: Uint8Array, label = '<safetensors>'): Safetensors {
  return readFrom(bufferSource(bytes, label));
}

/** Reads a safetensors file tensor by tensor (never the whole file at once). */
export function readSafetensorsFile(path: string): Safetensors {
  const source = fileSource(path);
  try {
    return readFrom(source);
  } finally {
    source.close();
  }
}

/** float32 → IEEE half, rounding to nearest even. */
function floatToHalf(value: number, scratch: Uint32Array, scratchF: Float32Array): number {
  scratchF[0] = value;
  const x = scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // may carry into the exponent: still correct
  return sign | h;
}

function narrow(data: Float32Array, dtype: 'float16' | 'bfloat16'): Uint8Array {
  const out = new Uint16Array(data.length);
  const scratch = new Uint32Array(1);
  const scratchF = new Float32Array(scratch.buffer);
  if (dtype === 'float16') {
    for (let i = 0; i < data.length; i++) out[i] = floatToHalf(data[i], scratch, scratchF);
  } else {
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (let i = 0; i < data.length; i++) {
      const x = bits[i];
      out[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
  return new Uint8Array(out.buffer);
}

export interface WriteSafetensorsOptions {
  metadata?: Record<string, string>;
  /** Store float32 tensors as this type. Without it, a tensor read from float16/bfloat16 is stored as such again. */
  floatAs?: 'float32' | 'float16' | 'bfloat16';
}

/** The header and the byte chunks of a safetensors file, in order. */
function layout(tensors: ReadonlyMap<string, WeightTensor>, options: WriteSafetensorsOptions): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (options.metadata) {
    for (const [key, text] of Object.entries(options.metadata)) {
      if (typeof text !== 'string') throw new SafetensorsError(`metadata '${key}' must be a string`);
    }
    header.__metadata__ = options.metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    if (name === '__metadata__') throw new SafetensorsError(`'__metadata__' cannot be a tensor name`);
    checkDataMatchesDtype(tensor.dtype, tensor.data, `tensor '${name}'`);
    if (tensor.data.length !== shapeSize(tensor.shape)) {
      throw new SafetensorsError(`tensor '${name}': shape [${tensor.shape}] needs ${shapeSize(tensor.shape)} elements, data has ${tensor.data.length}`);
    }
    let stored: StoredDtype = tensor.dtype;
    if (tensor.dtype === 'float32') {
      const wanted = options.floatAs ?? tensor.sourceDtype;
      if (wanted === 'float16' || wanted === 'bfloat16') stored = wanted;
    }
    const bytes = stored === 'float16' || stored === 'bfloat16' ? narrow(tensor.data as Float32Array, stored) : elementBytes(tensor.data);
    header[name] = { dtype: TAG_OF[stored], shape: tensor.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json = json.padEnd(Math.ceil(json.length / 8) * 8, ' '); // so that the data starts 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8 + headerBytes.length);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  prefix.set(headerBytes, 8);
  return [prefix, ...chunks];
}

/** Serializes tensors (in map order) to safetensors bytes. */
export function writeSafetensors(tensors: ReadonlyMap<string, WeightTensor>, options: WriteSafetensorsOptions = {}): Uint8Array {
  const chunks = layout(tensors, options);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Writes a safetensors file atomically: a temporary file in the same folder, synced, then renamed. */
export function writeSafetensorsFile(path: string, tensors: ReadonlyMap<string, WeightTensor>, options: WriteSafetensorsOptions = {}): void {
  const chunks = layout(tensors, options);
  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(temporary, 'w');
  try {
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.byteLength;) done += writeSync(fd, chunk, done, chunk.byteLength - done);
    }
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, path);
}
