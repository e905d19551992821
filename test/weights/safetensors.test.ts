import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, readSafetensorsFile, SafetensorsError, writeSafetensors, writeSafetensorsFile } from '../../src/weights/safetensors.js';
import type { StateDict, WeightTensor } from '../../src/weights/types.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('safetensors');
test.after(cleanup);

function sample(): StateDict {
  return new Map<string, WeightTensor>([
    ['f32', { dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, -2, 3.5, 1e-30]) }],
    ['f64', { dtype: 'float64', shape: [1], data: Float64Array.from([Math.E]) }],
    ['i64', { dtype: 'int64', shape: [2], data: BigInt64Array.from([-5n, 2n ** 50n]) }],
    ['i32', { dtype: 'int32', shape: [3], data: Int32Array.from([1, -1, 7]) }],
    ['u8', { dtype: 'uint8', shape: [1, 3], data: Uint8Array.from([0, 128, 255]) }],
    ['mask', { dtype: 'bool', shape: [2], data: Uint8Array.from([1, 0]) }],
    ['scalar', { dtype: 'float32', shape: [], data: Float32Array.from([9]) }],
    ['empty', { dtype: 'float32', shape: [0], data: new Float32Array(0) }],
  ]);
}

/** A file with a hand-written header and `dataBytes` zero bytes of data. */
function withHeader(header: unknown, dataBytes: number, declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? json.length), true);
  out.set(json, 8);
  return out;
}

test('round-trips every dtype, shapes and metadata through bytes', () => {
  const bytes = writeSafetensors(sample(), { metadata: { format: 'pt', note: 'hello' } });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0, 'data starts 8-byte aligned');
  const { tensors, metadata } = readSafetensors(bytes);
  assert.deepEqual(metadata, { format: 'pt', note: 'hello' });
  for (const [name, tensor] of sample()) {
    const back = tensors.get(name)!;
    assert.equal(back.dtype, tensor.dtype, name);
    assert.deepEqual(back.shape, tensor.shape, name);
    assert.deepEqual([...back.data], [...tensor.data], name);
  }
});

test('float16 and bfloat16: stored narrowed, read back widened, rounding to nearest even', () => {
  const values = Float32Array.from([1, -2.5, 0.1, 65504, 1e6, 2 ** -24, 2 ** -26, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -25, 1.5 * 2 ** -24]);
  const tensors: StateDict = new Map([['w', { dtype: 'float32', shape: [values.length], data: values }]]);
  const half = readSafetensors(writeSafetensors(tensors, { floatAs: 'float16' })).tensors.get('w')!;
  assert.equal(half.sourceDtype, 'float16');
  // 0.1 → nearest half; 1e6 overflows to inf; 2^-26 underflows to 0; ties go to even.
  // Expected values as numpy's float32 → float16 cast gives them.
  assert.deepEqual([...half.data], [1, -2.5, 0.0999755859375, 65504, Infinity, 2 ** -24, 0, 1, 1 + 2 * 2 ** -10, 0, 2 ** -23]);
  const bf16 = readSafetensors(writeSafetensors(tensors, { floatAs: 'bfloat16' })).tensors.get('w')!;
  assert.equal(bf16.sourceDtype, 'bfloat16');
  assert.deepEqual([...bf16.data].slice(0, 4), [1, -2.5, 0.10009765625, 65536]);
  // A tensor read from bfloat16 is written as bfloat16 again, unchanged.
  const again = readSafetensors(writeSafetensors(new Map([['w', bf16]]))).tensors.get('w')!;
  assert.equal(again.sourceDtype, 'bfloat16');
  assert.deepEqual([...again.data], [...bf16.data]);
});

test('every float16 bit pattern survives read (widen) → write (narrow) unchanged', () => {
  const patterns = new Uint16Array(65536).map((_, i) => i);
  const file = withHeader({ h: { dtype: 'F16', shape: [65536], data_offsets: [0, 131072] } }, 131072);
  file.set(new Uint8Array(patterns.buffer), file.length - 131072);
  const widened = readSafetensors(file).tensors;
  const rewritten = writeSafetensors(widened);
  const back = new Uint16Array(rewritten.slice(rewritten.length - 131072).buffer);
  const isNaN16 = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
  for (let h = 0; h < 65536; h++) {
    if (isNaN16(h)) assert.ok(isNaN16(back[h]), `NaN pattern ${h.toString(16)}`);
    else if (back[h] !== h) assert.fail(`half 0x${h.toString(16)} came back as 0x${back[h].toString(16)}`);
  }
});

test('file write is atomic (no temporary left) and the reader reads it tensor by tensor', () => {
  const path = join(dir, 'model.safetensors');
  writeSafetensorsFile(path, sample(), { metadata: { layout: 'sam' } });
  writeSafetensorsFile(path, sample()); // overwriting an existing file
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  const { tensors, metadata } = readSafetensorsFile(path);
  assert.deepEqual(metadata, {});
  assert.deepEqual([...tensors.keys()].sort(), [...sample().keys()].sort());
  assert.deepEqual([...tensors.get('i64')!.data], [-5n, 2n ** 50n]);
});

test('corrupt headers give errors that name the tensor', () => {
  const cases: [Uint8Array, RegExp][] = [
    [withHeader({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /'w'.*outside the data section/],
    [withHeader({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /'w'.*needs 12 bytes/],
    [withHeader({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, 8), /'w'.*unsupported dtype "C64"/],
    [withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /'w'.*bad shape/],
    [withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /'w'.*data_offsets \[4, 0\]/],
    [withHeader({ w: { dtype: 'F32', shape: [1] } }, 4), /'w'.*bad data_offsets/],
    [withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /'a' and 'b' overlap/],
    [withHeader({ __metadata__: { n: 1 } }, 0), /__metadata__\.n is not a string/],
    [withHeader('{"w": ', 0), /not valid JSON/],
    [withHeader('[1, 2]', 0), /not a JSON object/],
    [withHeader({}, 0, 1_000_000), /header length 1000000 exceeds the file/],
    [Uint8Array.from([1, 2, 3]), /too short/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(
      () => readSafetensors(bytes, 'bad.safetensors'),
      (e: unknown) => e instanceof SafetensorsError && message.test(e.message) && e.message.startsWith('bad.safetensors'),
      String(message),
    );
  }
});

test('the writer refuses data that does not match its dtype or shape', () => {
  const wrongType: StateDict = new Map([['w', { dtype: 'float32', shape: [2], data: Float64Array.from([1, 2]) }]]);
  assert.throws(() => writeSafetensors(wrongType), /tensor 'w'.*Float32Array/);
  const wrongShape: StateDict = new Map([['w', { dtype: 'float32', shape: [3], data: Float32Array.from([1, 2]) }]]);
  assert.throws(
    () => writeSafetensors(wrongShape),
    (e: unknown) => e instanceof SafetensorsError && /'w'.*needs 3 elements/.test(e.message),
  );
});
