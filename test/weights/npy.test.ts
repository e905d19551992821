import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NpyError, readNpy, readNpyFile, readNpyObject, writeNpy, writeNpyFile, type NpyArray, type NpyObjectArray } from '../../src/weights/npy.js';
import { UnsafePickleError } from '../../src/weights/pickle.js';
import { CheckpointError, readPthBuffer } from '../../src/weights/pth.js';
import { PickleWriter } from './helpers/pickle_writer.js';
import { NUMPY_OBJECT_NPY } from './helpers/numpy_object_npy.js';
import { torchZip } from './helpers/zip_writer.js';
import { tempDir } from '../helpers/temp_dir.js';
import { sharedPath, skipWithoutShared } from '../helpers/shared.js';

const fixtures = sharedPath('fixtures/sam-parity/');
const skip = skipWithoutShared('SAM parity fixture', 'fixtures/sam-parity/embedding.npy');

const { dir, cleanup } = tempDir('npy');
test.after(cleanup);

const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g)!.map((b) => parseInt(b, 16)));

/** A .npy with a hand-written header (any version) followed by `data`. */
function npyWithHeader(header: string, data: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const text = header.padEnd(Math.ceil((prefix + header.length + 1) / 64) * 64 - prefix - 1, ' ') + '\n';
  const encoded = new TextEncoder().encode(text);
  const out = new Uint8Array(prefix + encoded.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, encoded.length, true);
  else view.setUint32(8, encoded.length, true);
  out.set(encoded, prefix);
  out.set(data, prefix + encoded.length);
  return out;
}

test('write → read round-trips every supported dtype and odd shapes', () => {
  const arrays: NpyArray[] = [
    { dtype: 'float32', shape: [2, 3], data: Float32Array.from([0, -1.5, 2, 3e-8, Infinity, NaN]) },
    { dtype: 'float64', shape: [3], data: Float64Array.from([Math.PI, -0, 1e300]) },
    { dtype: 'uint8', shape: [2, 2, 1], data: Uint8Array.from([0, 1, 254, 255]) },
    { dtype: 'int8', shape: [2], data: Int8Array.from([-128, 127]) },
    { dtype: 'int16', shape: [2], data: Int16Array.from([-32768, 32767]) },
    { dtype: 'uint16', shape: [2], data: Uint16Array.from([0, 65535]) },
    { dtype: 'int32', shape: [1, 2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1]) },
    { dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]) },
    { dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) },
    { dtype: 'float32', shape: [], data: Float32Array.from([42]) },
    { dtype: 'float32', shape: [0, 5], data: new Float32Array(0) },
  ];
  for (const array of arrays) {
    const bytes = writeNpy(array);
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    assert.equal((10 + headerLength) % 64, 0, 'data is 64-byte aligned as numpy writes it');
    const back = readNpy(bytes);
    assert.equal(back.dtype, array.dtype);
    assert.deepEqual(back.shape, array.shape);
    assert.deepEqual([...back.data], [...array.data]);
  }
});

test('writeNpyFile then readNpyFile', () => {
  const path = join(dir, 'x.npy');
  writeNpyFile(path, { dtype: 'int32', shape: [2, 2], data: Int32Array.from([1, 2, 3, 4]) });
  assert.deepEqual([...readNpyFile(path).data], [1, 2, 3, 4]);
  assert.deepEqual(readdirSync(dir), ['x.npy'], 'no temporary file left behind');
});

test('reads the fixture .npy files and rewrites them byte for byte as numpy did', { skip }, () => {
  const embedding = readNpyFile(join(fixtures, 'embedding.npy'));
  assert.equal(embedding.dtype, 'float32');
  assert.deepEqual(embedding.shape, [1, 64, 64, 64]);
  // First values as numpy.load prints them.
  assert.deepEqual(
    [...embedding.data.subarray(0, 3)].map((v) => Number(v).toFixed(6)),
    ['-0.765938', '-0.273826', '-0.144245'],
  );
  const resized = readNpyFile(join(fixtures, 'resized.npy'));
  assert.equal(resized.dtype, 'uint8');
  assert.deepEqual(resized.shape, [645, 1024, 3]);
  for (const name of ['sam_box_iou.npy', 'sam_box_masks.npy', 'ultrasam_box_lowres.npy', 'embedding.npy']) {
    const original = readFileSync(join(fixtures, name));
    const rewritten = writeNpy(readNpy(original, name));
    assert.ok(Buffer.from(rewritten).equals(original), `${name} rewritten differs from numpy's bytes`);
  }
});

test('float16 files come back as float32; format 2.0 and 3.0 headers are read', () => {
  const halves = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer);
  const f2 = readNpy(npyWithHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", halves));
  assert.equal(f2.dtype, 'float32');
  assert.equal(f2.sourceDtype, 'float16');
  assert.ok(f2.data instanceof Float32Array);
  assert.deepEqual([...f2.data], [1, -2, 0.333251953125]);
  const ints = new Uint8Array(new Int16Array([5, -6]).buffer);
  for (const major of [2, 3]) {
    const array = readNpy(npyWithHeader("{'descr': '<i2', 'fortran_order': False, 'shape': (1, 2), }", ints, major));
    assert.deepEqual([...array.data], [5, -6]);
    assert.deepEqual(array.shape, [1, 2]);
  }
});

test('unsupported layouts and broken files give clear errors', () => {
  const four = new Uint8Array(16);
  const cases: [Uint8Array, RegExp][] = [
    [npyWithHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four), /fortran_order/],
    [npyWithHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", four), /big-endian/],
    [npyWithHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", four), /dtype '<c8' is not supported/],
    [npyWithHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", four), /structured/],
    [npyWithHeader("{'descr': '|O', 'fortran_order': False, 'shape': (), }", four), /readNpyObject/],
    [npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", four), /truncated/],
    [npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (4,)", four), /cannot parse header/],
    [new TextEncoder().encode('not an npy file'), /bad magic/],
  ];
  for (const [bytes, message] of cases)
    assert.throws(
      () => readNpy(bytes, 'case.npy'),
      (e: unknown) => e instanceof NpyError && message.test(e.message) && e.message.startsWith('case.npy'),
    );
});

test('readNpyObject reads a NumPy-written pickled dict of arrays', () => {
  const value = readNpyObject(hex(NUMPY_OBJECT_NPY)) as Map<string, unknown>;
  assert.ok(value instanceof Map);
  const image = value.get('image') as NpyArray;
  assert.deepEqual(image.shape, [2, 3]);
  assert.deepEqual([...image.data], [0, 1, 2, 3, 4, 5]);
  const mask = value.get('mask') as NpyArray;
  assert.equal(mask.dtype, 'uint8');
  assert.deepEqual(mask.shape, [3, 2]);
  assert.deepEqual([...mask.data], [1, 4, 2, 5, 3, 6], 'the transposed (Fortran-ordered) array comes back in C order');
  assert.equal(value.get('spacing'), 0.25);
  assert.equal(value.get('name'), 'case 1');
  assert.deepEqual((value.get('labels') as NpyObjectArray).data, ['a', 'bc']);
  const half = value.get('half') as NpyArray;
  assert.equal(half.sourceDtype, 'float16');
  assert.deepEqual([...half.data], [1.5, -2]);
  assert.deepEqual([...(value.get('ids') as NpyArray).data], [7n, -8n]);
});

test('readNpyObject accepts numpy 1.x module names and refuses any other global', () => {
  const header = "{'descr': '|O', 'fortran_order': False, 'shape': (), }";
  // np.float32(2.5) pickled as numpy 1.x does: scalar(dtype('f4') + BUILD(byte order), raw bytes)
  const scalar = new PickleWriter().proto(3).global('numpy.core.multiarray', 'scalar');
  scalar.global('numpy', 'dtype').mark().str('f4').bool(false).bool(true).tuple().reduce();
  scalar.mark().int(3).str('<').none().none().none().int(-1).int(-1).int(0).tuple().build();
  scalar
    .bytesValue(new Uint8Array(new Float32Array([2.5]).buffer))
    .op(0x86 /* TUPLE2 */)
    .reduce()
    .stop();
  assert.equal(readNpyObject(npyWithHeader(header, scalar.finish())), 2.5);

  const marker = join(dir, 'pwned-npy');
  const hostile = new PickleWriter().proto(2).global('os', 'system').mark().str(`touch ${marker}`).tuple().reduce().stop().finish();
  assert.throws(
    () => readNpyObject(npyWithHeader(header, hostile)),
    (e: unknown) => e instanceof UnsafePickleError && e.refused === 'os.system',
  );
  assert.equal(existsSync(marker), false);
});

test('numpy globals are allowed for object .npy only, not inside checkpoints', () => {
  const pickle = new PickleWriter().proto(2).global('numpy.core.multiarray', '_reconstruct');
  pickle
    .global('numpy', 'ndarray')
    .mark()
    .int(0)
    .tuple()
    .bytesValue(Uint8Array.from([0x62]))
    .op(0x87 /* TUPLE3 */)
    .reduce()
    .stop();
  assert.throws(
    () => readPthBuffer(torchZip(pickle.finish(), {})),
    (e: unknown) => e instanceof UnsafePickleError && e.refused === 'numpy.core.multiarray._reconstruct' && !(e instanceof CheckpointError),
  );
});
