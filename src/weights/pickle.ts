// A restricted unpickler (protocols 0–5) in the spirit of torch.load(weights_only=True): it builds plain
// JavaScript data and never runs anything a pickle names. Globals must be on an explicit allow-list,
// whose entries are our own small data-building functions; every opcode is checked before the first
// one is executed, and any other global or opcode throws UnsafePickleError.
//
// Python values become: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number,
// str → string, bytes/bytearray → Uint8Array, list → array, tuple → frozen array, dict → Map,
// set/frozenset → Set; allow-listed globals make whatever their handler returns.

/** A pickle asked for something outside the allow-list: a global, an opcode, or BUILD on an unknown object. */
export class UnsafePickleError extends Error {
  override name = 'UnsafePickleError';
  constructor(
    /** What was refused: the global as 'module.name', or the opcode name. */
    readonly refused: string,
    /** Byte offset of the refused opcode within the pickle. */
    readonly offset: number,
    detail: string,
  ) {
    super(`unsafe pickle: ${detail} (byte ${offset})`);
  }
}

/** The bytes are not a well-formed pickle (truncated, unknown opcode, stack misuse). */
export class PickleFormatError extends Error {
  override name = 'PickleFormatError';
  constructor(
    readonly offset: number,
    detail: string,
    /** True when the pickle simply stops early (more bytes might complete it). */
    readonly truncated = false,
  ) {
    super(`malformed pickle: ${detail} (byte ${offset})`);
  }
}

/** What an allow-listed global may do. A global without `call` can only be passed around as a value. */
export interface AllowedGlobal {
  /** REDUCE / NEWOBJ with this global as the callable: returns the object built from plain-data args. */
  call?(args: readonly unknown[]): unknown;
  /** BUILD on an object that `call` returned: applies `state`, returns the (possibly new) object. */
  build?(target: unknown, state: unknown): unknown;
}

/** Allow-list keyed by 'module.name', e.g. 'collections.OrderedDict'. */
export type GlobalAllowList = ReadonlyMap<string, AllowedGlobal>;

/** A reference to an allow-listed global, as it sits on the stack before being called. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly handler: AllowedGlobal,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

export interface UnpickleOptions {
  globals: GlobalAllowList;
  /** Resolves PERSID/BINPERSID ids (torch storages). Without it those opcodes are refused. */
  persistentLoad?(pid: unknown, offset: number): unknown;
  /** Containers the pickle may build, and values it may stack at once, before it is refused (default MAX_PICKLE_OBJECTS). */
  maxObjects?: number;
}

type ArgKind = 'none' | 'u1' | 'u2' | 'i4' | 'u4' | 'u8' | 'f8' | 'line' | 'twoLines' | 'len1' | 'len4' | 'len8';

interface OpSpec {
  name: string;
  arg: ArgKind;
}

// Every opcode of protocols 0–5. Those not in SUPPORTED are refused as unsafe.
const OPS: Record<number, OpSpec> = {};
function op(char: string | number, name: string, arg: ArgKind = 'none'): void {
  OPS[typeof char === 'number' ? char : char.charCodeAt(0)] = { name, arg };
}
op('(', 'MARK');
op('.', 'STOP');
op('0', 'POP');
op('1', 'POP_MARK');
op('2', 'DUP');
op('F', 'FLOAT', 'line');
op('I', 'INT', 'line');
op('J', 'BININT', 'i4');
op('K', 'BININT1', 'u1');
op('M', 'BININT2', 'u2');
op('L', 'LONG', 'line');
op(0x8a, 'LONG1', 'len1');
op(0x8b, 'LONG4', 'len4');
op('S', 'STRING', 'line');
op('T', 'BINSTRING', 'len4');
op('U', 'SHORT_BINSTRING', 'len1');
op('V', 'UNICODE', 'line');
op('X', 'BINUNICODE', 'len4');
op(0x8c, 'SHORT_BINUNICODE', 'len1');
op(0x8d, 'BINUNICODE8', 'len8');
op('B', 'BINBYTES', 'len4');
op('C', 'SHORT_BINBYTES', 'len1');
op(0x8e, 'BINBYTES8', 'len8');
op(0x96, 'BYTEARRAY8', 'len8');
op('N', 'NONE');
op(0x88, 'NEWTRUE');
op(0x89, 'NEWFALSE');
op('a', 'APPEND');
op('e', 'APPENDS');
op('l', 'LIST');
op(']', 'EMPTY_LIST');
op('t', 'TUPLE');
op(')', 'EMPTY_TUPLE');
op(0x85, 'TUPLE1');
op(0x86, 'TUPLE2');
op(0x87, 'TUPLE3');
op('d', 'DICT');
op('}', 'EMPTY_DICT');
op('s', 'SETITEM');
op('u', 'SETITEMS');
op(0x8f, 'EMPTY_SET');
op(0x90, 'ADDITEMS');
op(0x91, 'FROZENSET');
op('g', 'GET', 'line');
op('h', 'BINGET', 'u1');
op('j', 'LONG_BINGET', 'u4');
op('p', 'PUT', 'line');
op('q', 'BINPUT', 'u1');
op('r', 'LONG_BINPUT', 'u4');
op(0x94, 'MEMOIZE');
op('c', 'GLOBAL', 'twoLines');
op(0x93, 'STACK_GLOBAL');
op('R', 'REDUCE');
op('b', 'BUILD');
op(0x81, 'NEWOBJ');
op(0x92, 'NEWOBJ_EX');
op('P', 'PERSID', 'line');
op('Q', 'BINPERSID');
op(0x80, 'PROTO', 'u1');
op(0x95, 'FRAME', 'u8');
op('G', 'BINFLOAT', 'f8');
// Refused: they build arbitrary classes or use out-of-band machinery.
op('i', 'INST', 'twoLines');
op('o', 'OBJ');
op(0x82, 'EXT1', 'u1');
op(0x83, 'EXT2', 'u2');
op(0x84, 'EXT4', 'i4');
op(0x97, 'NEXT_BUFFER');
op(0x98, 'READONLY_BUFFER');

const REFUSED = new Set(['INST', 'OBJ', 'EXT1', 'EXT2', 'EXT4', 'NEXT_BUFFER', 'READONLY_BUFFER']);

interface DecodedOp {
  name: string;
  offset: number;
  arg: number | bigint | string | Uint8Array | [string, string] | undefined;
  /** Offset of the next opcode. */
  next: number;
}

/**
 * The largest pickle a checkpoint reader accepts. A state dict's pickle holds only names, shapes and
 * storage records (about 200 bytes a tensor: a SAM ViT-H checkpoint's is ~110 KB); anything this big
 * is not a checkpoint, and refusing it by its declared size costs nothing.
 */
export const MAX_PICKLE_BYTES = 16 << 20;

/**
 * Containers (lists, tuples, dicts, sets, called globals) one pickle may build, and values it may
 * hold on its stack at once. A container costs up to ~200 bytes of heap, so this keeps a hostile
 * pickle under MAX_PICKLE_BYTES to ~200 MB, while a state dict needs about ten per tensor.
 */
export const MAX_PICKLE_OBJECTS = 1_000_000;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

function readLine(bytes: Uint8Array, pos: number, opOffset: number): [string, number] {
  const end = bytes.indexOf(0x0a, pos);
  if (end < 0) throw new PickleFormatError(opOffset, 'unterminated text argument', true);
  return [latin1.decode(bytes.subarray(pos, end)), end + 1];
}

/** Throws when fewer than `n` bytes are left at `pos` for the argument of the opcode at `offset`. */
function need(bytes: Uint8Array, pos: number, n: number, offset: number, what: string): void {
  if (pos + n > bytes.length) {
    throw new PickleFormatError(offset, `truncated ${what}: needs ${n} bytes, ${bytes.length - pos} left`, true);
  }
}

/**
 * Decodes the opcode at `offset`, validating its framing and refusing unsafe opcodes and globals.
 * Ops are decoded one at a time and never collected: the whole stream is first walked once to
 * check every opcode before any runs, then walked again to run them, so memory is that of the
 * values built, not of the opcode count.
 */
function decodeOp(bytes: Uint8Array, view: DataView, offset: number, options: UnpickleOptions): DecodedOp {
  let pos = offset;
  if (pos >= bytes.length) throw new PickleFormatError(offset, 'pickle ends without STOP', true);
  const code = bytes[pos++];
  const spec = OPS[code];
  if (!spec) throw new PickleFormatError(offset, `unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
  if (REFUSED.has(spec.name)) {
    throw new UnsafePickleError(spec.name, offset, `opcode ${spec.name} is not allowed`);
  }
  if ((spec.name === 'PERSID' || spec.name === 'BINPERSID') && !options.persistentLoad) {
    throw new UnsafePickleError(spec.name, offset, `opcode ${spec.name} (persistent id) is not allowed here`);
  }
  let arg: DecodedOp['arg'];
  switch (spec.arg) {
    case 'none':
      break;
    case 'u1':
      need(bytes, pos, 1, offset, spec.name);
      arg = bytes[pos];
      pos += 1;
      break;
    case 'u2':
      need(bytes, pos, 2, offset, spec.name);
      arg = view.getUint16(pos, true);
      pos += 2;
      break;
    case 'i4':
      need(bytes, pos, 4, offset, spec.name);
      arg = view.getInt32(pos, true);
      pos += 4;
      break;
    case 'u4':
      need(bytes, pos, 4, offset, spec.name);
      arg = view.getUint32(pos, true);
      pos += 4;
      break;
    case 'u8':
      need(bytes, pos, 8, offset, spec.name);
      arg = view.getBigUint64(pos, true);
      pos += 8;
      break;
    case 'f8':
      need(bytes, pos, 8, offset, spec.name);
      arg = view.getFloat64(pos, false); // BINFLOAT is big-endian
      pos += 8;
      break;
    case 'line':
      [arg, pos] = readLine(bytes, pos, offset);
      break;
    case 'twoLines': {
      const [module, afterModule] = readLine(bytes, pos, offset);
      const [name, afterName] = readLine(bytes, afterModule, offset);
      pos = afterName;
      arg = [module, name];
      break;
    }
    case 'len1':
    case 'len4':
    case 'len8': {
      const width = spec.arg === 'len1' ? 1 : spec.arg === 'len4' ? 4 : 8;
      need(bytes, pos, width, offset, `${spec.name} length`);
      const len = width === 1 ? bytes[pos] : width === 4 ? view.getUint32(pos, true) : Number(view.getBigUint64(pos, true));
      pos += width;
      need(bytes, pos, len, offset, spec.name);
      arg = bytes.subarray(pos, pos + len);
      pos += len;
      break;
    }
  }
  if (spec.name === 'GLOBAL') {
    const [module, name] = arg as [string, string];
    if (!options.globals.has(`${module}.${name}`)) {
      throw new UnsafePickleError(`${module}.${name}`, offset, `global '${module}.${name}' is not allowed`);
    }
  }
  if (spec.name === 'FRAME' && (arg as bigint) > BigInt(bytes.length - pos)) {
    throw new PickleFormatError(offset, `frame of ${arg} bytes runs past the end of the data`);
  }
  return { name: spec.name, offset, arg, next: pos };
}

/** Walks the opcode stream from `start` up to and including STOP, checking every opcode; returns the offset past STOP. */
function validateOps(bytes: Uint8Array, view: DataView, start: number, options: UnpickleOptions): number {
  for (let pos = start; ;) {
    const op = decodeOp(bytes, view, pos, options);
    if (op.name === 'STOP') return op.next;
    pos = op.next;
  }
}

function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return narrowInt(value);
}

function narrowInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function parseTextInt(text: string, offset: number): number | bigint | boolean {
  if (text === '00') return false;
  if (text === '01') return true;
  const digits = text.endsWith('L') ? text.slice(0, -1) : text;
  if (!/^[+-]?\d+$/.test(digits)) throw new PickleFormatError(offset, `bad integer literal '${text}'`);
  return narrowInt(BigInt(digits));
}

/** Protocol-0 quoted string ('abc' or "abc" with Python escapes), as latin-1 text. */
function parseQuoted(text: string, offset: number): string {
  const quote = text[0];
  if ((quote !== "'" && quote !== '"') || text.length < 2 || text[text.length - 1] !== quote) {
    throw new PickleFormatError(offset, `bad STRING literal ${JSON.stringify(text)}`);
  }
  return unescapePython(text.slice(1, -1), offset);
}

function unescapePython(body: string, offset: number): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.)/g, (_m, esc: string) => {
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
    if (esc.length > 1 && (esc[0] === 'x' || esc[0] === 'u' || esc[0] === 'U')) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    if (/^[0-7]+$/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
    if (esc in simple) return simple[esc];
    throw new PickleFormatError(offset, `unknown escape \\${esc}`);
  });
}

/** Protocol-0 UNICODE lines are raw-unicode-escape: latin-1 bytes plus \uXXXX / \UXXXXXXXX escapes only. */
function decodeRawUnicodeEscape(latin1Text: string): string {
  return latin1Text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4?: string, u8?: string) => String.fromCodePoint(parseInt((u4 ?? u8)!, 16)));
}

function decodeUtf8(bytes: Uint8Array, offset: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new PickleFormatError(offset, 'string is not valid UTF-8');
  }
}

/** Unpickles one pickle starting at `start`; returns the value and the offset just past its STOP. */
export function unpickleAt(bytes: Uint8Array, start: number, options: UnpickleOptions): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = validateOps(bytes, view, start, options);
  const maxObjects = options.maxObjects ?? MAX_PICKLE_OBJECTS;
  let objects = 0;
  /** Counts a container about to be built; refuses past the budget. */
  const built = <T>(value: T, at: number): T => {
    if (++objects > maxObjects) {
      throw new PickleFormatError(at, `the pickle builds more than ${maxObjects.toLocaleString('en-US')} objects; no checkpoint of tensors needs that many`);
    }
    return value;
  };
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const builtBy = new WeakMap<object, AllowedGlobal>();

  const pop = (at: number): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) {
      throw new PickleFormatError(at, 'stack underflow');
    }
    return stack.pop();
  };
  const popMark = (at: number): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) throw new PickleFormatError(at, 'no MARK on the stack');
    return stack.splice(mark);
  };
  const top = (at: number): unknown => {
    if (stack.length === 0) throw new PickleFormatError(at, 'stack underflow');
    return stack[stack.length - 1];
  };
  const asMap = (value: unknown, at: number, opName: string): Map<unknown, unknown> => {
    if (!(value instanceof Map)) throw new PickleFormatError(at, `${opName} on a non-dict`);
    return value;
  };
  const asList = (value: unknown, at: number, opName: string): unknown[] => {
    if (!Array.isArray(value) || Object.isFrozen(value)) throw new PickleFormatError(at, `${opName} on a non-list`);
    return value;
  };
  const callGlobal = (callable: unknown, args: unknown, at: number, opName: string): unknown => {
    if (!(callable instanceof PyGlobal)) {
      throw new UnsafePickleError(opName, at, `${opName} on a value that is not an allow-listed global`);
    }
    if (!callable.handler.call) {
      throw new UnsafePickleError(callable.qualifiedName, at, `global '${callable.qualifiedName}' may not be called`);
    }
    if (!Array.isArray(args)) throw new PickleFormatError(at, `${opName} arguments are not a tuple`);
    built(null, at);
    let result: unknown;
    try {
      result = callable.handler.call(args);
    } catch (error) {
      throw new PickleFormatError(at, `${callable.qualifiedName}: ${(error as Error).message}`);
    }
    if (typeof result === 'object' && result !== null) builtBy.set(result, callable.handler);
    return result;
  };
  const resolveGlobal = (module: string, name: string, at: number): PyGlobal => {
    const handler = options.globals.get(`${module}.${name}`);
    if (!handler) throw new UnsafePickleError(`${module}.${name}`, at, `global '${module}.${name}' is not allowed`);
    return new PyGlobal(module, name, handler);
  };

  for (let pos = start; pos < end;) {
    const { name, offset, arg, next } = decodeOp(bytes, view, pos, options);
    pos = next;
    // Python's pickler batches list and dict items by the thousand, so a deep stack is not a checkpoint.
    if (stack.length > maxObjects) {
      throw new PickleFormatError(offset, `the pickle stacks more than ${maxObjects.toLocaleString('en-US')} values; no checkpoint of tensors needs that many`);
    }
    switch (name) {
      case 'PROTO':
        if ((arg as number) > 5) throw new PickleFormatError(offset, `unsupported pickle protocol ${arg}`);
        break;
      case 'FRAME':
        break;
      case 'STOP':
        if (stack.length !== 1 || marks.length !== 0) {
          throw new PickleFormatError(offset, `STOP with ${stack.length} values and ${marks.length} marks on the stack`);
        }
        return { value: stack[0], end };
      case 'MARK':
        marks.push(stack.length);
        break;
      case 'POP':
        if (marks.length > 0 && stack.length === marks[marks.length - 1]) marks.pop();
        else pop(offset);
        break;
      case 'POP_MARK':
        popMark(offset);
        break;
      case 'DUP':
        stack.push(top(offset));
        break;
      case 'NONE':
        stack.push(null);
        break;
      case 'NEWTRUE':
        stack.push(true);
        break;
      case 'NEWFALSE':
        stack.push(false);
        break;
      case 'BININT':
      case 'BININT1':
      case 'BININT2':
        stack.push(arg as number);
        break;
      case 'INT':
        stack.push(parseTextInt(arg as string, offset));
        break;
      case 'LONG':
        stack.push(parseTextInt(arg as string, offset));
        break;
      case 'LONG1':
      case 'LONG4':
        stack.push(decodeLong(arg as Uint8Array));
        break;
      case 'FLOAT': {
        const value = Number(arg as string);
        if (Number.isNaN(value) && !/nan/i.test(arg as string)) throw new PickleFormatError(offset, `bad float '${arg}'`);
        stack.push(value);
        break;
      }
      case 'BINFLOAT':
        stack.push(arg as number);
        break;
      case 'STRING':
        stack.push(parseQuoted(arg as string, offset));
        break;
      case 'BINSTRING':
      case 'SHORT_BINSTRING':
        stack.push(latin1.decode(arg as Uint8Array));
        break;
      case 'UNICODE':
        stack.push(decodeRawUnicodeEscape(arg as string));
        break;
      case 'BINUNICODE':
      case 'SHORT_BINUNICODE':
      case 'BINUNICODE8':
        stack.push(decodeUtf8(arg as Uint8Array, offset));
        break;
      case 'BINBYTES':
      case 'SHORT_BINBYTES':
      case 'BINBYTES8':
      case 'BYTEARRAY8':
        stack.push(arg as Uint8Array);
        break;
      case 'EMPTY_LIST':
        stack.push(built([], offset));
        break;
      case 'LIST':
        stack.push(built(popMark(offset), offset));
        break;
      case 'APPEND': {
        const item = pop(offset);
        asList(top(offset), offset, name).push(item);
        break;
      }
      case 'APPENDS': {
        const items = popMark(offset);
        const list = asList(top(offset), offset, name);
        for (const item of items) list.push(item); // not push(...items): a long batch would overflow the call stack
        break;
      }
      case 'EMPTY_TUPLE':
        stack.push(built(Object.freeze([]), offset));
        break;
      case 'TUPLE':
        stack.push(built(Object.freeze(popMark(offset)), offset));
        break;
      case 'TUPLE1':
      case 'TUPLE2':
      case 'TUPLE3': {
        const n = name === 'TUPLE1' ? 1 : name === 'TUPLE2' ? 2 : 3;
        const items: unknown[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop(offset));
        stack.push(built(Object.freeze(items), offset));
        break;
      }
      case 'EMPTY_DICT':
        stack.push(built(new Map(), offset));
        break;
      case 'DICT': {
        const items = popMark(offset);
        if (items.length % 2) throw new PickleFormatError(offset, 'DICT with an odd number of items');
        const dict = built(new Map<unknown, unknown>(), offset);
        for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
        stack.push(dict);
        break;
      }
      case 'SETITEM': {
        const value = pop(offset);
        const key = pop(offset);
        asMap(top(offset), offset, name).set(key, value);
        break;
      }
      case 'SETITEMS': {
        const items = popMark(offset);
        if (items.length % 2) throw new PickleFormatError(offset, 'SETITEMS with an odd number of items');
        const dict = asMap(top(offset), offset, name);
        for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
        break;
      }
      case 'EMPTY_SET':
        stack.push(built(new Set(), offset));
        break;
      case 'ADDITEMS': {
        const items = popMark(offset);
        const set = top(offset);
        if (!(set instanceof Set)) throw new PickleFormatError(offset, 'ADDITEMS on a non-set');
        for (const item of items) set.add(item);
        break;
      }
      case 'FROZENSET':
        stack.push(built(new Set(popMark(offset)), offset));
        break;
      case 'GET':
      case 'BINGET':
      case 'LONG_BINGET': {
        const index = name === 'GET' ? Number(arg) : (arg as number);
        if (!memo.has(index)) throw new PickleFormatError(offset, `memo entry ${arg} was never stored`);
        stack.push(memo.get(index));
        break;
      }
      case 'PUT':
      case 'BINPUT':
      case 'LONG_BINPUT': {
        const index = name === 'PUT' ? Number(arg) : (arg as number);
        if (!Number.isInteger(index) || index < 0) throw new PickleFormatError(offset, `bad memo index '${arg}'`);
        memo.set(index, top(offset));
        break;
      }
      case 'MEMOIZE':
        memo.set(memo.size, top(offset));
        break;
      case 'GLOBAL': {
        const [module, globalName] = arg as [string, string];
        stack.push(resolveGlobal(module, globalName, offset));
        break;
      }
      case 'STACK_GLOBAL': {
        const globalName = pop(offset);
        const module = pop(offset);
        if (typeof module !== 'string' || typeof globalName !== 'string') {
          throw new UnsafePickleError(name, offset, 'STACK_GLOBAL with a non-string module or name');
        }
        stack.push(resolveGlobal(module, globalName, offset));
        break;
      }
      case 'REDUCE': {
        const args = pop(offset);
        const callable = pop(offset);
        stack.push(callGlobal(callable, args, offset, name));
        break;
      }
      case 'NEWOBJ': {
        const args = pop(offset);
        const cls = pop(offset);
        stack.push(callGlobal(cls, args, offset, name));
        break;
      }
      case 'NEWOBJ_EX': {
        const kwargs = pop(offset);
        const args = pop(offset);
        const cls = pop(offset);
        if (!(kwargs instanceof Map) || kwargs.size > 0) {
          throw new UnsafePickleError(name, offset, 'NEWOBJ_EX with keyword arguments is not allowed');
        }
        stack.push(callGlobal(cls, args, offset, name));
        break;
      }
      case 'BUILD': {
        const state = pop(offset);
        const target = pop(offset);
        const handler = typeof target === 'object' && target !== null ? builtBy.get(target) : undefined;
        if (!handler?.build) {
          throw new UnsafePickleError(name, offset, 'BUILD on an object that no allow-listed global made buildable');
        }
        let built: unknown;
        try {
          built = handler.build(target, state);
        } catch (error) {
          throw new PickleFormatError(offset, `BUILD: ${(error as Error).message}`);
        }
        if (typeof built === 'object' && built !== null) builtBy.set(built, handler);
        stack.push(built);
        break;
      }
      case 'PERSID':
      case 'BINPERSID': {
        const pid = name === 'PERSID' ? (arg as string) : pop(offset);
        stack.push(options.persistentLoad!(pid, offset));
        break;
      }
      default:
        throw new PickleFormatError(offset, `opcode ${name} is not handled`);
    }
  }
  throw new PickleFormatError(end, 'pickle ends without STOP');
}

/** Unpickles `bytes` (which must hold one pickle, optionally followed by other data). */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return unpickleAt(bytes, 0, options).value;
}

/** True when `bytes` starts like a binary pickle (PROTO opcode with protocol 2–5). */
export function looksLikePickle(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
}

/** Builds an allow-list from entries; names are 'module.name'. */
export function allowList(entries: Record<string, AllowedGlobal>): GlobalAllowList {
  return new Map(Object.entries(entries));
}

/** Python `OrderedDict` (and plain `dict` semantics): REDUCE with () or ([pairs]); BUILD stores attributes. */
export const ORDERED_DICT: AllowedGlobal = {
  call(args) {
    const dict = new Map<unknown, unknown>();
    const pairs = args[0];
    if (args.length > 1) throw new TypeError(`OrderedDict takes at most 1 argument, got ${args.length}`);
    if (pairs !== undefined) {
      if (!Array.isArray(pairs)) throw new TypeError('OrderedDict argument must be a list of pairs');
      for (const pair of pairs) {
        if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('OrderedDict item is not a pair');
        dict.set(pair[0], pair[1]);
      }
    }
    return dict;
  },
  // state_dict() OrderedDicts carry a `_metadata` attribute (module versions): kept, non-enumerable.
  build(target, state) {
    if (!(state instanceof Map)) throw new TypeError('OrderedDict state must be a dict');
    for (const [key, value] of state) {
      Object.defineProperty(target, String(key), { value, enumerable: false, configurable: true });
    }
    return target;
  },
};

/** `_codecs.encode(text, 'latin1')`: how protocol-2 pickles spell a bytes object. */
export const CODECS_ENCODE: AllowedGlobal = {
  call(args) {
    const [text, encoding] = args;
    if (typeof text !== 'string') throw new TypeError('_codecs.encode expects a string');
    if (encoding !== 'latin1' && encoding !== 'latin-1') {
      throw new TypeError(`_codecs.encode: only latin1 is supported, got ${String(encoding)}`);
    }
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 255) throw new TypeError('_codecs.encode: character outside latin1');
      out[i] = code;
    }
    return out;
  },
};

/** What an opaque global leaves behind: its name, the arguments it was called with, and any BUILD state. */
export class OpaqueObject {
  state: unknown = undefined;
  constructor(
    readonly global: string,
    readonly args: readonly unknown[],
  ) {}
}

/**
 * An allow-list entry that records instead of constructing: for metadata classes that a caller chooses
 * to tolerate (e.g. an mmengine HistoryBuffer in a training checkpoint) without giving them meaning.
 */
export function opaqueGlobal(qualifiedName: string): AllowedGlobal {
  return {
    call: (args) => new OpaqueObject(qualifiedName, args),
    build(target, state) {
      (target as OpaqueObject).state = state;
      return target;
    },
  };
}
