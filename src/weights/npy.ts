// NumPy .npy files: numeric arrays (format 1.0/2.0/3.0, little-endian, C order) read and written
// directly; object arrays (a pickle after the header) through the restricted unpickler with numpy's
// array-rebuilding globals allowed, and nothing else.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { checkDataMatchesDtype, decodeElements, elementBytes, widenedDtype } from './elements.js';
import { allowList, CODECS_ENCODE, ORDERED_DICT, PyGlobal, unpickle, type AllowedGlobal, type GlobalAllowList } from './pickle.js';
import { shapeSize, STORED_DTYPE_SIZE, type StoredDtype, type WeightDtype, type WeightTensor } from './types.js';

/** A numeric array read from or written to .npy. float16 files come back as float32 (sourceDtype 'float16'). */
export type NpyArray = WeightTensor;

export class NpyError extends Error {
  override name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

// Type code (kind + size) → dtype, for the byte orders little ('<'), native ('=') and not-applicable ('|').
const TYPE_CODES: Record<string, StoredDtype> = {
  f4: 'float32',
  f8: 'float64',
  f2: 'float16',
  u1: 'uint8',
  i1: 'int8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  i8: 'int64',
  b1: 'bool',
};

const DESCR_OF: Record<WeightDtype, string> = {
  float32: '<f4',
  float64: '<f8',
  uint8: '|u1',
  int8: '|i1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  int64: '<i8',
  bool: '|b1',
};

function dtypeFromCode(order: string, code: string, where: string): StoredDtype {
  const dtype = TYPE_CODES[code];
  if (!dtype) throw new NpyError(`${where}: dtype '${order}${code}' is not supported (supported: ${Object.keys(TYPE_CODES).join(' ')})`);
  if (order === '>' && STORED_DTYPE_SIZE[dtype] > 1) throw new NpyError(`${where}: big-endian dtype '${order}${code}' is not supported`);
  if (!['<', '|', '=', '>'].includes(order)) throw new NpyError(`${where}: bad byte order '${order}' in dtype`);
  return dtype;
}

// ---- the header: a Python dict literal -------------------------------------------------------------

type Literal = string | number | boolean | null | Literal[] | { [key: string]: Literal };

function parseLiteral(text: string, where: string): Literal {
  let pos = 0;
  const fail = (what: string): never => {
    throw new NpyError(`${where}: cannot parse header (${what} at character ${pos}): ${text.trim()}`);
  };
  const skip = (): void => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const value = (): Literal => {
    skip();
    const c = text[pos];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, pos + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(pos + 1, end);
      pos = end + 1;
      return s;
    }
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      pos++;
      const items: Literal[] = [];
      const dict: Record<string, Literal> = {};
      for (;;) {
        skip();
        if (text[pos] === close) {
          pos++;
          break;
        }
        const item = value();
        if (c === '{') {
          skip();
          if (text[pos++] !== ':') fail("expected ':'");
          if (typeof item !== 'string') fail('non-string key');
          dict[item as string] = value();
        } else items.push(item);
        skip();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== close) fail(`expected ',' or '${close}'`);
      }
      return c === '{' ? dict : items;
    }
    const word = /^(True|False|None|-?\d+L?)/.exec(text.slice(pos));
    if (!word) return fail('unexpected token');
    pos += word[0].length;
    return word[0] === 'True' ? true : word[0] === 'False' ? false : word[0] === 'None' ? null : parseInt(word[0], 10);
  };
  const result = value();
  skip();
  if (pos !== text.length) fail('trailing characters');
  return result;
}

interface NpyHeader {
  descr: string;
  shape: number[];
  dataOffset: number;
}

function readHeader(bytes: Uint8Array, where: string): NpyHeader {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new NpyError(`${where}: not a .npy file (bad magic)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major < 1 || major > 3) throw new NpyError(`${where}: .npy format version ${major}.${bytes[7]} is not supported`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new NpyError(`${where}: truncated header`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  if (start + headerLength > bytes.length) throw new NpyError(`${where}: truncated header (${headerLength} bytes announced)`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const header = parseLiteral(text, where);
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new NpyError(`${where}: header is not a dict`);
  const { descr, fortran_order: fortranOrder, shape } = header;
  if (typeof descr !== 'string') throw new NpyError(`${where}: structured dtype ${JSON.stringify(descr)} is not supported`);
  if (fortranOrder !== false) throw new NpyError(`${where}: fortran_order arrays are not supported (save with C order)`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && d >= 0)) throw new NpyError(`${where}: bad shape ${JSON.stringify(shape)}`);
  return { descr, shape: shape as number[], dataOffset: start + headerLength };
}

/** Reads a numeric .npy from bytes. The data is a view of `bytes` when alignment allows. */
export function readNpy(bytes: Uint8Array, label = '<npy>'): NpyArray {
  const { descr, shape, dataOffset } = readHeader(bytes, label);
  if (descr === '|O') throw new NpyError(`${label}: an object (pickled) array; read it with readNpyObject`);
  const dtype = dtypeFromCode(descr[0], descr.slice(1), label);
  const count = shapeSize(shape);
  const needed = count * STORED_DTYPE_SIZE[dtype];
  if (bytes.length - dataOffset < needed) {
    throw new NpyError(`${label}: data is truncated: shape [${shape}] of ${descr} needs ${needed} bytes, found ${bytes.length - dataOffset}`);
  }
  const data = decodeElements(bytes.subarray(dataOffset), dtype, count);
  const array: NpyArray = { dtype: widenedDtype(dtype), shape, data };
  if (dtype !== array.dtype) array.sourceDtype = dtype;
  return array;
}

export function readNpyFile(path: string): NpyArray {
  return readNpy(readFileSync(path), path);
}

/** Serializes a numeric array as .npy (format 1.0, or 2.0 when the header needs it). */
export function writeNpy(array: NpyArray): Uint8Array {
  checkDataMatchesDtype(array.dtype, array.data, 'writeNpy');
  if (array.data.length !== shapeSize(array.shape)) {
    throw new NpyError(`writeNpy: shape [${array.shape}] needs ${shapeSize(array.shape)} elements, data has ${array.data.length}`);
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  const dict = `{'descr': '${DESCR_OF[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const major = dict.length + 11 > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  const padded = Math.ceil((prefix + dict.length + 1) / 64) * 64; // numpy aligns the data to 64 bytes
  const headerLength = padded - prefix;
  const out = new Uint8Array(padded + array.data.byteLength);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  const text = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  out.set(elementBytes(array.data), padded);
  return out;
}

/** Writes a .npy file atomically (temporary file, then rename). */
export function writeNpyFile(path: string, array: NpyArray): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, writeNpy(array));
  renameSync(temporary, path);
}

// ---- object arrays ---------------------------------------------------------------------------------

/** A non-numeric array from a pickle: object items, or str/bytes items decoded to strings. */
export interface NpyObjectArray {
  dtype: 'object';
  shape: number[];
  data: unknown[];
}

/** numpy.dtype as rebuilt from a pickle: type code plus the byte order that BUILD supplies. */
class NumpyDtype {
  byteOrder = '=';
  constructor(readonly code: string) {}
}

/** numpy.ndarray as rebuilt by _reconstruct; BUILD fills it in place (the memo may hold it before BUILD). */
class NumpyArray {
  dtype: WeightDtype | 'object' = 'object';
  shape: number[] = [];
  data: WeightTensor['data'] | unknown[] = [];
  sourceDtype?: StoredDtype;
}

function decodeStrings(raw: Uint8Array, code: string, count: number): string[] {
  const width = parseInt(code.slice(1), 10);
  const unit = code[0] === 'U' ? 4 : 1;
  const out: string[] = [];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < count; i++) {
    let s = '';
    for (let j = 0; j < width; j++) {
      const at = (i * width + j) * unit;
      const c = unit === 4 ? view.getUint32(at, true) : raw[at];
      if (c === 0) break;
      s += String.fromCodePoint(c);
    }
    out.push(s);
  }
  return out;
}

/** Fortran-ordered data → C order. */
function fortranToC<T extends { length: number; [i: number]: unknown }>(src: T, shape: number[], make: (n: number) => T): T {
  const n = shapeSize(shape);
  const out = make(n);
  const index = new Array<number>(shape.length).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let d = shape.length - 1; d >= 0; d--) f = f * shape[d] + index[d];
    out[c] = src[f];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

function fillArray(target: NumpyArray, state: unknown): NumpyArray {
  if (!Array.isArray(state) || state.length !== 5) throw new TypeError('ndarray state must be a 5-tuple');
  const [, shapeValue, dtype, isFortran, raw] = state;
  if (!(dtype instanceof NumpyDtype)) throw new TypeError('ndarray state has no numpy dtype');
  if (!Array.isArray(shapeValue) || !shapeValue.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new TypeError('bad ndarray shape');
  const shape = [...(shapeValue as number[])];
  const count = shapeSize(shape);
  target.shape = shape;
  if (dtype.code === 'O8' || dtype.code === 'O4') {
    if (!Array.isArray(raw) || raw.length !== count) throw new TypeError(`object array of shape [${shape}] needs a list of ${count} items`);
    target.data = isFortran ? fortranToC(raw as unknown[], shape, (n) => new Array<unknown>(n)) : [...raw];
    return target;
  }
  if (!(raw instanceof Uint8Array)) throw new TypeError('numeric ndarray state has no bytes');
  if (/^[US]\d+$/.test(dtype.code)) {
    if (dtype.byteOrder === '>') throw new TypeError(`big-endian dtype ${dtype.code} is not supported`);
    const strings = decodeStrings(raw, dtype.code, count);
    target.data = isFortran ? fortranToC(strings, shape, (n) => new Array<string>(n)) : strings;
    return target;
  }
  const stored = dtypeFromCode(dtype.byteOrder, dtype.code, 'pickled ndarray');
  let data = decodeElements(raw, stored, count);
  if (isFortran) data = fortranToC(data as Float64Array, shape, (n) => new (data.constructor as Float64ArrayConstructor)(n));
  target.dtype = widenedDtype(stored);
  target.data = data;
  if (target.dtype !== stored) target.sourceDtype = stored;
  return target;
}

const RECONSTRUCT: AllowedGlobal = {
  // _reconstruct(numpy.ndarray, (0,), b'b'): an empty array that BUILD then fills.
  call(args) {
    const cls = args[0];
    if (!(cls instanceof PyGlobal) || cls.name !== 'ndarray') throw new TypeError('_reconstruct only rebuilds numpy.ndarray');
    return new NumpyArray();
  },
  build: (target, state) => fillArray(target as NumpyArray, state),
};

const DTYPE: AllowedGlobal = {
  // dtype('f8', False, True); BUILD state (version, byteorder, subarray, names, fields, ...)
  call(args) {
    if (typeof args[0] !== 'string') throw new TypeError('numpy.dtype needs a type code string');
    return new NumpyDtype(args[0]);
  },
  build(target, state) {
    if (!Array.isArray(state) || typeof state[1] !== 'string') throw new TypeError('bad numpy.dtype state');
    if (state[3] !== null && state[3] !== undefined) throw new TypeError('structured numpy dtypes are not supported');
    (target as NumpyDtype).byteOrder = state[1];
    return target;
  },
};

const SCALAR: AllowedGlobal = {
  // scalar(dtype, bytes) → a number / bigint / boolean; scalar(dtype('O'), obj) → obj.
  call(args) {
    const [dtype, raw] = args;
    if (!(dtype instanceof NumpyDtype)) throw new TypeError('numpy scalar without a dtype');
    if (dtype.code.startsWith('O')) return raw;
    if (!(raw instanceof Uint8Array)) throw new TypeError('numpy scalar without bytes');
    if (/^[US]\d+$/.test(dtype.code)) return decodeStrings(raw, dtype.code, 1)[0];
    const stored = dtypeFromCode(dtype.byteOrder, dtype.code, 'pickled numpy scalar');
    const value = decodeElements(raw, stored, 1)[0];
    return stored === 'bool' ? value !== 0 : value;
  },
};

/** numpy's array-rebuilding globals (numpy 1.x and 2.x module names), plus what plain containers need. */
export const NUMPY_GLOBALS: GlobalAllowList = allowList(
  Object.fromEntries([
    ...['numpy.core.multiarray', 'numpy._core.multiarray'].flatMap((m) => [
      [`${m}._reconstruct`, RECONSTRUCT],
      [`${m}.scalar`, SCALAR],
    ]),
    ['numpy.ndarray', {}],
    ['numpy.dtype', DTYPE],
    ['_codecs.encode', CODECS_ENCODE],
    ['collections.OrderedDict', ORDERED_DICT],
  ]),
);

/** Turns rebuilt numpy arrays into NpyArray / NpyObjectArray records (0-d object arrays → their item). */
function exportValue(value: unknown, done: Map<unknown, unknown>): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  if (done.has(value)) return done.get(value);
  if (value instanceof NumpyArray) {
    const out: NpyObjectArray | NpyArray =
      value.dtype === 'object' ? { dtype: 'object', shape: value.shape, data: [] } : { dtype: value.dtype, shape: value.shape, data: value.data as NpyArray['data'] };
    if (value.sourceDtype) (out as NpyArray).sourceDtype = value.sourceDtype;
    if (value.dtype === 'object' && value.shape.length === 0) return exportValue((value.data as unknown[])[0], done);
    done.set(value, out);
    if (value.dtype === 'object') (out as NpyObjectArray).data.push(...(value.data as unknown[]).map((v) => exportValue(v, done)));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    done.set(value, out);
    for (const [k, v] of value) out.set(k, exportValue(v, done));
    return out;
  }
  if (value instanceof Set) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    done.set(value, out);
    for (const v of value) out.push(exportValue(v, done));
    return Object.isFrozen(value) ? Object.freeze(out) : out;
  }
  return value;
}

/**
 * Reads a .npy holding a pickled object array (np.save(..., allow_pickle=True)), e.g. a dict of arrays.
 * Dicts become Maps, numeric arrays NpyArray, other arrays NpyObjectArray; a 0-d object array is
 * unwrapped to its single item. Only numpy's array globals are allowed in the pickle.
 */
export function readNpyObject(bytes: Uint8Array, label = '<npy>'): unknown {
  const { descr, dataOffset } = readHeader(bytes, label);
  if (descr !== '|O') throw new NpyError(`${label}: dtype ${descr} is not an object array; read it with readNpy`);
  let value: unknown;
  try {
    value = unpickle(bytes.subarray(dataOffset), { globals: NUMPY_GLOBALS });
  } catch (error) {
    if (error instanceof Error) error.message = `${label}: ${error.message}`;
    throw error;
  }
  return exportValue(value, new Map());
}

export function readNpyObjectFile(path: string): unknown {
  return readNpyObject(readFileSync(path), path);
}
