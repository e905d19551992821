// End-to-end training through the engine: graph → grad → AdamW in the graph → onnxruntime.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as op from '../../src/graph/ops/index.js';
import { appendAdamW } from '../../src/graph/optim.js';
import { Rng, normalArray } from '../../src/graph/random.js';
import { Trainer } from '../../src/graph/trainer.js';
import { bceWithLogits, discBatch, discNet, vitStack } from '../../bench/nets.js';

async function trainDiscs(seed: number, steps: number): Promise<number[]> {
  const rng = new Rng(seed);
  const size = 24;
  const batch = 8;
  const { g, values, logits } = discNet(rng, batch, size);
  const target = g.input('mask', [batch, 1, size, size]);
  const spec = appendAdamW(g, bceWithLogits(logits, target), { weightDecay: 0, clipNorm: 5 });
  const trainer = await Trainer.create(spec, values, { threads: 1 });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { image, mask } = discBatch(rng, batch, size);
    losses.push((await trainer.trainStep({ image, mask }, 0.02)).loss);
  }
  await trainer.release();
  return losses;
}

test('a small CNN learns to segment noisy discs: loss falls 10×, deterministically', async () => {
  const losses = await trainDiscs(7, 300);
  const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = losses.slice(-20).reduce((a, b) => a + b) / 20;
  console.log(`disc CNN: loss ${first.toFixed(4)} → ${last.toFixed(4)} (${(first / last).toFixed(1)}×)`);
  assert.ok(first / last >= 10, `loss fell only ${(first / last).toFixed(2)}× (${first} → ${last})`);
  const again = await trainDiscs(7, 30);
  assert.deepEqual(again, losses.slice(0, 30), 'a rerun with the same seed gives the same losses');
});

async function trainTransformer(seed: number, steps: number): Promise<number[]> {
  const rng = new Rng(seed);
  const c = { width: 32, heads: 4, tokens: 16, batch: 4, depth: 2 };
  const { g, values, y } = vitStack(rng, c);
  // Regress a fixed random linear map of the input tokens, mixed across tokens by a softmax.
  const target = g.input('target', [c.batch, c.tokens, c.width]);
  const diff = op.sub(y, target);
  const spec = appendAdamW(g, op.reduceMean(op.mul(diff, diff)), { weightDecay: 1e-4, clipNorm: 1 });
  const trainer = await Trainer.create(spec, values, { threads: 1 });
  const mixing = normalArray(new Rng(99), c.width * c.width, 1 / Math.sqrt(c.width));
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const x = normalArray(rng, c.batch * c.tokens * c.width);
    const t = new Float32Array(x.length);
    for (let row = 0; row < c.batch * c.tokens; row++) {
      for (let j = 0; j < c.width; j++) {
        let s = 0;
        for (let k = 0; k < c.width; k++) s += x[row * c.width + k] * mixing[k * c.width + j];
        t[row * c.width + j] = Math.tanh(s);
      }
    }
    losses.push((await trainer.trainStep({ x, target: t }, 3e-3)).loss);
  }
  await trainer.release();
  return losses;
}

test('two transformer blocks train (loss falls) and reruns are identical', async () => {
  const losses = await trainTransformer(3, 150);
  const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
  console.log(`transformer: loss ${first.toFixed(4)} → ${last.toFixed(4)} (${(first / last).toFixed(1)}×)`);
  assert.ok(last < first / 3, `loss fell only ${(first / last).toFixed(2)}×`);
  assert.deepEqual(await trainTransformer(3, 20), losses.slice(0, 20));
});
