// Multi-click simulation: each click is the next click of the model's current prediction (the
// centre of its largest error region, labelled by the error's kind), the previous logits become
// the mask prompt, and instances drawn for no clicks are left alone. A run with clicks and the
// refinement pass trains.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { serialize } from '../../src/graph/onnx.js';
import { Rng, normalArray } from '../../src/graph/random.js';
import { Runtime } from '../../src/graph/runtime.js';
import { assembleBatch, type BatchLayout } from '../../src/train/batch.js';
import { ClickSimulator } from '../../src/train/clicks.js';
import { loadTrainingSet } from '../../src/train/dataset.js';
import { nextClick } from '../../src/train/error_region.js';
import { type TrainGraphOptions, buildForwardGraph } from '../../src/train/graph.js';
import { initSamWeights } from '../../src/train/init.js';
import { RunLog } from '../../src/train/log.js';
import { train } from '../../src/train/run.js';
import { DEFAULTS, mergeConfig, validateRunConfig } from '../../src/train/run_config.js';
import { prepareSample } from '../../src/train/sample.js';
import { type SyntheticCorpus, tinyTrainConfig, writeSyntheticCoco } from './synthetic.js';

const config = tinyTrainConfig();
let corpus: SyntheticCorpus;
before(async () => {
  corpus = await writeSyntheticCoco(6, 40, 40, 8);
});
after(() => corpus.cleanup());

test('clicks go to the largest error of the current prediction; the previous logits become the mask prompt', async () => {
  const set = loadTrainingSet([{ coco: corpus.coco }]);
  const images = 2;
  const n = 5;
  const layout: BatchLayout = { images, instancesPerImage: 2, promptTokens: n, lowRes: 16, imgSize: 64, multimask: 'auto', refine: false, maskInput: true };
  const samples = await Promise.all(
    [0, 1].map((i) => prepareSample(set.images[i], 40 + i, { config, instancesPerImage: 2, flip: false, pixels: false, boxProbability: 0.5, boxJitter: 0.05, maxExtraClicks: 0 })),
  );
  const batch = assembleBatch(samples, layout);
  const b = batch.targets.length;
  // Slot 0 gets three clicks, slot 1 one, the others none.
  batch.extraClicks.set([3, 1]);
  const c = config.maskDecoder.transformerDim;
  batch.feeds.embedding = normalArray(new Rng(1), images * c * 4 * 4);
  const original = { labels: Float32Array.from(batch.feeds.point_labels as Float32Array), coords: Float32Array.from(batch.feeds.point_coords as Float32Array) };

  const options: TrainGraphOptions = { config, ultrasam: false, images, instancesPerImage: 2, promptTokens: n, source: 'cached', freezeEncoder: true, maskInput: true, emptySlots: true, refine: false };
  const params = initSamWeights(config, 2);
  // The first click by hand: the prediction for the initial prompts.
  const forward = await Runtime.create(serialize(buildForwardGraph(options), { params: 'inputs' }), { threads: 1 });
  const feeds: Record<string, Float32Array | BigInt64Array> = {};
  for (const input of forward.signature.inputs) feeds[input.name] = input.param ? params.get(input.name)! : batch.feeds[input.name];
  const out = await forward.run(feeds);
  await forward.release();
  const logits = out.low_res_logits.data as Float32Array;
  const iou = out.iou_predictions.data as Float32Array;

  const simulator = await ClickSimulator.create(options, layout, 1);
  await simulator.simulate(batch, params);
  await simulator.release();
  const labels = batch.feeds.point_labels as Float32Array;
  const coords = batch.feeds.point_coords as Float32Array;
  const has = batch.feeds.has_mask_input as Float32Array;
  const maskInput = batch.feeds.mask_input as Float32Array;

  for (const slot of [0, 1]) {
    // The output shown to a user: best predicted IoU among 1–3 for a single point, else output 0.
    const outputs = batch.singlePoint[slot] ? [1, 2, 3] : [0];
    const best = outputs.reduce((a, j) => (iou[slot * 4 + j] > iou[slot * 4 + a] ? j : a));
    const chosen = logits.subarray((slot * 4 + best) * 256, (slot * 4 + best + 1) * 256);
    const [rows, cols] = batch.validCells[slot];
    const predicted = new Uint8Array(256);
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) predicted[y * 16 + x] = chosen[y * 16 + x] > 0 ? 1 : 0;
    const expected = nextClick(predicted, batch.targets[slot], 16, 16)!;
    assert.ok(expected, 'an untrained model makes errors');
    const token = slot * n + 2;
    assert.deepEqual([coords[2 * token], coords[2 * token + 1], labels[token]], [(expected.x + 0.5) * 4, (expected.y + 0.5) * 4, expected.positive ? 1 : 0]);
    assert.equal(has[slot], 1);
    if (slot === 1) assert.deepEqual(maskInput.subarray(256, 512), chosen, 'one click: the mask prompt is the prediction it corrects');
    // Every click agrees with the target: positive on the object, negative off it.
    for (let t = 2; t < n; t++) {
      const label = labels[slot * n + t];
      if (label === -2) continue;
      const cell = Math.floor(coords[2 * (slot * n + t) + 1] / 4) * 16 + Math.floor(coords[2 * (slot * n + t)] / 4);
      assert.equal(label, batch.targets[slot][cell], `slot ${slot} click ${t - 1}`);
    }
    assert.deepEqual(Array.from((batch.feeds.candidates as Float32Array).subarray(slot * 4, slot * 4 + 4)), [1, 0, 0, 0]);
  }
  assert.equal(labels.subarray(0 * n + 2, 0 * n + 5).filter((l) => l !== -2).length, 3, 'three clicks for slot 0');
  assert.deepEqual(Array.from(labels.subarray(n + 3, 2 * n)), [-2, -2], 'one click for slot 1');
  for (let slot = 2; slot < b; slot++) {
    assert.deepEqual(labels.subarray(slot * n, (slot + 1) * n), original.labels.subarray(slot * n, (slot + 1) * n), `slot ${slot} untouched`);
    assert.equal(has[slot], 0);
  }
  assert.deepEqual(coords.subarray(0, 4), original.coords.subarray(0, 4), 'the initial prompt stays');
});

test('training with multi-click simulation and the refinement pass runs', async () => {
  const work = mkdtempSync(join(tmpdir(), 'ultrasam-clicks-'));
  try {
    const run = validateRunConfig(
      mergeConfig(DEFAULTS as unknown as Record<string, unknown>, {
        data: [{ coco: corpus.coco }],
        model: config,
        init: 'scratch',
        out: work,
        steps: 4,
        batch: { images: 2, instances: 2 },
        prompts: { maxExtraClicks: 2 },
        refine: true,
        threads: 1,
        workers: 0,
      }),
    );
    const result = await train(run);
    const log = new RunLog(result.files.log).read();
    assert.equal(log.length, 4);
    for (const e of log) {
      assert.ok(Number.isFinite(e.loss) && Number.isFinite(e['refine.dice']), `step ${e.step}: ${JSON.stringify(e)}`);
      // The total is both passes' losses.
      const first = 20 * e.focal + e.dice + e.iou_mse;
      const second = 20 * e['refine.focal'] + e['refine.dice'] + e['refine.iou_mse'];
      assert.ok(Math.abs(e.loss - first - second) < 1e-4 * e.loss, `step ${e.step}: ${e.loss} vs ${first} + ${second}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
