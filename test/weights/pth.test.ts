import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, readPth, readPthBuffer } from '../../src/weights/pth.js';
import { OpaqueObject, UnsafePickleError } from '../../src/weights/pickle.js';
import { PickleWriter, stateDictPickle, writeTensor, type TensorSpec } from './helpers/pickle_writer.js';
import { f32Bytes, torchZip, u16Bytes, writeZip } from './helpers/zip_writer.js';
import { deflateRepeated } from '../hostile/bombs.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('pth');
test.after(cleanup);

function writeTemp(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function checkpointError(code: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof CheckpointError, `expected CheckpointError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A small valid checkpoint: two tensors in two storages. */
function smallCheckpoint(): Uint8Array {
  const pickle = stateDictPickle(
    [
      ['a.weight', { storageKey: '0', storageNumel: 6, shape: [2, 3] }],
      ['a.bias', { storageKey: '1', storageNumel: 2, shape: [2] }],
    ],
    { ordered: true },
  );
  return torchZip(pickle, { '0': f32Bytes([1, 2, 3, 4, 5, 6]), '1': f32Bytes([-1, 0.5]) });
}

test('reads a torch-style zip checkpoint from a file', () => {
  const { tensors, metadata, format } = readPth(writeTemp('small.pth', smallCheckpoint()));
  assert.equal(format, 'zip');
  assert.deepEqual([...tensors.keys()], ['a.weight', 'a.bias']);
  assert.deepEqual(tensors.get('a.weight')!.shape, [2, 3]);
  assert.deepEqual([...tensors.get('a.weight')!.data], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...tensors.get('a.bias')!.data], [-1, 0.5]);
  assert.equal(metadata.size, 0);
});

test('reads zip64 archives (64-bit sizes and offsets in extra fields and end records)', () => {
  const pickle = stateDictPickle([['w', { storageKey: '0', storageNumel: 3, shape: [3] }]]);
  const { tensors } = readPthBuffer(torchZip(pickle, { '0': f32Bytes([1, 2, 3]) }, 'model', { zip64: true }));
  assert.deepEqual([...tensors.get('w')!.data], [1, 2, 3]);
});

test('reads deflated entries too (a re-zipped checkpoint)', () => {
  const pickle = stateDictPickle([['w', { storageKey: '0', storageNumel: 4, shape: [2, 2] }]]);
  const zip = writeZip([
    { name: 'ckpt/data.pkl', data: pickle, deflate: true },
    { name: 'ckpt/data/0', data: f32Bytes([5, 6, 7, 8]), deflate: true },
  ]);
  assert.deepEqual([...readPthBuffer(zip).tensors.get('w')!.data], [5, 6, 7, 8]);
});

test('nested dicts flatten to dotted keys; other leaves go to metadata', () => {
  const pickle = stateDictPickle([['backbone.w', { storageKey: '0', storageNumel: 2, shape: [2] }]], {
    outerKey: 'state_dict',
    meta: [['note', 'hello']],
  });
  const { tensors, metadata } = readPthBuffer(torchZip(pickle, { '0': f32Bytes([3, 4]) }));
  assert.deepEqual([...tensors.keys()], ['state_dict.backbone.w']);
  assert.equal(metadata.get('meta.note'), 'hello');
});

test('float16 and bfloat16 storages become float32 exactly', () => {
  // half: 1, -2.5, 65504 (max), 2^-24 (smallest subnormal), +inf; bfloat16: 1, -2.5, 3.140625, -0
  const half = [0x3c00, 0xc100, 0x7bff, 0x0001, 0x7c00];
  const bf16 = [0x3f80, 0xc020, 0x4049, 0x8000];
  const pickle = stateDictPickle([
    ['h', { storageKey: '0', storageType: 'HalfStorage', storageNumel: 5, shape: [5] }],
    ['b', { storageKey: '1', storageType: 'BFloat16Storage', storageNumel: 4, shape: [2, 2] }],
  ]);
  const { tensors } = readPthBuffer(torchZip(pickle, { '0': u16Bytes(half), '1': u16Bytes(bf16) }));
  const h = tensors.get('h')!;
  assert.equal(h.dtype, 'float32');
  assert.equal(h.sourceDtype, 'float16');
  assert.ok(h.data instanceof Float32Array);
  assert.deepEqual([...h.data], [1, -2.5, 65504, 2 ** -24, Infinity]);
  const b = tensors.get('b')!;
  assert.equal(b.sourceDtype, 'bfloat16');
  assert.deepEqual([...b.data], [1, -2.5, 3.140625, -0]);
  assert.ok(Object.is(b.data[3], -0));
});

test('strided and offset views are copied out contiguously', () => {
  const storage = iota(24);
  const pickle = stateDictPickle([
    // transposed view: element (i, j) = storage[2 + i + 3j]
    ['transposed', { storageKey: '0', storageNumel: 24, offset: 2, shape: [3, 2], stride: [1, 3] }],
    // contiguous slice from element 4
    ['slice', { storageKey: '0', storageNumel: 24, offset: 4, shape: [2, 2] }],
    // every other row of a 4×6 matrix, last column dropped: rank-3 with a non-unit inner stride
    ['rows', { storageKey: '0', storageNumel: 24, offset: 0, shape: [2, 1, 3], stride: [12, 5, 2] }],
    ['scalar', { storageKey: '0', storageNumel: 24, offset: 23, shape: [], stride: [] }],
    ['whole', { storageKey: '0', storageNumel: 24, shape: [4, 6], parameter: true }],
  ]);
  const { tensors } = readPthBuffer(torchZip(pickle, { '0': f32Bytes(storage) }));
  assert.deepEqual([...tensors.get('transposed')!.data], [2, 5, 3, 6, 4, 7]);
  assert.deepEqual([...tensors.get('slice')!.data], [4, 5, 6, 7]);
  assert.deepEqual([...tensors.get('rows')!.data], [0, 2, 4, 12, 14, 16]);
  assert.deepEqual(tensors.get('scalar')!.shape, []);
  assert.deepEqual([...tensors.get('scalar')!.data], [23]);
  assert.deepEqual([...tensors.get('whole')!.data], storage);
});

test('a view reaching past its storage is a bad-tensor error naming the tensor', () => {
  const pickle = stateDictPickle([['too.far', { storageKey: '0', storageNumel: 4, offset: 2, shape: [4] }]]);
  assert.throws(
    () => readPthBuffer(torchZip(pickle, { '0': f32Bytes([1, 2, 3, 4]) })),
    (error: unknown) => {
      checkpointError('bad-tensor')(error);
      assert.match((error as Error).message, /too\.far/);
      return true;
    },
  );
});

test('integer and bool storages keep their types', () => {
  const int64 = new Uint8Array(new BigInt64Array([-3n, 2n ** 40n]).buffer);
  const pickle = stateDictPickle([
    ['steps', { storageKey: '0', storageType: 'LongStorage', storageNumel: 2, shape: [2] }],
    ['flags', { storageKey: '1', storageType: 'BoolStorage', storageNumel: 3, shape: [3] }],
  ]);
  const { tensors } = readPthBuffer(torchZip(pickle, { '0': int64, '1': Uint8Array.from([1, 0, 1]) }));
  assert.equal(tensors.get('steps')!.dtype, 'int64');
  assert.deepEqual([...tensors.get('steps')!.data], [-3n, 2n ** 40n]);
  assert.equal(tensors.get('flags')!.dtype, 'bool');
  assert.deepEqual([...tensors.get('flags')!.data], [1, 0, 1]);
});

test('state_dict() OrderedDict with a _metadata attribute (BUILD) is accepted', () => {
  const w = new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce();
  w.str('w');
  writeTensor(w, { storageKey: '0', storageNumel: 1, shape: [1] });
  w.setItem();
  w.emptyDict().str('_metadata').global('collections', 'OrderedDict').emptyTuple().reduce().setItem().build().stop();
  const { tensors } = readPthBuffer(torchZip(w.finish(), { '0': f32Bytes([7]) }));
  assert.deepEqual([...tensors.get('w')!.data], [7]);
});

test('training-checkpoint metadata classes are refused unless named as opaque, and then never run', () => {
  const history = 'mmengine.logging.history_buffer.HistoryBuffer';
  const w = new PickleWriter().proto(2).emptyDict().mark().str('state_dict').emptyDict().str('w');
  writeTensor(w, { storageKey: '0', storageNumel: 1, shape: [1] });
  w.setItem().str('message_hub').global('mmengine.logging.history_buffer', 'HistoryBuffer').emptyTuple().reduce();
  w.emptyDict().str('max_length').int(100).setItem().build().setItems().stop();
  const zip = torchZip(w.finish(), { '0': f32Bytes([2]) });
  assert.throws(
    () => readPthBuffer(zip),
    (e: unknown) => e instanceof UnsafePickleError && e.refused === history,
  );
  const { tensors, metadata } = readPthBuffer(zip, { opaqueGlobals: [history] });
  assert.deepEqual([...tensors.get('state_dict.w')!.data], [2]);
  const opaque = metadata.get('message_hub') as OpaqueObject;
  assert.ok(opaque instanceof OpaqueObject);
  assert.equal(opaque.global, history);
  assert.deepEqual(opaque.state, new Map([['max_length', 100]]));
});

// ---- hostile and broken files -----------------------------------------------------------------------

function hostilePayloadPickle(kind: 'global' | 'stack_global', marker: string): Uint8Array {
  // A valid tensor first, then the payload: the unpickler must refuse before building anything.
  const w = new PickleWriter()
    .proto(kind === 'global' ? 2 : 4)
    .emptyDict()
    .mark()
    .str('ok');
  writeTensor(w, { storageKey: '0', storageNumel: 1, shape: [1] });
  w.str('payload');
  if (kind === 'global') w.global('os', 'system').mark().str(`touch ${marker}`).tuple().reduce();
  else w.stackGlobal('builtins', 'eval').mark().str(`__import__('os').system('touch ${marker}')`).tuple().reduce();
  return w.setItems().stop().finish();
}

for (const [kind, name] of [
  ['global', 'os.system'],
  ['stack_global', 'builtins.eval'],
] as const) {
  test(`a checkpoint whose pickle calls ${name} (${kind.toUpperCase()}) is refused with no side effect`, () => {
    const marker = join(dir, `pwned-${kind}`);
    const path = writeTemp(`hostile-${kind}.pth`, torchZip(hostilePayloadPickle(kind, marker), { '0': f32Bytes([1]) }));
    assert.throws(
      () => readPth(path),
      (error: unknown) => {
        assert.ok(error instanceof UnsafePickleError, String(error));
        assert.equal(error.refused, name);
        assert.ok(error.offset > 0);
        assert.match(error.message, new RegExp(name.replace('.', '\\.')));
        assert.match(error.message, /hostile/);
        return true;
      },
    );
    assert.equal(existsSync(marker), false);
  });
}

test('posix.system and subprocess.Popen are refused too', () => {
  for (const [module, name] of [
    ['posix', 'system'],
    ['subprocess', 'Popen'],
  ]) {
    const pickle = new PickleWriter().proto(2).global(module, name).mark().str('id').tuple().reduce().stop().finish();
    assert.throws(
      () => readPthBuffer(torchZip(pickle, {})),
      (e: unknown) => e instanceof UnsafePickleError && e.refused === `${module}.${name}`,
    );
  }
});

test('a truncated zip is a truncated error', () => {
  const whole = smallCheckpoint();
  for (const cut of [Math.floor(whole.length / 2), whole.length - 10]) {
    assert.throws(() => readPth(writeTemp(`truncated-${cut}.pth`, whole.subarray(0, cut))), checkpointError('truncated'));
  }
});

test('a wrong CRC is a bad-crc error naming the entry', () => {
  const pickle = stateDictPickle([['w', { storageKey: '0', storageNumel: 2, shape: [2] }]]);
  const zip = writeZip([
    { name: 'archive/data.pkl', data: pickle },
    { name: 'archive/data/0', data: f32Bytes([1, 2]), crc: 0x12345678 },
  ]);
  assert.throws(
    () => readPthBuffer(zip),
    (error: unknown) => {
      checkpointError('bad-crc')(error);
      assert.match((error as Error).message, /archive\/data\/0/);
      return true;
    },
  );
});

test('a zip without data.pkl is a missing-data-pkl error', () => {
  const zip = writeZip([{ name: 'model/weights.bin', data: f32Bytes([1]) }]);
  assert.throws(() => readPthBuffer(zip), checkpointError('missing-data-pkl'));
});

test('a storage named by the pickle but absent from the zip is a missing-storage error', () => {
  const pickle = stateDictPickle([['lonely.weight', { storageKey: '9', storageNumel: 2, shape: [2] }]]);
  assert.throws(
    () => readPthBuffer(torchZip(pickle, {})),
    (error: unknown) => {
      checkpointError('missing-storage')(error);
      assert.match((error as Error).message, /data\/9.*lonely\.weight/);
      return true;
    },
  );
});

test('a storage entry shorter than its record is a corrupt-zip error', () => {
  const pickle = stateDictPickle([['w', { storageKey: '0', storageNumel: 4, shape: [4] }]]);
  assert.throws(() => readPthBuffer(torchZip(pickle, { '0': f32Bytes([1, 2]) })), checkpointError('corrupt-zip'));
});

test('plain files are not-a-checkpoint errors', () => {
  assert.throws(() => readPth(writeTemp('notes.txt', new TextEncoder().encode('hello, not a checkpoint\n'))), checkpointError('not-a-checkpoint'));
  assert.throws(() => readPth(writeTemp('empty.pth', new Uint8Array())), checkpointError('not-a-checkpoint'));
  assert.throws(() => readPth(join(dir, 'does-not-exist.pth')), checkpointError('not-a-checkpoint'));
});

test('a corrupt pickle inside a valid zip is a malformed-pickle error', () => {
  const zip = torchZip(Uint8Array.from([0x80, 0x02, 0xff, 0x2e]), {});
  assert.throws(() => readPthBuffer(zip), checkpointError('malformed-pickle'));
});

// ---- legacy (non-zip) torch.save ------------------------------------------------------------------

function legacyCheckpoint(): Uint8Array {
  const pickles: Uint8Array[] = [
    new PickleWriter().proto(2).long(0x1950a86a20f9469cfc6cn).stop().finish(),
    new PickleWriter().proto(2).int(1001).stop().finish(),
    new PickleWriter().proto(2).emptyDict().mark().str('protocol_version').int(1001).str('little_endian').bool(true).setItems().stop().finish(),
  ];
  const w = new PickleWriter().proto(2).emptyDict().mark();
  const root: TensorSpec = { storageKey: 'root', storageNumel: 6, shape: [2, 3] };
  w.str('full');
  writeTensor(w, root, {});
  w.str('view'); // a legacy storage view: elements 2..5 of 'root'
  writeTensor(w, { storageKey: 'root', storageNumel: 4, offset: 1, shape: [3] }, { view: ['v', 2, 4] });
  w.str('half');
  writeTensor(w, { storageKey: 'h', storageType: 'HalfStorage', storageNumel: 2, shape: [2] }, {});
  pickles.push(w.setItems().stop().finish());
  pickles.push(new PickleWriter().proto(2).mark().str('root').str('h').op('l').stop().finish());
  const numel = (n: number) => new Uint8Array(new BigInt64Array([BigInt(n)]).buffer);
  const parts = [...pickles, numel(6), f32Bytes([10, 11, 12, 13, 14, 15]), numel(2), u16Bytes([0x3c00, 0xbc00])];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test('reads the legacy (non-zip) torch.save format, including storage views', () => {
  const { tensors, format } = readPth(writeTemp('legacy.pth', legacyCheckpoint()));
  assert.equal(format, 'legacy');
  assert.deepEqual([...tensors.get('full')!.data], [10, 11, 12, 13, 14, 15]);
  assert.deepEqual([...tensors.get('view')!.data], [13, 14, 15]);
  assert.deepEqual([...tensors.get('half')!.data], [1, -1]);
});

test('a truncated legacy file is a truncated error', () => {
  const whole = legacyCheckpoint();
  assert.throws(() => readPthBuffer(whole.subarray(0, whole.length - 3)), checkpointError('truncated'));
  assert.throws(() => readPthBuffer(whole.subarray(0, 40)), checkpointError('truncated'));
});

test('a pickle that is not a torch.save stream is not-a-checkpoint', () => {
  const pickle = new PickleWriter().proto(2).str('just a string').stop().finish();
  assert.throws(() => readPthBuffer(pickle), checkpointError('not-a-checkpoint'));
});

test('a pickle entry declaring more than MAX_PICKLE_BYTES is refused by its size, before it is inflated', () => {
  // 400 MiB of NONE opcodes in 415 KB: inflated and decoded, this took 6 GB and killed the process.
  const size = 400 << 20;
  const bomb = writeZip([{ name: 'archive/data.pkl', data: new Uint8Array(), deflated: { stream: deflateRepeated(0x4e, size), declaredSize: size, crc: 0 } }]);
  assert.throws(
    () => readPthBuffer(bomb, { label: 'bomb.pth' }),
    (error: unknown) =>
      checkpointError('too-large')(error) &&
      /^bomb\.pth: entry archive\/data\.pkl: declares 419,430,400 bytes, more than the 16,777,216 allowed for a checkpoint pickle$/.test((error as Error).message),
  );
});

test('an entry that inflates past its declared size is cut off at the cap, not inflated whole', () => {
  const liar = writeZip([{ name: 'archive/data.pkl', data: new Uint8Array(), deflated: { stream: deflateRepeated(0x4e, 64 << 20), declaredSize: 1000, crc: 0 } }]);
  assert.throws(
    () => readPthBuffer(liar, { label: 'liar.pth' }),
    (error: unknown) => checkpointError('corrupt-zip')(error) && /entry archive\/data\.pkl: inflates to more than the 1,000 bytes it declares/.test((error as Error).message),
  );
});

test('a storage entry larger than its record is refused before it is read', () => {
  const pickle = stateDictPickle([['w', { storageKey: '0', storageNumel: 2, shape: [2] }]]);
  assert.throws(
    () => readPthBuffer(torchZip(pickle, { '0': f32Bytes([1, 2, 3, 4]) })),
    (error: unknown) => checkpointError('corrupt-zip')(error) && /storage archive\/data\/0 \(used by w\) holds 16 bytes, its record says 2 float32 elements \(8 bytes\)/.test((error as Error).message),
  );
});
