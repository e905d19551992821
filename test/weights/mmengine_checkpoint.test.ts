// A checkpoint as mmengine (UltraSam's trainer) saves it: the weights under `state_dict`, numpy values
// in `meta`, and `message_hub` holding HistoryBuffer objects with numpy arrays inside. The loader every
// entry point uses (predictor, convert-weights, training init) must read the weights from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSamWeights } from '../../src/weights/checkpoint.js';
import { OpaqueObject, UnsafePickleError } from '../../src/weights/pickle.js';
import { readSafetensorsFile } from '../../src/weights/safetensors.js';
import type { StateDict } from '../../src/weights/types.js';
import { PickleWriter, writeTensor } from './helpers/pickle_writer.js';
import { torchZip } from './helpers/zip_writer.js';
import { tempDir } from '../helpers/temp_dir.js';

const BUNDLED = new URL('../../models/ultrasam-tiny.safetensors', import.meta.url).pathname;
const HISTORY_BUFFER = 'mmengine.logging.history_buffer.HistoryBuffer';

/** numpy.dtype(code) as numpy pickles it: the call, then BUILD with (3, '<', None, None, None, -1, -1, 0). */
function numpyDtype(w: PickleWriter, code: string): void {
  w.global('numpy', 'dtype').mark().str(code).bool(false).bool(true).tuple().reduce();
  w.mark().int(3).str('<').none().none().none().int(-1).int(-1).int(0).tuple().build();
}

/** A 1-D float64 numpy array: _reconstruct(ndarray, (0,), b'b'), then BUILD with (1, shape, dtype, False, bytes). */
function numpyArray(w: PickleWriter, values: number[]): void {
  w.global('numpy.core.multiarray', '_reconstruct')
    .mark()
    .global('numpy', 'ndarray')
    .intTuple([0])
    .bytesValue(new Uint8Array([0x62]))
    .tuple()
    .reduce();
  w.mark().int(1).intTuple([values.length]);
  numpyDtype(w, 'f8');
  w.bool(false)
    .bytesValue(new Uint8Array(new Float64Array(values).buffer))
    .tuple()
    .build();
}

/** numpy.int64(value) as a pickled scalar. */
function numpyInt64(w: PickleWriter, value: number): void {
  w.global('numpy.core.multiarray', 'scalar').mark();
  numpyDtype(w, 'i8');
  w.bytesValue(new Uint8Array(new BigInt64Array([BigInt(value)]).buffer))
    .tuple()
    .reduce();
}

function mmengineCheckpoint(tensors: StateDict, options: { historyBuffer: boolean }): Uint8Array {
  const storages: Record<string, Uint8Array> = {};
  const w = new PickleWriter().proto(2).emptyDict().mark();
  w.str('meta').emptyDict().mark().str('seed');
  numpyInt64(w, 42);
  w.str('mmengine_version').str('0.10.4').setItems();
  w.str('state_dict').emptyDict().mark();
  let key = 0;
  for (const [name, t] of tensors) {
    const storageKey = String(key++);
    if (!(t.data instanceof Float32Array)) throw new Error(`${name}: the bundled weights are float32`);
    storages[storageKey] = new Uint8Array(Float32Array.from(t.data).buffer);
    w.str(name);
    writeTensor(w, { storageKey, storageNumel: t.data.length, shape: t.shape });
  }
  w.setItems();
  w.str('message_hub').emptyDict().mark().str('log_scalars').emptyDict().mark().str('train/loss');
  if (options.historyBuffer) {
    w.global('mmengine.logging.history_buffer', 'HistoryBuffer').emptyTuple().reduce();
    w.emptyDict().mark().str('_log_history');
    numpyArray(w, [0.5, 0.25]);
    w.str('max_length').int(1000000).setItems().build();
  } else {
    numpyArray(w, [0.5, 0.25]);
  }
  w.setItems().str('runtime_info').emptyDict().mark().str('iter').int(10).setItems().setItems();
  w.setItems().stop();
  return torchZip(w.finish(), storages);
}

test('an mmengine training checkpoint (HistoryBuffer, numpy metadata) loads: its weights, nothing run', () => {
  const bundled = readSafetensorsFile(BUNDLED).tensors;
  const { dir, cleanup } = tempDir('mmengine');
  try {
    const path = join(dir, 'epoch_1.pth');
    writeFileSync(path, mmengineCheckpoint(bundled, { historyBuffer: true }));
    const loaded = loadSamWeights(path);
    assert.equal(loaded.format, 'pth');
    assert.equal(loaded.prefix, 'state_dict.');
    assert.equal(loaded.tensors.size, bundled.size);
    for (const [name, t] of bundled) {
      const got = loaded.tensors.get(name);
      assert.ok(got, `tensor ${name} missing`);
      assert.deepEqual(got.shape, t.shape);
      assert.deepEqual([...got.data], [...t.data], name);
    }
    assert.equal(Number(loaded.metadata.get('meta.seed')), 42);
    const buffer = loaded.metadata.get('message_hub.log_scalars.train/loss');
    assert.ok(buffer instanceof OpaqueObject, 'the HistoryBuffer is kept as an inert record');
    assert.equal(buffer.global, HISTORY_BUFFER);
  } finally {
    cleanup();
  }
});

test('numpy data in a checkpoint is read by default, and refused (named) when the caller allows no extra globals', () => {
  const bundled = readSafetensorsFile(BUNDLED).tensors;
  const { dir, cleanup } = tempDir('mmengine');
  try {
    const path = join(dir, 'plain.pth');
    writeFileSync(path, mmengineCheckpoint(bundled, { historyBuffer: false }));
    // numpy arrays alone are data, not code: accepted.
    assert.doesNotThrow(() => loadSamWeights(path));
    assert.throws(
      () => loadSamWeights(path, {}),
      (e: unknown) => e instanceof UnsafePickleError && e.refused === 'numpy.core.multiarray.scalar' && e.message.includes(path),
    );
  } finally {
    cleanup();
  }
});
