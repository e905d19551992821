import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowList, CODECS_ENCODE, PickleFormatError, UnsafePickleError, unpickle, unpickleAt, type AllowedGlobal } from '../../src/weights/pickle.js';
import { PickleWriter } from './helpers/pickle_writer.js';
import { PYTHON_PICKLES } from './helpers/python_pickles.js';

const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g)!.map((b) => parseInt(b, 16)));

// What CPython uses to spell sets and bytearrays in these test pickles (not part of any default list).
const toSet: AllowedGlobal = { call: (args) => new Set((args[0] as unknown[] | undefined) ?? []) };
const toBytes: AllowedGlobal = { call: (args) => (args[0] instanceof Uint8Array ? args[0] : new Uint8Array()) };
const PYTHON_CONTAINERS = allowList({
  '__builtin__.set': toSet,
  '__builtin__.frozenset': toSet,
  '__builtin__.bytearray': toBytes,
  'builtins.bytearray': toBytes,
  '_codecs.encode': CODECS_ENCODE,
});

for (const protocol of [0, 2, 4, 5]) {
  test(`decodes a CPython protocol-${protocol} pickle of mixed values`, () => {
    const value = unpickle(hex(PYTHON_PICKLES[protocol]), { globals: PYTHON_CONTAINERS }) as Map<string, unknown>;
    assert.ok(value instanceof Map);
    assert.deepEqual(value.get('a'), [1, -2, 2n ** 70n, -(2n ** 63n), 3.5, null, true, false, 255, 65535, -1]);
    const [bytes, text] = value.get('b') as [Uint8Array, string];
    assert.deepEqual([...bytes], [0, 255]);
    assert.equal(text, 'ünï');
    assert.ok(Object.isFrozen(value.get('b')), 'tuples are frozen arrays');
    assert.deepEqual(value.get('c'), new Set([1, 2]));
    assert.deepEqual(value.get('d'), new Set([3]));
    assert.deepEqual([...(value.get('e') as Uint8Array)], [0x78, 0x79]);
    const shared = value.get('shared') as unknown[][];
    assert.deepEqual(shared, [[7], [7]]);
    assert.equal(shared[0], shared[1], 'memo references keep identity');
    assert.equal(value.get('long'), 'z'.repeat(256));
    assert.deepEqual(value.get('t'), [1]);
    assert.deepEqual(value.get('t2'), [1, 2]);
    assert.deepEqual(value.get('t3'), [1, 2, 3]);
  });
}

test('every global is checked before anything is called', () => {
  const calls: unknown[] = [];
  const globals = allowList({ 'test.record': { call: (args) => calls.push(args) } });
  const pickle = new PickleWriter().proto(2).mark();
  pickle.global('test', 'record').mark().int(1).tuple().reduce();
  pickle.global('os', 'system').mark().str('echo pwned').tuple().reduce();
  const bytes = pickle.tuple().stop().finish();
  assert.throws(
    () => unpickle(bytes, { globals }),
    (e: unknown) => e instanceof UnsafePickleError && e.refused === 'os.system',
  );
  assert.deepEqual(calls, [], 'the allowed call before the forbidden global must not have run');
});

test('STACK_GLOBAL names are refused before the callable is used', () => {
  const bytes = new PickleWriter().proto(4).stackGlobal('builtins', 'eval').mark().str('1+1').tuple().reduce().stop().finish();
  assert.throws(
    () => unpickle(bytes, { globals: allowList({}) }),
    // STACK_GLOBAL sits after PROTO (2 bytes), 'builtins' (10) and 'eval' (6).
    (e: unknown) => e instanceof UnsafePickleError && e.refused === 'builtins.eval' && e.offset === 2 + 10 + 6 && /byte 18/.test(e.message),
  );
});

test('opcodes that build arbitrary objects are refused, naming the opcode and offset', () => {
  const cases: [string, Uint8Array][] = [
    [
      'INST',
      new PickleWriter()
        .proto(2)
        .mark()
        .op('i')
        .raw([...'os\nsystem\n'].map((c) => c.charCodeAt(0)))
        .stop()
        .finish(),
    ],
    ['OBJ', new PickleWriter().proto(2).mark().none().op('o').stop().finish()],
    ['EXT1', new PickleWriter().proto(2).op(0x82, 1).stop().finish()],
    ['EXT2', new PickleWriter().proto(2).op(0x83, 1, 0).stop().finish()],
    ['EXT4', new PickleWriter().proto(2).op(0x84, 1, 0, 0, 0).stop().finish()],
    ['NEXT_BUFFER', new PickleWriter().proto(5).op(0x97).stop().finish()],
  ];
  for (const [name, bytes] of cases) {
    assert.throws(
      () => unpickle(bytes, { globals: allowList({}) }),
      (e: unknown) => e instanceof UnsafePickleError && e.refused === name && e.message.includes(name),
      name,
    );
  }
});

test('REDUCE on a value-only global, on a non-global, and BUILD on a plain dict are refused', () => {
  const valueOnly = allowList({ 'torch.FloatStorage': {} });
  const reduceStorage = new PickleWriter().proto(2).global('torch', 'FloatStorage').emptyTuple().reduce().stop().finish();
  assert.throws(
    () => unpickle(reduceStorage, { globals: valueOnly }),
    (e: unknown) => e instanceof UnsafePickleError && e.refused === 'torch.FloatStorage',
  );
  const reduceString = new PickleWriter().proto(2).str('os.system').emptyTuple().reduce().stop().finish();
  assert.throws(
    () => unpickle(reduceString, { globals: valueOnly }),
    (e: unknown) => e instanceof UnsafePickleError && e.refused === 'REDUCE',
  );
  const buildDict = new PickleWriter().proto(2).emptyDict().emptyDict().build().stop().finish();
  assert.throws(
    () => unpickle(buildDict, { globals: valueOnly }),
    (e: unknown) => e instanceof UnsafePickleError && e.refused === 'BUILD',
  );
});

test('persistent ids are refused without a callback and delegated with one', () => {
  const bytes = new PickleWriter().proto(2).str('key-7').binPersId().stop().finish();
  assert.throws(
    () => unpickle(bytes, { globals: allowList({}) }),
    (e: unknown) => e instanceof UnsafePickleError && e.refused === 'BINPERSID',
  );
  const seen: unknown[] = [];
  const value = unpickle(bytes, { globals: allowList({}), persistentLoad: (pid) => (seen.push(pid), { storage: pid }) });
  assert.deepEqual(value, { storage: 'key-7' });
  assert.deepEqual(seen, ['key-7']);
});

test('malformed pickles are PickleFormatErrors, truncation flagged', () => {
  const globals = allowList({});
  const truncated = new PickleWriter().proto(2).op('X', 10, 0, 0, 0).raw([0x61]).finish();
  assert.throws(
    () => unpickle(truncated, { globals }),
    (e: unknown) => e instanceof PickleFormatError && e.truncated,
  );
  const noStop = new PickleWriter().proto(2).none().finish();
  assert.throws(
    () => unpickle(noStop, { globals }),
    (e: unknown) => e instanceof PickleFormatError && e.truncated,
  );
  const unknown = Uint8Array.from([0x80, 0x02, 0xfe, 0x2e]);
  assert.throws(
    () => unpickle(unknown, { globals }),
    (e: unknown) => e instanceof PickleFormatError && /0xfe/.test(e.message),
  );
  const underflow = new PickleWriter().proto(2).setItem().stop().finish();
  assert.throws(
    () => unpickle(underflow, { globals }),
    (e: unknown) => e instanceof PickleFormatError && /underflow/.test(e.message),
  );
  const badMemo = new PickleWriter().proto(2).binGet(3).stop().finish();
  assert.throws(
    () => unpickle(badMemo, { globals }),
    (e: unknown) => e instanceof PickleFormatError && /memo/.test(e.message),
  );
  const twoValues = new PickleWriter().proto(2).none().none().stop().finish();
  assert.throws(() => unpickle(twoValues, { globals }), PickleFormatError);
});

test('unpickleAt reads consecutive pickles and reports where each ends', () => {
  const first = new PickleWriter().proto(2).int(5).stop().finish();
  const second = new PickleWriter().proto(2).str('next').stop().finish();
  const both = new Uint8Array([...first, ...second]);
  const a = unpickleAt(both, 0, { globals: allowList({}) });
  assert.equal(a.value, 5);
  assert.equal(a.end, first.length);
  assert.equal(unpickleAt(both, a.end, { globals: allowList({}) }).value, 'next');
});

test('LONG1 integers decode with sign, narrowing to numbers when safe', () => {
  for (const value of [0n, 1n, -1n, 127n, 128n, -129n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 64n) + 3n]) {
    const decoded = unpickle(new PickleWriter().proto(2).long(value).stop().finish(), { globals: allowList({}) });
    const safe = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER);
    assert.equal(decoded, safe ? Number(value) : value, String(value));
  }
});

test('a pickle may build only so many containers and stack only so many values: a small file cannot fill the heap', () => {
  const globals = allowList({});
  // EMPTY_DICT MEMOIZE, two bytes per dict kept alive in the memo: 16 MiB of this is 8 M Maps (~1.7 GB).
  const dicts = new Uint8Array(2 * 200_001 + 1);
  for (let i = 0; i < dicts.length - 1; i += 2) dicts.set([0x7d, 0x94], i);
  dicts[dicts.length - 1] = 0x2e;
  assert.throws(
    () => unpickle(dicts, { globals, maxObjects: 200_000 }),
    (e: unknown) => e instanceof PickleFormatError && /builds more than 200,000 objects/.test(e.message),
  );
  // NONE, one byte per stacked value.
  const nones = new Uint8Array(200_002).fill(0x4e);
  nones[nones.length - 1] = 0x2e;
  assert.throws(
    () => unpickle(nones, { globals, maxObjects: 200_000 }),
    (e: unknown) => e instanceof PickleFormatError && /stacks more than 200,000 values/.test(e.message),
  );
  // The defaults hold a million of each, far more than a state dict needs, far less than a heap.
  const many = new Uint8Array(2 * 1_000_001 + 1);
  for (let i = 0; i < many.length - 1; i += 2) many.set([0x7d, 0x94], i);
  many[many.length - 1] = 0x2e;
  assert.throws(
    () => unpickle(many, { globals }),
    (e: unknown) => e instanceof PickleFormatError && /builds more than 1,000,000 objects/.test(e.message),
  );
});

test('APPENDS of a long batch does not overflow the call stack', () => {
  // EMPTY_LIST MARK NONE×300000 APPENDS STOP: spread into push() threw a RangeError past ~120 k items.
  const n = 300_000;
  const bytes = new Uint8Array(n + 4);
  bytes.set([0x5d, 0x28]);
  bytes.fill(0x4e, 2, 2 + n);
  bytes.set([0x65, 0x2e], 2 + n);
  const list = unpickle(bytes, { globals: allowList({}) }) as unknown[];
  assert.equal(list.length, n);
});
