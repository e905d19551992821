// Growing a model (src/train/init.ts): a deeper encoder (growEncoder) starts out computing the same
// embedding, its new blocks the identity; a wider decoder upscaling (growUpscaling) and a pixel
// branch (growPixelBranch) and a mask skip (growMaskSkip) the same logits.
// Bad orders and shrinking are refused by name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serialize } from '../../src/graph/onnx.js';
import { Rng, normalArray } from '../../src/graph/random.js';
import { Runtime } from '../../src/graph/runtime.js';
import { type SamConfig, samConfig } from '../../src/model/config.js';
import { buildDecoderGraph, buildEncoderGraph, parameterShapes, weightValues } from '../../src/model/sam.js';
import { growClickHead, growEncoder, growMaskSkip, growPixelBranch, growUpscaling } from '../../src/train/init.js';
import { inferConfig } from '../../src/model/infer_config.js';
import { SamPredictor } from '../../src/model/predictor.js';
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

async function decode(config: SamConfig, values: Map<string, Float32Array>, embedding: Float32Array, maskInput: Float32Array): Promise<Float32Array> {
  const graph = buildDecoderGraph(config, { numPoints: 2, hasMaskInput: true, multimask: true, ultrasam: false });
  const rt = await Runtime.create(serialize(graph, { params: 'initializers', values }), { threads: 1 });
  const out = (await rt.run({ image_embedding: embedding, point_coords: new Float32Array([20, 30, 41, 12]), point_labels: new Float32Array([1, 0]), mask_input: maskInput })).low_res_logits
    .data as Float32Array;
  await rt.release();
  return out;
}

test('a grown decoder upscaling has the new channels, the convolution, and the original logits', async () => {
  const config = tinyConfig();
  const values = weightValues(config, randomWeights(config));
  const grown = growUpscaling(config, values, { chans: 5, conv: true }, 4);
  assert.equal(grown.config.maskDecoder.upscaleChans, 5);
  assert.equal(grown.config.maskDecoder.upscaleConv, true);
  assert.deepEqual([...grown.values.keys()].sort(), [...parameterShapes(grown.config).keys()].sort());
  assert.ok(grown.values.get('mask_decoder.upscale_conv.weight')!.every((v) => v === 0));
  const upscale = grown.values.get('mask_decoder.output_upscaling.3.weight')!; // [4, 5, 2, 2], was [4, 2, 2, 2]
  assert.deepEqual([...upscale.subarray(20, 28)], [...values.get('mask_decoder.output_upscaling.3.weight')!.subarray(8, 16)]);
  assert.ok(
    upscale.subarray(28, 40).some((v) => v !== 0),
    'new feature channels are drawn',
  );

  const rng = new Rng(5);
  const embedding = normalArray(rng, 16 * 4 * 4);
  const maskInput = normalArray(rng, 16 * 16);
  const before = await decode(config, values, embedding, maskInput);
  const after = await decode(grown.config, grown.values, embedding, maskInput);
  let maxErr = 0;
  for (let i = 0; i < before.length; i++) maxErr = Math.max(maxErr, Math.abs(before[i] - after[i]));
  assert.ok(maxErr < 1e-5, `logits differ by ${maxErr}`);
  assert.throws(() => growUpscaling(grown.config, grown.values, { chans: 4, conv: true }, 0), /4 channels is not an integer ≥ the decoder's 5/);
  assert.throws(() => growUpscaling(grown.config, grown.values, { chans: 5, conv: false }, 0), /cannot be removed/);
});

/**
 * Two models give the same low-res logits through the predictor (within 1e-5) on a random image: a
 * box prompt, then a negative click with the box's logits as the mask prompt.
 */
async function assertSameLogits(...[a, b, seed]: [[SamConfig, Map<string, Float32Array>], [SamConfig, Map<string, Float32Array>], number]): Promise<void> {
  const rng = new Rng(seed);
  const image = { width: 50, height: 40, channels: 3 as const, data: Uint8Array.from({ length: 50 * 40 * 3 }, () => Math.floor(256 * rng.next())) };
  const logits: Float32Array[] = [];
  for (const [c, v] of [a, b]) {
    const predictor = SamPredictor.fromValues(c, v, false, { threads: 1 });
    await predictor.setImage(image);
    const [first] = await predictor.decodeLowRes([{ box: [5, 6, 30, 33] }]);
    const [second] = await predictor.decodeLowRes([{ points: [[12, 20]], labels: [0], maskInput: first.lowResLogits.subarray(0, 16 * 16) }]);
    logits.push(Float32Array.from([...first.lowResLogits, ...second.lowResLogits]));
    await predictor.release();
  }
  let maxErr = 0;
  for (let i = 0; i < logits[0].length; i++) maxErr = Math.max(maxErr, Math.abs(logits[0][i] - logits[1][i]));
  assert.ok(maxErr < 1e-5, `logits differ by ${maxErr}`);
}

test('a grown pixel branch: its parameters, zero projection, the same masks through the predictor; inferred from the weights; not grown twice', async () => {
  const config = tinyConfig();
  const values = weightValues(config, randomWeights(config));
  const grown = growPixelBranch(config, values, 6, 9);
  assert.equal(grown.config.maskDecoder.fineChans, 6);
  assert.deepEqual([...grown.values.keys()].sort(), [...parameterShapes(grown.config).keys()].sort());
  assert.ok(grown.values.get('mask_decoder.fine_proj.weight')!.every((v) => v === 0));
  assert.ok(grown.values.get('mask_decoder.fine_stem.2.weight')!.some((v) => v !== 0));
  const shapes = parameterShapes(grown.config);
  const tensors = new Map([...grown.values].map(([k, data]) => [k, { shape: shapes.get(k)!, data }]));
  assert.equal(inferConfig(tensors).maskDecoder.fineChans, 6);
  assert.equal(inferConfig(new Map([...tensors].filter(([k]) => !k.includes('fine_')))).maskDecoder.fineChans, undefined);

  await assertSameLogits([config, values], [grown.config, grown.values], 10);
  assert.throws(() => growPixelBranch(grown.config, grown.values, 6, 0), /already has a pixel branch/);
  assert.throws(() => growPixelBranch(config, values, 0, 0), /0 channels is not a positive integer/);
});

test('a grown mask skip: zero gains, the same masks through the predictor with and without a mask prompt; inferred from the weights; not grown twice', async () => {
  const config = tinyConfig();
  const values = weightValues(config, randomWeights(config));
  const grown = growMaskSkip(config, values);
  assert.equal(grown.config.maskDecoder.maskSkip, true);
  assert.deepEqual([...grown.values.keys()].sort(), [...parameterShapes(grown.config).keys()].sort());
  assert.deepEqual(parameterShapes(grown.config).get('mask_decoder.mask_skip'), [config.maskDecoder.numMultimaskOutputs + 1]);
  assert.ok(grown.values.get('mask_decoder.mask_skip')!.every((v) => v === 0));
  const shapes = parameterShapes(grown.config);
  const tensors = new Map([...grown.values].map(([k, data]) => [k, { shape: shapes.get(k)!, data }]));
  assert.equal(inferConfig(tensors).maskDecoder.maskSkip, true);
  assert.equal(inferConfig(new Map([...tensors].filter(([k]) => !k.includes('mask_skip')))).maskDecoder.maskSkip, undefined);

  await assertSameLogits([config, values], [grown.config, grown.values], 12);
  assert.throws(() => growMaskSkip(grown.config, grown.values), /already has the mask skip/);
});

test('a grown click head: He-normal convolutions, the last zero, the same masks through the predictor with and without a mask prompt; inferred from the weights; not grown twice', async () => {
  const config = tinyConfig();
  const values = weightValues(config, randomWeights(config));
  const grown = growClickHead(config, values, 5, 13);
  assert.equal(grown.config.maskDecoder.clickHead, 5);
  assert.deepEqual([...grown.values.keys()].sort(), [...parameterShapes(grown.config).keys()].sort());
  assert.ok(grown.values.get('mask_decoder.click_head.4.weight')!.every((v) => v === 0));
  assert.ok(grown.values.get('mask_decoder.click_head.2.weight')!.some((v) => v !== 0));
  const shapes = parameterShapes(grown.config);
  const tensors = new Map([...grown.values].map(([k, data]) => [k, { shape: shapes.get(k)!, data }]));
  assert.equal(inferConfig(tensors).maskDecoder.clickHead, 5);
  assert.equal(inferConfig(new Map([...tensors].filter(([k]) => !k.includes('click_head')))).maskDecoder.clickHead, undefined);

  await assertSameLogits([config, values], [grown.config, grown.values], 14);
  assert.throws(() => growClickHead(grown.config, grown.values, 5, 0), /already has a click head/);
  assert.throws(() => growClickHead(config, values, 0, 0), /0 channels is not a positive integer/);
});
