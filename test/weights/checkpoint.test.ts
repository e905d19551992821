// loadSamWeights refuses weights holding NaN or ±Infinity, naming the tensor as the file names it:
// they used to load, and then eval scored Dice 0 with exit code 0 and segment died on an undefined score.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSamWeights } from '../../src/weights/checkpoint.js';
import { CheckpointError } from '../../src/weights/pth.js';
import { writeSafetensorsFile } from '../../src/weights/safetensors.js';
import type { StateDict, WeightTensor } from '../../src/weights/types.js';
import { stateDictPickle } from './helpers/pickle_writer.js';
import { f32Bytes, torchZip } from './helpers/zip_writer.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('checkpoint');
test.after(cleanup);

const f32 = (values: number[]): WeightTensor => ({ dtype: 'float32', shape: [values.length], data: Float32Array.from(values) });

/** The three roots that make a state dict SAM's, plus whatever `extra` adds. */
function samDict(bias: number[], extra: [string, WeightTensor][] = []): StateDict {
  return new Map([['image_encoder.patch_embed.proj.bias', f32(bias)], ['prompt_encoder.not_a_point_embed.weight', f32([0.5])], ['mask_decoder.iou_token.weight', f32([1, 2])], ...extra]);
}

function refused(tensor: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof CheckpointError, String(error));
    assert.equal(error.code, 'bad-tensor');
    assert.match(error.message, tensor);
    return true;
  };
}

test('safetensors weights with NaN or ±Infinity are refused at load, naming the tensor, the count and the first place', () => {
  const path = join(dir, 'nan.safetensors');
  writeSafetensorsFile(path, samDict([0, NaN, 2, NaN]));
  assert.throws(() => loadSamWeights(path), refused(/nan\.safetensors: tensor image_encoder\.patch_embed\.proj\.bias holds 2 non-finite value\(s\) of 4 \(the first, NaN, at element 1\)/));
  writeSafetensorsFile(path, samDict([0, 1, -Infinity]));
  assert.throws(() => loadSamWeights(path), refused(/holds 1 non-finite value\(s\) of 3 \(the first, -Infinity, at element 2\)/));
  writeSafetensorsFile(path, samDict([0, 1, 2]));
  assert.equal(loadSamWeights(path).tensors.size, 3, 'finite weights load');
});

test('float64 weights beyond float32 range are refused (they would become Infinity in the model)', () => {
  const path = join(dir, 'wide.safetensors');
  const wide: WeightTensor = { dtype: 'float64', shape: [2], data: Float64Array.from([1, 1e39]) };
  writeSafetensorsFile(path, new Map([...samDict([0]), ['mask_decoder.iou_token.weight', wide]]));
  assert.throws(() => loadSamWeights(path), refused(/tensor mask_decoder\.iou_token\.weight holds 1 non-finite value\(s\) of 2 \(the first, 1e\+39, at element 1\)/));
});

test('a .pth is checked under the names the checkpoint uses; tensors the model does not take are not', () => {
  const specs = [
    ['model.image_encoder.patch_embed.proj.bias', { storageKey: '0', storageNumel: 2, shape: [2] }],
    ['model.prompt_encoder.not_a_point_embed.weight', { storageKey: '1', storageNumel: 1, shape: [1] }],
    ['model.mask_decoder.iou_token.weight', { storageKey: '2', storageNumel: 1, shape: [1] }],
    ['optimizer_state.exp_avg', { storageKey: '3', storageNumel: 1, shape: [1] }],
  ] as const;
  const pickle = stateDictPickle(specs.map(([k, s]) => [k, { ...s, shape: [...s.shape] }]));
  const write = (bias: number[], other: number) => writeFileSync(join(dir, 'medsam.pth'), torchZip(pickle, { '0': f32Bytes(bias), '1': f32Bytes([1]), '2': f32Bytes([1]), '3': f32Bytes([other]) }));
  write([1, Infinity], 0);
  assert.throws(() => loadSamWeights(join(dir, 'medsam.pth')), refused(/medsam\.pth: tensor model\.image_encoder\.patch_embed\.proj\.bias holds 1 non-finite/));
  write([1, 2], NaN);
  assert.equal(loadSamWeights(join(dir, 'medsam.pth')).layout, 'medsam', 'a NaN outside the model (e.g. optimizer state) does not matter');
});

test('a safetensors file whose header length starts with the byte 0x80 (the first byte of a pickle) loads as safetensors', () => {
  // Such a file was refused as "neither a zip archive nor a pickle": a training run's checkpoint
  // hit it. Metadata of growing length until the header's length has 0x80 as its low byte.
  const path = join(dir, 'x80.safetensors');
  let pad = 0;
  do writeSafetensorsFile(path, samDict([0, 1, 2]), { metadata: { pad: 'x'.repeat(pad++) } });
  while (readFileSync(path)[0] !== 0x80 && pad < 1024);
  assert.equal(readFileSync(path)[0], 0x80);
  const loaded = loadSamWeights(path);
  assert.equal(loaded.format, 'safetensors');
  assert.deepEqual([...(loaded.tensors.get('image_encoder.patch_embed.proj.bias')!.data as Float32Array)], [0, 1, 2]);
});
