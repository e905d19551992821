// A tiny pickle writer for tests: emits opcodes by hand so that tests can build valid checkpoints,
// numpy object arrays and hostile pickles without Python.

export class PickleWriter {
  private bytes: number[] = [];

  get length(): number {
    return this.bytes.length;
  }

  op(code: number | string, ...payload: number[]): this {
    this.bytes.push(typeof code === 'string' ? code.charCodeAt(0) : code, ...payload);
    return this;
  }

  raw(data: Uint8Array | number[]): this {
    for (const b of data) this.bytes.push(b);
    return this;
  }

  proto(version = 2): this {
    return this.op(0x80, version);
  }

  /** GLOBAL 'module\nname\n' (protocols 0–3). */
  global(module: string, name: string): this {
    return this.op('c').raw(ascii(`${module}\n${name}\n`));
  }

  /** module and name as strings, then STACK_GLOBAL (protocol 4+). */
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).op(0x93);
  }

  str(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    if (utf8.length < 256) return this.op(0x8c, utf8.length).raw(utf8);
    return this.op('X', ...u32(utf8.length)).raw(utf8);
  }

  bytesValue(data: Uint8Array): this {
    return this.op('B', ...u32(data.length)).raw(data);
  }

  int(value: number): this {
    if (value >= 0 && value < 256) return this.op('K', value);
    if (value >= 0 && value < 65536) return this.op('M', value & 0xff, value >> 8);
    if (value >= -(2 ** 31) && value < 2 ** 31) return this.op('J', ...u32(value >>> 0));
    return this.long(BigInt(value));
  }

  /** LONG1: little-endian two's complement. */
  long(value: bigint): this {
    const out: number[] = [];
    let v = value;
    do {
      out.push(Number(v & 0xffn));
      v >>= 8n;
    } while (!((v === 0n && (out[out.length - 1] & 0x80) === 0) || (v === -1n && (out[out.length - 1] & 0x80) !== 0)));
    return this.op(0x8a, out.length, ...out);
  }

  float(value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, false);
    return this.op('G').raw(b);
  }

  bool(value: boolean): this {
    return this.op(value ? 0x88 : 0x89);
  }

  none(): this {
    return this.op('N');
  }

  mark(): this {
    return this.op('(');
  }

  tuple(): this {
    return this.op('t');
  }

  emptyTuple(): this {
    return this.op(')');
  }

  emptyDict(): this {
    return this.op('}');
  }

  emptyList(): this {
    return this.op(']');
  }

  setItems(): this {
    return this.op('u');
  }

  setItem(): this {
    return this.op('s');
  }

  appends(): this {
    return this.op('e');
  }

  reduce(): this {
    return this.op('R');
  }

  build(): this {
    return this.op('b');
  }

  binPersId(): this {
    return this.op('Q');
  }

  binPut(index: number): this {
    return this.op('q', index);
  }

  binGet(index: number): this {
    return this.op('h', index);
  }

  stop(): this {
    return this.op('.');
  }

  /** Writes a tuple of small ints. */
  intTuple(values: number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

export function u32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

export interface TensorSpec {
  storageKey: string;
  storageType?: string; // 'FloatStorage' etc.
  storageNumel: number;
  offset?: number;
  shape: number[];
  /** Defaults to contiguous strides. */
  stride?: number[];
  /** Wrap in torch._utils._rebuild_parameter, as nn.Parameter pickles. */
  parameter?: boolean;
}

export function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/**
 * Emits `_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())` as torch does.
 * `legacy` adds the legacy format's 6th persistent-id field: None, or a view (view_key, offset, size).
 */
export function writeTensor(w: PickleWriter, spec: TensorSpec, legacy?: { view?: [string, number, number] }): void {
  if (spec.parameter) w.global('torch._utils', '_rebuild_parameter').mark();
  w.global('torch._utils', '_rebuild_tensor_v2').mark();
  // persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel[, view_metadata])
  w.mark()
    .str('storage')
    .global('torch', spec.storageType ?? 'FloatStorage')
    .str(spec.storageKey)
    .str('cpu')
    .int(spec.storageNumel);
  if (legacy?.view) w.mark().str(legacy.view[0]).int(legacy.view[1]).int(legacy.view[2]).tuple();
  else if (legacy) w.none();
  w.tuple().binPersId();
  w.int(spec.offset ?? 0)
    .intTuple(spec.shape)
    .intTuple(spec.stride ?? contiguousStrides(spec.shape));
  w.bool(false).global('collections', 'OrderedDict').emptyTuple().reduce();
  w.tuple().reduce();
  if (spec.parameter) w.bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
}

/** A pickle of `{name: tensor}` (an OrderedDict when `ordered`), optionally nested under `outerKey`. */
export function stateDictPickle(tensors: [string, TensorSpec][], options: { ordered?: boolean; outerKey?: string; meta?: [string, string][] } = {}): Uint8Array {
  const w = new PickleWriter().proto(2);
  if (options.outerKey) w.emptyDict().mark().str(options.outerKey);
  if (options.ordered) w.global('collections', 'OrderedDict').emptyTuple().reduce();
  else w.emptyDict();
  w.mark();
  for (const [name, spec] of tensors) {
    w.str(name);
    writeTensor(w, spec);
  }
  w.setItems();
  if (options.outerKey) {
    if (options.meta) {
      w.str('meta').emptyDict().mark();
      for (const [k, v] of options.meta) w.str(k).str(v);
      w.setItems();
    }
    w.setItems();
  }
  return w.stop().finish();
}
