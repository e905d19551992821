import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, readPth, readPthBuffer } from '../../src/weights/pth.js';
import { checkStateDict, detectLayout, LayoutMappingError, StateDictMismatchError, toSamKeys, UnknownLayoutError } from '../../src/weights/layouts.js';
import { loadSamWeights, saveSamWeights } from '../../src/weights/checkpoint.js';
import { elementBytes } from '../../src/weights/elements.js';
import type { StateDict, WeightTensor } from '../../src/weights/types.js';
import { tempDir } from '../helpers/temp_dir.js';
import { sharedPath, skipWithoutShared } from '../helpers/shared.js';

const samPath = sharedPath('fixtures/sam-parity/sam_weights.pth');
const ultrasamPath = sharedPath('fixtures/sam-parity/ultrasam_weights.pth');
const skip = skipWithoutShared('SAM parity fixture weights', 'fixtures/sam-parity/sam_weights.pth', 'fixtures/sam-parity/ultrasam_weights.pth');

function sameBits(a: WeightTensor, b: WeightTensor): boolean {
  const x = elementBytes(a.data);
  const y = elementBytes(b.data);
  return a.dtype === b.dtype && x.length === y.length && x.every((v, i) => v === y[i]);
}

function assertSameStateDict(got: StateDict, want: StateDict): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [key, tensor] of want) {
    const mapped = got.get(key)!;
    assert.deepEqual(mapped.shape, tensor.shape, `${key} shape`);
    assert.ok(sameBits(mapped, tensor), `${key} differs`);
  }
}

test('the UltraSam fixture maps to exactly the SAM fixture, bit for bit, key for key', { skip }, () => {
  const sam = readPth(samPath);
  const ultrasam = readPth(ultrasamPath);
  assert.equal(sam.tensors.size, 202);
  assert.deepEqual([...ultrasam.metadata.keys()], ['meta.note']);

  const fromSam = toSamKeys(sam.tensors);
  assert.equal(fromSam.layout, 'sam');
  assert.equal(fromSam.prefix, '');
  assertSameStateDict(fromSam.tensors, sam.tensors);

  const fromUltrasam = toSamKeys(ultrasam.tensors);
  assert.equal(fromUltrasam.layout, 'ultrasam');
  assert.equal(fromUltrasam.prefix, 'state_dict.');
  assert.deepEqual(fromUltrasam.ignored, []);
  assertSameStateDict(fromUltrasam.tensors, sam.tensors);
});

test('checkpoint files are read with the expected tensors and shapes', { skip }, () => {
  const { tensors } = readPth(samPath);
  const expectShape = (key: string, shape: number[]) => assert.deepEqual(tensors.get(key)?.shape, shape, key);
  // Shapes from the fixture README: embed 96, 4 blocks, window 14 (27 relative positions), width 64.
  expectShape('image_encoder.pos_embed', [1, 64, 64, 96]);
  expectShape('image_encoder.blocks.0.attn.rel_pos_h', [27, 24]);
  expectShape('image_encoder.neck.2.weight', [64, 64, 3, 3]);
  expectShape('mask_decoder.mask_tokens.weight', [4, 64]);
  expectShape('mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.weight', [32, 64]);
  for (const tensor of tensors.values()) {
    assert.equal(tensor.dtype, 'float32');
    assert.ok(tensor.data.every((v) => Number.isFinite(v as number)));
  }
});

test('a single flipped bit in the real checkpoint is caught by the CRC check', { skip }, () => {
  const bytes = new Uint8Array(readFileSync(samPath));
  bytes[2_000_000] ^= 1; // inside a storage entry
  assert.throws(
    () => readPthBuffer(bytes, { label: 'flipped.pth' }),
    (e: unknown) => e instanceof CheckpointError && e.code === 'bad-crc' && /sam_weights\/data\//.test(e.message),
  );
});

test('loadSamWeights reads both fixtures, and a safetensors conversion keeps the UltraSam flag', { skip }, () => {
  const { dir, cleanup } = tempDir('layouts');
  try {
    const ultrasam = loadSamWeights(ultrasamPath);
    assert.equal(ultrasam.format, 'pth');
    assert.equal(ultrasam.layout, 'ultrasam');
    const converted = join(dir, 'ultrasam.safetensors');
    saveSamWeights(converted, ultrasam);
    const reread = loadSamWeights(converted);
    assert.equal(reread.format, 'safetensors');
    assert.equal(reread.layout, 'ultrasam');
    assertSameStateDict(reread.tensors, loadSamWeights(samPath).tensors);
  } finally {
    cleanup();
  }
});

test('loadSamWeights refuses files that are neither .pth nor safetensors', () => {
  const { dir, cleanup } = tempDir('layouts');
  try {
    const path = join(dir, 'readme.txt');
    writeFileSync(path, 'This is not a model.\n');
    assert.throws(
      () => loadSamWeights(path),
      (e: unknown) => e instanceof CheckpointError && e.code === 'not-a-checkpoint' && e.message.includes(path),
    );
    assert.throws(
      () => loadSamWeights(join(dir, 'missing.pth')),
      (e: unknown) => e instanceof CheckpointError && e.code === 'not-a-checkpoint',
    );
  } finally {
    cleanup();
  }
});

const t = (shape: number[], values?: number[]): WeightTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from(values ?? Array.from({ length: n }, (_, i) => i)) };
};

test('MedSAM training checkpoints (model.*) are detected, other entries ignored', () => {
  const tensors: StateDict = new Map([
    ['model.image_encoder.pos_embed', t([1, 2])],
    ['model.prompt_encoder.no_mask_embed.weight', t([1, 2])],
    ['model.mask_decoder.iou_token.weight', t([1, 2])],
    ['optimizer.state.0.exp_avg', t([2])],
  ]);
  const mapped = toSamKeys(tensors);
  assert.equal(mapped.layout, 'medsam');
  assert.deepEqual([...mapped.tensors.keys()], ['image_encoder.pos_embed', 'prompt_encoder.no_mask_embed.weight', 'mask_decoder.iou_token.weight']);
  assert.deepEqual(mapped.ignored, ['optimizer.state.0.exp_avg']);
});

test('UltraSam splits: in_proj_bias into q/k/v, label embedding rows into SAM embeddings', () => {
  const tensors: StateDict = new Map([
    ['state_dict.backbone.pos_embed', t([1])],
    ['state_dict.decoder.layers.1.cross_attn_image_to_token.attn.in_proj_bias', t([6], [1, 2, 3, 4, 5, 6])],
    ['state_dict.prompt_encoder.label_encoder.label_embedding.weight', t([11, 2])],
    ['state_dict.bbox_head.iou_prediction_head.layers.0.bias', t([1])],
  ]);
  const out = toSamKeys(tensors).tensors;
  const values = (key: string) => [...out.get(key)!.data];
  const attn = 'mask_decoder.transformer.layers.1.cross_attn_image_to_token';
  assert.deepEqual(values(`${attn}.q_proj.bias`), [1, 2]);
  assert.deepEqual(values(`${attn}.k_proj.bias`), [3, 4]);
  assert.deepEqual(values(`${attn}.v_proj.bias`), [5, 6]);
  assert.deepEqual(values('prompt_encoder.no_mask_embed.weight'), [0, 1]);
  assert.deepEqual(values('prompt_encoder.point_embeddings.3.weight'), [8, 9]);
  assert.deepEqual(values('prompt_encoder.not_a_point_embed.weight'), [10, 11]);
  assert.deepEqual(out.get('mask_decoder.mask_tokens.weight')!.shape, [4, 2]);
  assert.deepEqual(values('mask_decoder.mask_tokens.weight'), [12, 13, 14, 15, 16, 17, 18, 19]);
  assert.deepEqual(values('mask_decoder.iou_token.weight'), [20, 21]);
  assert.ok(out.has('mask_decoder.iou_prediction_head.layers.0.bias'));
});

test('malformed UltraSam tensors are mapping errors naming the key', () => {
  const base: [string, WeightTensor][] = [
    ['state_dict.backbone.pos_embed', t([1])],
    ['state_dict.bbox_head.x', t([1])],
  ];
  assert.throws(
    () => toSamKeys(new Map([...base, ['state_dict.decoder.post_norm.weight', t([1])], ['state_dict.prompt_encoder.label_encoder.label_embedding.weight', t([3, 2])]])),
    (e: unknown) => e instanceof LayoutMappingError && /label_embedding/.test(e.message),
  );
  assert.throws(
    () => toSamKeys(new Map([...base, ['state_dict.prompt_encoder.pe_layer.x', t([1])], ['state_dict.decoder.final_attn_token_to_image.attn.in_proj_bias', t([4])]])),
    (e: unknown) => e instanceof LayoutMappingError && /in_proj_bias/.test(e.message),
  );
});

test('an unknown layout lists some of the keys it saw', () => {
  const tensors: StateDict = new Map([
    ['encoder.conv1.weight', t([1])],
    ['encoder.conv1.bias', t([1])],
  ]);
  assert.throws(
    () => detectLayout(tensors.keys()),
    (e: unknown) => e instanceof UnknownLayoutError && /encoder\.conv1\.weight/.test(e.message),
  );
  assert.throws(() => detectLayout([]), UnknownLayoutError);
});

test('checkStateDict lists every missing key, unexpected key and shape mismatch in one error', () => {
  const expected = new Map<string, number[]>([
    ['a', [2, 3]],
    ['b', [4]],
    ['c', [1]],
  ]);
  assert.doesNotThrow(() =>
    checkStateDict(
      expected,
      new Map([
        ['a', t([2, 3])],
        ['b', t([4])],
        ['c', t([1])],
      ]),
    ),
  );
  assert.throws(
    () =>
      checkStateDict(
        expected,
        new Map([
          ['a', t([3, 2])],
          ['b', t([4])],
          ['extra1', t([1])],
          ['extra2', t([1])],
        ]),
      ),
    (e: unknown) => {
      assert.ok(e instanceof StateDictMismatchError);
      assert.deepEqual(e.missing, ['c']);
      assert.deepEqual(e.unexpected, ['extra1', 'extra2']);
      assert.deepEqual(e.shapeMismatches, [{ key: 'a', expected: [2, 3], got: [3, 2] }]);
      assert.match(e.message, /missing keys \(1\): c/);
      assert.match(e.message, /unexpected keys \(2\): extra1, extra2/);
      assert.match(e.message, /a expected \[2,3\] got \[3,2\]/);
      return true;
    },
  );
});
