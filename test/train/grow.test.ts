// Growing an encoder (src/train/init.ts, growEncoder): the deeper model starts out computing the
// same embedding, its new blocks are the identity, and bad orders are refused by name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serialize } from '../../src/graph/onnx.js';
import { Rng, normalArray } from '../../src/graph/random.js';
import { Runtime } from '../../src/graph/runtime.js';
import { type SamConfig, samConfig } from '../../src/model/config.js';
import { buildEncoderGraph, parameterShapes, weightValues } from '../../src/model/sam.js';
import { growEncoder } from '../../src/train/init.js';
import { randomWeights, tinyConfig } from '../model/tiny.js';

function globalConfig(): SamConfig {
  const t = tinyConfig();
  return samConfig('vit_b', { ...t, imageEncoder: { ...t.imageEncoder, depth: 3, globalAttnIndexes: [0, 1, 2], windowSize: 0 } });
}

async function embed(config: SamConfig, values: Map<string, Float32Array>, image: Float32Array): Promise<Float32Array> {
  const rt = await Runtime.create(serialize(buildEncoderGraph(config, 1, { forwardOnly: true }), { params: 'initializers', values }), { threads: 1 });
  const out = (await rt.run({ image })).embedding.data as Float32Array;
  await rt.release();
  return out;
}

test('a grown encoder has the new depth, every parameter, and the original embedding', async () => {
  const config = globalConfig();
  const values = weightValues(config, randomWeights(config));
  const grown = growEncoder(config, values, [0, 'new', 1, 2, 'new'], 3);
  assert.equal(grown.config.imageEncoder.depth, 5);
  assert.deepEqual(grown.config.imageEncoder.globalAttnIndexes, [0, 1, 2, 3, 4]);
  assert.deepEqual([...grown.values.keys()].sort(), [...parameterShapes(grown.config).keys()].sort());
  assert.equal(grown.values.get('image_encoder.blocks.2.attn.qkv.weight'), values.get('image_encoder.blocks.1.attn.qkv.weight'));
  assert.ok(
    grown.values.get('image_encoder.blocks.1.attn.qkv.weight')!.some((v) => v !== 0),
    'new blocks draw their first projections',
  );
  assert.ok(grown.values.get('image_encoder.blocks.4.mlp.lin2.weight')!.every((v) => v === 0));

  const image = normalArray(new Rng(1), 3 * 64 * 64);
  const before = await embed(config, values, image);
  const after = await embed(grown.config, grown.values, image);
  let maxErr = 0;
  for (let i = 0; i < before.length; i++) maxErr = Math.max(maxErr, Math.abs(before[i] - after[i]));
  assert.ok(maxErr < 1e-5, `embedding differs by ${maxErr}`);
});

test('growEncoder refuses windowed encoders and blocks it does not have', () => {
  const config = globalConfig();
  const values = weightValues(config, randomWeights(config));
  assert.throws(() => growEncoder(config, values, [0, 1, 3], 0), /block 3 is not one of the encoder's 0\.\.2/);
  const windowed = tinyConfig();
  assert.throws(() => growEncoder(windowed, weightValues(windowed, randomWeights(windowed)), [0, 'new', 1], 0), /windowed blocks/);
});
