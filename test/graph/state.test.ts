// Learning-rate schedules and training state on disk: a restored trainer continues exactly.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { appendAdamW } from '../../src/graph/optim.js';
import { Rng } from '../../src/graph/random.js';
import { constantSchedule, cosineSchedule, multiStepSchedule } from '../../src/graph/schedule.js';
import { loadState, saveState } from '../../src/graph/state.js';
import { Trainer } from '../../src/graph/trainer.js';
import { bceWithLogits, discBatch, discNet } from '../../bench/nets.js';
import { tempDir } from '../helpers/temp_dir.js';

test('schedules: warm-up, multistep and cosine', () => {
  const c = constantSchedule({ lr: 1, warmupSteps: 10, warmupStart: 0 });
  assert.equal(c(0), 0);
  assert.equal(c(5), 0.5);
  assert.equal(c(10), 1);
  const m = multiStepSchedule({ lr: 1, milestones: [100, 200], gamma: 0.1 });
  assert.equal(m(99), 1);
  assert.ok(Math.abs(m(100) - 0.1) < 1e-12);
  assert.ok(Math.abs(m(250) - 0.01) < 1e-12);
  const cos = cosineSchedule({ lr: 2, totalSteps: 100, minLr: 0 });
  assert.equal(cos(0), 2);
  assert.ok(Math.abs(cos(50) - 1) < 1e-12);
  assert.ok(Math.abs(cos(100)) < 1e-12);
});

async function makeTrainer(seed: number) {
  const { g, values, logits } = discNet(new Rng(seed), 4, 16);
  const spec = appendAdamW(g, bceWithLogits(logits, g.input('mask', [4, 1, 16, 16])), { weightDecay: 0.01 });
  return Trainer.create(spec, values, { threads: 1 });
}

test('saving and loading the training state resumes the exact loss sequence', async () => {
  const { dir, cleanup } = tempDir('state');
  try {
    const batches = Array.from({ length: 10 }, (_, i) => discBatch(new Rng(100 + i), 4, 16));
    const straight = await makeTrainer(1);
    const expected: number[] = [];
    for (const b of batches) expected.push((await straight.trainStep({ image: b.image, mask: b.mask }, 0.01)).loss);

    const first = await makeTrainer(1);
    for (const b of batches.slice(0, 4)) await first.trainStep({ image: b.image, mask: b.mask }, 0.01);
    const path = join(dir, 'state.safetensors');
    saveState(path, { params: first.params(), ...first.moments(), step: first.step, meta: { note: 'test' } });
    assert.deepEqual(readdirSync(dir), ['state.safetensors'], 'no temporary file is left behind');

    const resumed = await makeTrainer(2); // different initial weights: all must come from the file
    const state = loadState(path);
    assert.equal(state.step, 4);
    assert.deepEqual(state.meta, { note: 'test' });
    resumed.restore(state);
    const rest: number[] = [];
    for (const b of batches.slice(4)) rest.push((await resumed.trainStep({ image: b.image, mask: b.mask }, 0.01)).loss);
    assert.deepEqual(rest, expected.slice(4));
    await Promise.all([straight.release(), first.release(), resumed.release()]);
  } finally {
    cleanup();
  }
});
