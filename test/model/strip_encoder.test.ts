// The exported encoder's parts (the strip graphs, the tail graph) reproduce the whole encoder graph:
// strips the image reaches run, the others taken from the table of padding strips, for images that
// reach every strip or only some; with a short last strip (its windows padded as the grid's are),
// with strips that divide the grid, with interpolated tables, and without windows (one strip).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, normalArray } from '../../src/graph/random.js';
import { serialize } from '../../src/graph/onnx.js';
import { Runtime } from '../../src/graph/runtime.js';
import { type SamConfig, encoderStrips, samConfig } from '../../src/model/config.js';
import { buildEncoderGraph, buildEncoderStripGraph, buildEncoderTailGraph, weightValues } from '../../src/model/sam.js';
import { ENCODER_STRIP, encodeInStrips, paddingTokens, runStrips, stripsReached } from '../../src/model/strip_encoder.js';
import { randomWeights, tinyConfig } from './tiny.js';

function config(imageEncoder: Partial<SamConfig['imageEncoder']>): SamConfig {
  return samConfig('vit_b', {
    name: 'strips',
    imageEncoder: { imgSize: 96, embedDim: 16, depth: 4, numHeads: 2, globalAttnIndexes: [2], windowSize: 4, outChans: 16, ...imageEncoder },
    promptEncoder: { maskInChans: 4 },
    maskDecoder: { transformerDim: 16, numHeads: 2, mlpDim: 32, iouHeadHiddenDim: 16 },
  });
}

/** The largest difference between the whole encoder's embedding and the two parts', and the embedding's largest magnitude. */
async function compare(cfg: SamConfig, inputHeight: number): Promise<{ err: number; scale: number }> {
  const values = weightValues(cfg, randomWeights(cfg, 11, 0.2));
  const e = cfg.imageEncoder;
  const s = e.imgSize;
  // Image content in the top inputHeight rows, zeros below (the preprocessing's padding).
  const rng = new Rng(5);
  const image = new Float32Array(3 * s * s);
  const content = normalArray(rng, 3 * s * s, 1);
  for (let c = 0; c < 3; c++) image.set(content.subarray(c * s * s, c * s * s + inputHeight * s), c * s * s);
  const whole = await Runtime.create(serialize(buildEncoderGraph(cfg, 1, { forwardOnly: true }), { params: 'initializers', values }), { threads: 1 });
  const expected = (await whole.run({ image })).embedding.data as Float32Array;
  const strip = await Runtime.create(serialize(buildEncoderStripGraph(cfg, { forwardOnly: true }), { params: 'initializers', values }), { threads: 1 });
  const { rows, lastRows } = encoderStrips(e);
  const last = lastRows !== rows ? await Runtime.create(serialize(buildEncoderStripGraph(cfg, { forwardOnly: true }, true), { params: 'initializers', values }), { threads: 1 }) : undefined;
  const sessions = { strip: strip.session, last: last?.session };
  if (last) await assert.rejects(paddingTokens(strip.ort, { strip: strip.session }, e), new RegExp(`last strip is ${lastRows} token rows high, not ${rows}: it needs the last-strip graph`));
  await assert.rejects(runStrips(strip.ort, sessions, new Float32Array(5), e, 1), new RegExp(`image must hold 3·${s}·${s} values, got 5`));
  await assert.rejects(runStrips(strip.ort, sessions, image, e, encoderStrips(e).count + 1), new RegExp(`strips to run must be 1 to ${encoderStrips(e).count}, got ${encoderStrips(e).count + 1}`));
  const table = await paddingTokens(strip.ort, sessions, e);
  const tailValues = new Map(values).set(ENCODER_STRIP.padding, table);
  const tail = await Runtime.create(serialize(buildEncoderTailGraph(cfg, { forwardOnly: true }), { params: 'initializers', values: tailValues }), { threads: 1 });
  const got = (await encodeInStrips(strip.ort, sessions, tail.session, image, inputHeight, e)).embedding.data as Float32Array;
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(got[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { err, scale };
}

test('strips of the grid: window rows, the blocks before the first global one, how many an image reaches', () => {
  const vitb = samConfig('vit_b').imageEncoder;
  assert.deepEqual(encoderStrips(vitb), { rows: 14, count: 5, lastRows: 8, blocks: 2 });
  assert.deepEqual(encoderStrips(samConfig('vit_h').imageEncoder), { rows: 14, count: 5, lastRows: 8, blocks: 7 });
  // A 500 × 315 image resizes to 1024 × 645: 41 token rows, three strips.
  assert.equal(stripsReached(vitb, 645), 3);
  assert.equal(stripsReached(vitb, 1024), 5);
  assert.equal(stripsReached(vitb, 1), 1);
  assert.equal(stripsReached(vitb, 224), 1);
  assert.equal(stripsReached(vitb, 225), 2);
  assert.throws(() => stripsReached(vitb, 1025), /height must be an integer from 1 to 1024, got 1025/);
  assert.throws(() => stripsReached(vitb, 0), /got 0/);
  // No windows, or a global first block: one strip, the whole grid, no blocks.
  assert.deepEqual(encoderStrips(config({ windowSize: 0 }).imageEncoder), { rows: 6, count: 1, lastRows: 6, blocks: 0 });
  assert.deepEqual(encoderStrips(config({ globalAttnIndexes: [0, 2] }).imageEncoder), { rows: 6, count: 1, lastRows: 6, blocks: 0 });
  // Windows wider than the grid: one strip of the grid's rows.
  assert.deepEqual(encoderStrips(config({ windowSize: 8 }).imageEncoder), { rows: 6, count: 1, lastRows: 6, blocks: 2 });
  assert.deepEqual(encoderStrips(config({}).imageEncoder), { rows: 4, count: 2, lastRows: 2, blocks: 2 });
  assert.deepEqual(encoderStrips(config({ windowSize: 3 }).imageEncoder), { rows: 3, count: 2, lastRows: 3, blocks: 2 });
});

const cases: [string, () => SamConfig, number[]][] = [
  // 6 × 6 grid, windows of 4: a strip of 4 rows and a last one of 2; blocks 0–1 in the strips.
  ['two windowed blocks, a short last strip', () => config({}), [96, 64, 50, 16]],
  // Windows of 3: two strips of 3 rows, one graph.
  ['strips that divide the grid', () => config({ windowSize: 3 }), [96, 48, 49]],
  // 4 × 4 grid, windows of 3, tables trained at 96 pixels (position embedding interpolated).
  ['the tiny test model (interpolated tables)', tinyConfig, [64, 48, 5]],
  ['no windows (one strip)', () => config({ windowSize: 0 }), [96, 40]],
];
for (const [name, make, heights] of cases) {
  test(`the strip and tail graphs reproduce the whole encoder: ${name}`, async () => {
    const cfg = make();
    for (const h of heights) {
      const { err, scale } = await compare(cfg, h);
      assert.ok(scale > 0.1, `embedding magnitude ${scale}`);
      assert.ok(
        err <= 1e-4 * Math.max(1, scale),
        `image ${h} rows high (${stripsReached(cfg.imageEncoder, h)} of ${encoderStrips(cfg.imageEncoder).count} strips): largest difference ${err.toExponential(2)} (magnitude ${scale.toFixed(3)})`,
      );
    }
  });
}
