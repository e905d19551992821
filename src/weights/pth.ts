// PyTorch checkpoint reader: the zip layout (`<prefix>/data.pkl` + `<prefix>/data/<key>`) and the
// legacy single-stream torch.save format. The pickle is unpickled with the restricted unpickler first
// (storages are only recorded, never read, so a hostile pickle is refused before any data is touched);
// then each storage is read once, at its offset, and every tensor view is made contiguous.
import { decodeElements, allocElements, widenedDtype } from './elements.js';
import {
  allowList,
  CODECS_ENCODE,
  MAX_PICKLE_BYTES,
  ORDERED_DICT,
  PickleFormatError,
  UnsafePickleError,
  looksLikePickle,
  opaqueGlobal,
  unpickleAt,
  type AllowedGlobal,
  type GlobalAllowList,
  PyGlobal,
} from './pickle.js';
import { STORED_DTYPE_SIZE, shapeSize, type StateDict, type StoredDtype, type WeightData, type WeightTensor } from './types.js';
import { ZipError, ZipReader, bufferSource, fileSource, type ByteSource, type ZipEntry } from './zip.js';

export type CheckpointErrorCode =
  'not-a-checkpoint' | 'truncated' | 'corrupt-zip' | 'bad-crc' | 'missing-data-pkl' | 'missing-storage' | 'malformed-pickle' | 'bad-tensor' | 'too-large' | 'unsupported';

/** Any checkpoint problem other than an unsafe pickle (which stays an UnsafePickleError). */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    readonly code: CheckpointErrorCode,
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

export interface PthCheckpoint {
  /** Every tensor of the (nested) object, keyed by its dotted path, e.g. 'state_dict.backbone.pos_embed'. */
  tensors: StateDict;
  /** Every non-tensor leaf, keyed the same way, e.g. 'meta.note' → 'random weights, …'. */
  metadata: Map<string, unknown>;
  format: 'zip' | 'legacy';
}

export interface ReadPthOptions {
  /** Extra allow-listed globals (e.g. NUMPY_GLOBALS for checkpoints whose metadata holds numpy values). */
  extraGlobals?: GlobalAllowList;
  /**
   * Globals ('module.name') to accept as inert OpaqueObject records in metadata, e.g. an mmengine
   * training checkpoint's 'mmengine.logging.history_buffer.HistoryBuffer'. Nothing is constructed or run.
   */
  opaqueGlobals?: string[];
  /** Check every entry's CRC-32 (default true). */
  verifyCrc?: boolean;
}

/** A storage as named by a persistent id: read later, once the whole pickle was accepted. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: StoredDtype,
    readonly numel: number,
    /** Legacy format views: element offset into the root storage. */
    readonly elementOffset = 0,
  ) {}
}

/** `_rebuild_tensor_v2` result: a (possibly strided) view of a storage. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

const STORAGE_DTYPES: Record<string, StoredDtype> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

function intTuple(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) {
    throw new TypeError(`${what} must be a tuple of non-negative integers, got ${String(value)}`);
  }
  return value as number[];
}

const REBUILD_TENSOR: AllowedGlobal = {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  call(args) {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof StorageRef)) throw new TypeError('tensor storage is not a persistent storage record');
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw new TypeError(`bad storage offset ${String(offset)}`);
    const shape = intTuple(size, 'tensor size');
    const strides = intTuple(stride, 'tensor stride');
    if (shape.length !== strides.length) throw new TypeError(`size ${shape} and stride ${strides} differ in rank`);
    return new TensorRef(storage, offset as number, shape, strides);
  },
};

const REBUILD_PARAMETER: AllowedGlobal = {
  // _rebuild_parameter(data, requires_grad, backward_hooks) and _rebuild_parameter_with_state(…, state)
  call(args) {
    if (!(args[0] instanceof TensorRef)) throw new TypeError('parameter data is not a tensor');
    return args[0];
  },
};

/** What a torch checkpoint of tensors needs, and nothing more (cf. torch's weights_only allow-list). */
export const TORCH_GLOBALS: GlobalAllowList = allowList({
  'collections.OrderedDict': ORDERED_DICT,
  'torch._utils._rebuild_tensor_v2': REBUILD_TENSOR,
  'torch._utils._rebuild_parameter': REBUILD_PARAMETER,
  'torch._utils._rebuild_parameter_with_state': REBUILD_PARAMETER,
  '_codecs.encode': CODECS_ENCODE,
  ...Object.fromEntries(Object.keys(STORAGE_DTYPES).map((name) => [`torch.${name}`, {}])),
});

function storageDtype(type: unknown): StoredDtype {
  if (type instanceof PyGlobal && type.module === 'torch' && type.name in STORAGE_DTYPES) return STORAGE_DTYPES[type.name];
  throw new TypeError(`unknown storage type ${type instanceof PyGlobal ? type.qualifiedName : String(type)}`);
}

/** persistent_load for both formats: ('storage', type, key, location, numel[, view_metadata]). */
function loadStorageId(pid: unknown): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || (pid.length !== 5 && pid.length !== 6)) {
    throw new TypeError(`unsupported persistent id ${JSON.stringify(pid)}`);
  }
  const [, type, key, , numel, view] = pid;
  if (typeof key !== 'string' || !Number.isSafeInteger(numel)) throw new TypeError(`bad storage record for key ${String(key)}`);
  const dtype = storageDtype(type);
  if (view === undefined || view === null) return new StorageRef(key, dtype, numel as number);
  const [, viewOffset, viewSize] = view as unknown[];
  if (!Number.isSafeInteger(viewOffset) || !Number.isSafeInteger(viewSize)) throw new TypeError(`bad storage view of ${key}`);
  return new StorageRef(key, dtype, viewSize as number, viewOffset as number);
}

function unpickleCheckpoint(bytes: Uint8Array, start: number, file: string, options: ReadPthOptions): { value: unknown; end: number } {
  const globals = new Map([...(options.opaqueGlobals ?? []).map((name) => [name, opaqueGlobal(name)] as const), ...(options.extraGlobals ?? []), ...TORCH_GLOBALS]);
  try {
    return unpickleAt(bytes, start, {
      globals,
      persistentLoad: (pid, offset) => {
        try {
          return loadStorageId(pid);
        } catch (error) {
          throw new PickleFormatError(offset, (error as Error).message);
        }
      },
    });
  } catch (error) {
    if (error instanceof UnsafePickleError) {
      error.message = `${file}: ${error.message}`;
      throw error;
    }
    if (error instanceof PickleFormatError) {
      throw new CheckpointError(error.truncated ? 'truncated' : 'malformed-pickle', file, error.message);
    }
    throw error;
  }
}

/** Splits the object tree into tensors and other leaves, with dotted keys (dicts always, lists only when they hold tensors). */
function flatten(root: unknown): { refs: Map<string, TensorRef>; metadata: Map<string, unknown> } {
  const refs = new Map<string, TensorRef>();
  const metadata = new Map<string, unknown>();
  const holdsTensor = (value: unknown, seen: Set<unknown>): boolean => {
    if (value instanceof TensorRef) return true;
    if (typeof value !== 'object' || value === null || seen.has(value)) return false;
    seen.add(value);
    const children = value instanceof Map ? [...value.values()] : Array.isArray(value) ? value : [];
    return children.some((child) => holdsTensor(child, seen));
  };
  const path = new Set<unknown>(); // containers being visited, so that a self-referencing pickle cannot loop
  const visit = (value: unknown, key: string): void => {
    if (value instanceof TensorRef) refs.set(key, value);
    else if (!path.has(value) && ((value instanceof Map && value.size > 0) || (Array.isArray(value) && holdsTensor(value, new Set())))) {
      path.add(value);
      const entries = value instanceof Map ? [...value.entries()] : (value as unknown[]).map((child, i) => [i, child] as const);
      for (const [childKey, child] of entries) visit(child, key === '' ? String(childKey) : `${key}.${String(childKey)}`);
      path.delete(value);
    } else metadata.set(key, value);
  };
  visit(root, '');
  return { refs, metadata };
}

/** Copies a strided view into a new contiguous row-major array. */
function gather(storage: WeightData, ref: TensorRef, start: number, dtype: ReturnType<typeof widenedDtype>): WeightData {
  const n = shapeSize(ref.shape);
  const out = allocElements(dtype, n) as unknown as { [i: number]: number | bigint };
  const src = storage as unknown as { [i: number]: number | bigint };
  const rank = ref.shape.length;
  if (n === 0) return out as unknown as WeightData;
  if (rank === 0) {
    out[0] = src[start];
    return out as unknown as WeightData;
  }
  const index = new Array<number>(rank).fill(0);
  const inner = ref.shape[rank - 1];
  const innerStride = ref.stride[rank - 1];
  let base = start;
  for (let o = 0; o < n; o += inner) {
    for (let i = 0, s = base; i < inner; i++, s += innerStride) out[o + i] = src[s];
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      base += ref.stride[d];
      if (index[d] < ref.shape[d]) break;
      base -= ref.stride[d] * ref.shape[d];
      index[d] = 0;
    }
  }
  return out as unknown as WeightData;
}

function isContiguous(ref: TensorRef): boolean {
  let expected = 1;
  for (let d = ref.shape.length - 1; d >= 0; d--) {
    if (ref.shape[d] !== 1 && ref.stride[d] !== expected) return false;
    expected *= ref.shape[d];
  }
  return true;
}

/** Reads storages one at a time and builds every tensor that uses each. */
function materialize(refs: Map<string, TensorRef>, readStorage: (ref: StorageRef, usedBy: string) => Uint8Array, file: string): StateDict {
  const byStorage = new Map<string, [string, TensorRef][]>();
  for (const [key, ref] of refs) {
    const group = byStorage.get(ref.storage.key) ?? [];
    group.push([key, ref]);
    byStorage.set(ref.storage.key, group);
  }
  const built = new Map<string, WeightTensor>();
  for (const group of byStorage.values()) {
    const first = group[0][1].storage;
    const raw = readStorage(first, group[0][0]);
    const numel = Math.floor(raw.byteLength / STORED_DTYPE_SIZE[first.dtype]);
    const elements = decodeElements(raw, first.dtype, numel);
    const dtype = widenedDtype(first.dtype);
    for (const [key, ref] of group) {
      const start = ref.storage.elementOffset + ref.offset;
      const n = shapeSize(ref.shape);
      let last = start;
      for (let d = 0; d < ref.shape.length; d++) last += (ref.shape[d] - 1) * ref.stride[d];
      if (n > 0 && last >= numel) {
        throw new CheckpointError(
          'bad-tensor',
          file,
          `tensor ${key} (shape [${ref.shape}], stride [${ref.stride}], offset ${start}) reaches element ${last} of storage ${ref.storage.key}, which has ${numel}`,
        );
      }
      const whole = start === 0 && n === numel && isContiguous(ref);
      const data = whole ? elements : isContiguous(ref) ? elements.slice(start, start + n) : gather(elements, ref, start, dtype);
      const tensor: WeightTensor = { dtype, shape: [...ref.shape], data };
      if (dtype !== first.dtype) tensor.sourceDtype = first.dtype;
      built.set(key, tensor);
    }
  }
  // Keep file order.
  const ordered: StateDict = new Map();
  for (const key of refs.keys()) ordered.set(key, built.get(key)!);
  return ordered;
}

/** ZipError → CheckpointError with the same meaning; anything else unchanged. */
function fromZipError(error: unknown, file: string): unknown {
  if (!(error instanceof ZipError)) return error;
  const code: CheckpointErrorCode = error.code === 'unsupported-zip' ? 'unsupported' : error.code === 'not-a-zip' ? 'corrupt-zip' : error.code;
  return new CheckpointError(code, file, error.message.startsWith(`${file}: `) ? error.message.slice(file.length + 2) : error.message);
}

function readZipCheckpoint(zip: ZipReader, file: string, options: ReadPthOptions): PthCheckpoint {
  const pickles = [...zip.entries.keys()].filter((name) => name === 'data.pkl' || name.endsWith('/data.pkl'));
  const pickleName = pickles.sort((a, b) => a.split('/').length - b.split('/').length)[0];
  if (!pickleName) {
    const seen = [...zip.entries.keys()].slice(0, 5).join(', ');
    throw new CheckpointError('missing-data-pkl', file, `zip archive has no data.pkl, so it is not a torch.save checkpoint (entries: ${seen || 'none'})`);
  }
  const prefix = pickleName.slice(0, pickleName.length - 'data.pkl'.length);
  const read = (entry: ZipEntry, limit?: { maxBytes: number; what: string }): Uint8Array => {
    try {
      return zip.read(entry, { verifyCrc: options.verifyCrc, ...limit });
    } catch (error) {
      throw fromZipError(error, file);
    }
  };
  const byteorder = zip.entries.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(read(byteorder, { maxBytes: 16, what: 'a byte-order record' })).trim() !== 'little') {
    throw new CheckpointError('unsupported', file, 'big-endian checkpoints are not supported');
  }
  const pickle = read(zip.entries.get(pickleName)!, { maxBytes: MAX_PICKLE_BYTES, what: 'a checkpoint pickle' });
  const { value } = unpickleCheckpoint(pickle, 0, file, options);
  const { refs, metadata } = flatten(value);
  const tensors = materialize(
    refs,
    (storage, usedBy) => {
      const entry = zip.entries.get(`${prefix}data/${storage.key}`);
      if (!entry) throw new CheckpointError('missing-storage', file, `storage ${prefix}data/${storage.key} (used by ${usedBy}) is not in the archive`);
      // torch.save writes each storage as exactly its elements' bytes: the pickle's record is the cap.
      const needed = storage.numel * STORED_DTYPE_SIZE[storage.dtype];
      if (entry.size !== needed) {
        throw new CheckpointError(
          'corrupt-zip',
          file,
          `storage ${entry.name} (used by ${usedBy}) holds ${entry.size} bytes, its record says ${storage.numel} ${storage.dtype} elements (${needed} bytes)`,
        );
      }
      return read(entry);
    },
    file,
  );
  return { tensors, metadata, format: 'zip' };
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** Legacy torch.save: pickles of magic, protocol, sys_info, the object, the storage keys; then each storage as int64 numel + bytes. */
function readLegacyCheckpoint(source: ByteSource, file: string, options: ReadPthOptions): PthCheckpoint {
  const { values, end } = readLegacyPickles(source, file, options);
  const [, protocol, sysInfo, root, keys] = values;
  if (protocol !== 1001) throw new CheckpointError('unsupported', file, `legacy protocol ${String(protocol)} is not supported`);
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) {
    throw new CheckpointError('unsupported', file, 'big-endian checkpoints are not supported');
  }
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new CheckpointError('malformed-pickle', file, 'legacy storage key list is not a list of strings');
  }
  const { refs, metadata } = flatten(root);
  const dtypeOf = new Map<string, StoredDtype>();
  for (const ref of refs.values()) dtypeOf.set(ref.storage.key, ref.storage.dtype);
  // Storage records follow in the order of `keys`: find each one's offset without reading its data.
  const located = new Map<string, { at: number; numel: number }>();
  let cursor = end;
  for (const key of keys as string[]) {
    if (cursor + 8 > source.size) throw new CheckpointError('truncated', file, `storage ${key} lies past the end of the file`);
    const numel = Number(new DataView(source.read(cursor, 8).buffer).getBigInt64(0, true));
    const dtype = dtypeOf.get(key);
    if (!dtype) throw new CheckpointError('missing-storage', file, `storage ${key} is listed but no tensor names its type`);
    located.set(key, { at: cursor + 8, numel });
    cursor += 8 + numel * STORED_DTYPE_SIZE[dtype];
    if (numel < 0 || cursor > source.size) throw new CheckpointError('truncated', file, `storage ${key} (${numel} elements) runs past the end of the file`);
  }
  const tensors = materialize(
    refs,
    (storage, usedBy) => {
      const record = located.get(storage.key);
      if (!record) throw new CheckpointError('missing-storage', file, `storage ${storage.key} (used by ${usedBy}) has no data record`);
      return source.read(record.at, record.numel * STORED_DTYPE_SIZE[storage.dtype]);
    },
    file,
  );
  return { tensors, metadata, format: 'legacy' };
}

/**
 * The five leading pickles. They are small: read a growing prefix of the file until they all parse,
 * up to MAX_PICKLE_BYTES (beyond that the file is not a checkpoint, and the prefix is not read).
 */
function readLegacyPickles(source: ByteSource, file: string, options: ReadPthOptions): { values: unknown[]; end: number } {
  const limit = Math.min(source.size, MAX_PICKLE_BYTES);
  for (let length = Math.min(limit, 1 << 20); ; length = Math.min(limit, length * 4)) {
    const head = source.read(0, length);
    try {
      const values: unknown[] = [];
      let at = 0;
      for (let i = 0; i < 5; i++) {
        const parsed = unpickleCheckpoint(head, at, file, options);
        values.push(parsed.value);
        at = parsed.end;
        const magic = values[0];
        if (i === 0 && !((typeof magic === 'number' || typeof magic === 'bigint') && BigInt(magic) === LEGACY_MAGIC)) {
          throw new CheckpointError('not-a-checkpoint', file, 'a pickle, but not a torch.save checkpoint (wrong magic number)');
        }
      }
      return { values, end: at };
    } catch (error) {
      const truncated = error instanceof CheckpointError && error.code === 'truncated';
      if (truncated && length === MAX_PICKLE_BYTES && source.size > length) {
        throw new CheckpointError('too-large', file, `the legacy checkpoint's pickles run past ${MAX_PICKLE_BYTES.toLocaleString('en-US')} bytes, more than any checkpoint of tensors needs`);
      }
      if (!(truncated && length < limit)) throw error;
    }
  }
}

function readFrom(source: ByteSource, options: ReadPthOptions): PthCheckpoint {
  const file = source.label;
  if (source.size === 0) throw new CheckpointError('not-a-checkpoint', file, 'file is empty');
  const head = source.read(0, Math.min(source.size, 4));
  const isZip = head.length === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4;
  if (isZip) {
    let zip: ZipReader;
    try {
      zip = ZipReader.open(source);
    } catch (error) {
      throw fromZipError(error, file);
    }
    return readZipCheckpoint(zip, file, options);
  }
  if (looksLikePickle(head)) return readLegacyCheckpoint(source, file, options);
  throw new CheckpointError('not-a-checkpoint', file, 'neither a zip archive nor a pickle: not a PyTorch checkpoint');
}

/** Reads a PyTorch checkpoint file (zip or legacy format) without running anything it contains. */
export function readPth(path: string, options: ReadPthOptions = {}): PthCheckpoint {
  let source: ByteSource;
  try {
    source = fileSource(path);
  } catch (error) {
    throw new CheckpointError('not-a-checkpoint', path, `cannot open: ${(error as Error).message}`);
  }
  try {
    return readFrom(source, options);
  } finally {
    source.close();
  }
}

/** Same as readPth, from bytes in memory. */
export function readPthBuffer(bytes: Uint8Array, options: ReadPthOptions & { label?: string } = {}): PthCheckpoint {
  return readFrom(bufferSource(bytes, options.label ?? '<buffer>'), options);
}
