// Interactive training: each iteration's click is the next click of the model's prediction for the
// previous iteration (the centre of its largest error region, labelled by the error's kind), or no
// click on a mask-only iteration, and the previous prediction's logits are the mask prompt. A run
// with iterations and the refinement pass trains; so does a model with a pixel branch.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { serialize } from '../../src/graph/onnx.js';
import { Rng, normalArray } from '../../src/graph/random.js';
import { Runtime } from '../../src/graph/runtime.js';
import { LONE_POINT_METADATA_KEY, type LonePointOutput } from '../../src/eval/click_rule.js';
import { SamPredictor } from '../../src/model/predictor.js';
import { loadSamWeights } from '../../src/weights/checkpoint.js';
import { assembleBatch, type BatchLayout, type InstanceSlot } from '../../src/train/batch.js';
import { postprocessMasks } from '../../src/model/postprocess.js';
import { ClickSimulator } from '../../src/train/clicks.js';
import { loadTrainingSet } from '../../src/train/dataset.js';
import { nextClick } from '../../src/train/error_region.js';
import { type TrainGraphOptions, buildForwardGraph } from '../../src/train/graph.js';
import { initSamWeights } from '../../src/train/init.js';
import { RunLog } from '../../src/train/log.js';
import { train } from '../../src/train/run.js';
import { planRun } from '../../src/train/plan.js';
import { join } from 'node:path';
import { DEFAULTS, mergeConfig, validateRunConfig } from '../../src/train/run_config.js';
import { type ClickGrid, prepareSample } from '../../src/train/sample.js';
import { NO_AUGMENTATION } from '../../src/train/augment.js';
import { type SyntheticCorpus, tinyTrainConfig, writeSyntheticCoco } from './synthetic.js';
import { tempDir } from '../helpers/temp_dir.js';

const config = tinyTrainConfig();
let corpus: SyntheticCorpus;
before(async () => {
  corpus = await writeSyntheticCoco(6, 40, 40, 8);
});
after(() => corpus.cleanup());

for (const lonePoint of ['candidates', 'single'] as const) {
  test(`each iteration corrects the previous one: a click in its largest error (or none), its logits as the mask prompt (lone point: ${lonePoint})`, () => checkSimulation(lonePoint, 'cells'));
}
test('with clickGrid input, the clicks go to the largest error region of the upsampled mask on the input frame', () => checkSimulation('single', 'input'));

async function checkSimulation(lonePoint: LonePointOutput, clickGrid: ClickGrid): Promise<void> {
  const set = loadTrainingSet([{ coco: corpus.coco }]);
  const images = 2;
  const r = 4; // the first prompt, two corrective clicks, one mask-only iteration
  const n = 4;
  const layout: BatchLayout = { images, instancesPerImage: 2, iterations: r, promptTokens: n, lowRes: 16, imgSize: 64, clickGrid, multimask: 'auto', lonePoint, refine: false, maskInput: true };
  const sampleOptions = {
    config,
    instancesPerImage: 2,
    flip: false,
    pixels: false,
    boxProbability: 0.5,
    boxJitter: 0.05,
    clicks: 2,
    maskOnlyIterations: 1,
    lonePoint,
    maskTarget: 'binary' as const,
    clickGrid,
    augment: NO_AUGMENTATION,
  };
  const samples = await Promise.all([0, 1].map((i) => prepareSample(set.images[i], 40 + i, sampleOptions)));
  for (const sample of samples) for (const inst of sample.instances) assert.deepEqual([...inst.iterations].sort(), [0, 1, 1], 'two clicks and one mask-only iteration, in some order');
  const batch = assembleBatch(samples, layout);
  // Fixed plans, so that both orders are covered: the mask-only iteration second or last.
  batch.instances.forEach((inst, i) => inst.iterations.set(i % 2 ? [1, 1, 0] : [1, 0, 1]));
  const c = config.maskDecoder.transformerDim;
  batch.feeds.embedding = normalArray(new Rng(1), images * c * 4 * 4);
  const original = Float32Array.from(batch.feeds.point_coords as Float32Array);

  const options: TrainGraphOptions = {
    config,
    ultrasam: false,
    images,
    instancesPerImage: 2,
    iterations: r,
    promptTokens: n,
    source: 'cached',
    freezeEncoder: true,
    maskInput: true,
    emptySlots: true,
    refine: false,
  };
  const params = initSamWeights(config, 2);
  const simulator = await ClickSimulator.create(options, layout, 1);
  await simulator.simulate(batch, params);
  await simulator.release();

  // What the model predicts for every slot's prompt as the batch now holds them (all passes at once).
  const forward = await Runtime.create(serialize(buildForwardGraph(options), { params: 'inputs' }), { threads: 1 });
  const feeds: Record<string, Float32Array | BigInt64Array> = {};
  for (const input of forward.signature.inputs) feeds[input.name] = input.param ? params.get(input.name)! : batch.feeds[input.name];
  const out = await forward.run(feeds);
  await forward.release();
  const logits = out.low_res_logits.data as Float32Array;
  const iou = out.iou_predictions.data as Float32Array;
  const labels = batch.feeds.point_labels as Float32Array;
  const coords = batch.feeds.point_coords as Float32Array;
  const has = batch.feeds.has_mask_input as Float32Array;
  const maskInput = batch.feeds.mask_input as Float32Array;
  const candidates = batch.feeds.candidates as Float32Array;
  const clicksOf = (slot: number) => Array.from(labels.subarray(slot * n + 2, (slot + 1) * n)).filter((l) => l !== -2).length;

  let clicks = 0;
  for (const [index, inst] of batch.instances.entries()) {
    const singleOutput = samples[Math.floor(index / 2)].instances[index % 2]?.singleOutput ?? false;
    assert.equal(has[inst.first], 0, 'the first pass has no mask prompt');
    assert.deepEqual(coords.subarray(inst.first * n * 2, inst.first * n * 2 + 4), original.subarray(inst.first * n * 2, inst.first * n * 2 + 4));
    for (let pass = 1; pass < r; pass++) {
      const slot = inst.first + pass;
      const previous = slot - 1;
      // Supervised: outputs 1–3 for a lone point (output 0 where drawn for it under the 'single' rule), else output 0.
      const supervised = inst.singlePoint && pass === 1 && !singleOutput ? [1, 2, 3] : [0];
      assert.deepEqual(
        Array.from(candidates.subarray(previous * 4, previous * 4 + 4)),
        [0, 1, 2, 3].map((j) => (supervised.includes(j) ? 1 : 0)),
      );
      // Kept (what a user is shown): the best predicted IoU among 1–3 for a lone point under SAM's rule, else output 0.
      const outputs = inst.singlePoint && pass === 1 && lonePoint === 'candidates' ? [1, 2, 3] : [0];
      const best = outputs.reduce((a, j) => (iou[previous * 4 + j] > iou[previous * 4 + a] ? j : a));
      const chosen = logits.subarray((previous * 4 + best) * 256, (previous * 4 + best + 1) * 256);
      assert.equal(has[slot], 1);
      const fed = maskInput.subarray(slot * 256, (slot + 1) * 256);
      for (let i = 0; i < 256; i++) assert.ok(Math.abs(fed[i] - chosen[i]) < 1e-4, `pass ${pass}: the mask prompt is the previous prediction (cell ${i})`);
      // The prompt tokens before this pass's click are the previous pass's.
      assert.deepEqual(coords.subarray(previous * n * 2, previous * n * 2 + 4 + 2 * clicksOf(previous)), coords.subarray(slot * n * 2, slot * n * 2 + 4 + 2 * clicksOf(previous)));
      if (!inst.real || inst.iterations[pass - 1] === 0) {
        assert.equal(clicksOf(slot), clicksOf(previous), `pass ${pass} adds no click (mask-only iteration or padding instance)`);
        continue;
      }
      const expected = clickGrid === 'cells' ? expectedCellClick(chosen, inst) : expectedFrameClick(chosen, inst);
      if (!expected) {
        assert.equal(clicksOf(slot), clicksOf(previous));
        continue;
      }
      const token = slot * n + 2 + clicksOf(previous);
      assert.equal(clicksOf(slot), clicksOf(previous) + 1);
      assert.deepEqual([coords[2 * token], coords[2 * token + 1], labels[token]], [expected.x, expected.y, expected.label]);
      // The click agrees with the target: positive on the object, negative off it.
      assert.equal(labels[token], expected.truth);
      clicks++;
    }
  }
  assert.ok(clicks >= 4, `an untrained model makes errors to correct (${clicks} clicks)`);
}

interface ExpectedClick {
  /** Input-frame coordinates. */
  x: number;
  y: number;
  label: number;
  /** The target where the click lands. */
  truth: number;
}

/** The click on the 16 × 16 grid of a 64-pixel model: cells against the logits' signs, the padding's cells background. */
function expectedCellClick(logits: Float32Array, inst: InstanceSlot): ExpectedClick | null {
  const [rows, cols] = inst.validCells;
  const predicted = new Uint8Array(256);
  for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) predicted[y * 16 + x] = logits[y * 16 + x] > 0 ? 1 : 0;
  const click = nextClick(predicted, inst.target, 16, 16);
  return click && { x: (click.x + 0.5) * 4, y: (click.y + 0.5) * 4, label: click.positive ? 1 : 0, truth: inst.target[click.y * 16 + click.x] };
}

/** The click on the input frame: the image's part of the 64 × 64 mask against the logits as the predictor upsamples them for that image. */
function expectedFrameClick(logits: Float32Array, inst: InstanceSlot): ExpectedClick | null {
  const [h, w] = inst.inputSize;
  assert.ok(inst.input && inst.input.length === 64 * 64, 'the instance carries its input-frame mask');
  const predicted = postprocessMasks(logits, 1, [16, 16], { imgSize: 64, inputSize: [h, w], originalSize: [h, w] })[0];
  const target = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) target[y * w + x] = inst.input[y * 64 + x];
  const click = nextClick(predicted, target, w, h);
  return click && { x: click.x + 0.5, y: click.y + 0.5, label: click.positive ? 1 : 0, truth: target[click.y * w + click.x] };
}

test('training with interactive iterations and the refinement pass runs', async () => {
  const { dir: work, cleanup: removeWork } = tempDir('clicks');
  try {
    const result = await train(tinyRun(work, { steps: 4, prompts: { clicks: 2, maskOnlyIterations: 1 }, refine: true }));
    const log = new RunLog(result.files.log).read();
    assert.equal(log.length, 4);
    for (const e of log) {
      assert.ok(Number.isFinite(e.loss) && Number.isFinite(e['refine.dice']), `step ${e.step}: ${JSON.stringify(e)}`);
      // The total is both passes' losses.
      const first = 20 * e.focal + e.dice + e.iou_mse;
      const second = 20 * e['refine.focal'] + e['refine.dice'] + e['refine.iou_mse'];
      assert.ok(Math.abs(e.loss - first - second) < 1e-4 * e.loss, `step ${e.step}: ${e.loss} vs ${first} + ${second}`);
    }
    // SAM's rule: nothing recorded, the predictor keeps the candidates for a lone point.
    assert.equal(await predictorLonePoint(result.files.weights), 'candidates');
  } finally {
    removeWork();
  }
});

test("a run under the 'single' lone-point rule trains, and its weights record the rule for the predictor", async () => {
  const { dir: work, cleanup: removeWork } = tempDir('clicks-single');
  try {
    const result = await train(tinyRun(work, { steps: 3, prompts: { boxProbability: 0, clicks: 2, maskOnlyIterations: 1 }, lonePoint: 'single' }));
    for (const e of new RunLog(result.files.log).read()) assert.ok(Number.isFinite(e.loss), `step ${e.step}: ${JSON.stringify(e)}`);
    assert.equal(loadSamWeights(result.files.weights).metadata.get(LONE_POINT_METADATA_KEY), 'single');
    assert.equal(await predictorLonePoint(result.files.weights), 'single');
  } finally {
    removeWork();
  }
});

/** A run of the tiny model from scratch on the synthetic corpus, 2 images × 2 instances per step, 1 thread. */
function tinyRun(out: string, over: Record<string, unknown>) {
  return validateRunConfig(
    mergeConfig(DEFAULTS as unknown as Record<string, unknown>, {
      data: [{ coco: corpus.coco }],
      model: config,
      init: 'scratch',
      out,
      batch: { images: 2, instances: 2 },
      threads: 1,
      workers: 0,
      ...over,
    }),
  );
}

/** The lone-point rule the predictor reads from a weights file. */
async function predictorLonePoint(weights: string) {
  const predictor = await SamPredictor.load(weights, { threads: 1 });
  try {
    return predictor.lonePoint;
  } finally {
    await predictor.release();
  }
}

test('a model with a pixel branch trains with corrective clicks: the branch learns, the weights record it, cached embeddings are refused', async () => {
  const { dir: work, cleanup: removeWork } = tempDir('clicks-fine');
  try {
    const fine = { ...config, maskDecoder: { ...config.maskDecoder, fineChans: 4 } };
    // The run's own starting point (from scratch, its seed).
    const start = initSamWeights(fine, 5);
    const result = await train(tinyRun(work, { model: fine, seed: 5, steps: 3, prompts: { clicks: 2, maskOnlyIterations: 1 } }));
    for (const e of new RunLog(result.files.log).read()) assert.ok(Number.isFinite(e.loss), `step ${e.step}: ${JSON.stringify(e)}`);
    const predictor = await SamPredictor.load(result.files.weights, { threads: 1 });
    try {
      assert.equal(predictor.config.maskDecoder.fineChans, 4);
      const stem = predictor.values.get('mask_decoder.fine_stem.0.weight')!;
      assert.ok(
        stem.some((v, i) => v !== start.get('mask_decoder.fine_stem.0.weight')![i]),
        'the stem moved',
      );
    } finally {
      await predictor.release();
    }
    assert.throws(() => planRun(tinyRun(join(work, 'cached'), { model: fine, steps: 1, cacheEmbeddings: true })), /cacheEmbeddings cannot train .*pixel branch/);
  } finally {
    removeWork();
  }
});

test('a model with a click head trains with corrective clicks and the refinement pass: its last layer moves from zero, the weights record it', async () => {
  const { dir: work, cleanup: removeWork } = tempDir('clicks-head');
  try {
    const headed = { ...config, maskDecoder: { ...config.maskDecoder, clickHead: 4 } };
    assert.ok(
      initSamWeights(headed, 5)
        .get('mask_decoder.click_head.4.weight')!
        .every((v) => v === 0),
    );
    const result = await train(tinyRun(work, { model: headed, seed: 5, steps: 3, prompts: { clicks: 2, maskOnlyIterations: 1 }, refine: true }));
    for (const e of new RunLog(result.files.log).read()) assert.ok(Number.isFinite(e.loss) && Number.isFinite(e['refine.dice']), `step ${e.step}: ${JSON.stringify(e)}`);
    const predictor = await SamPredictor.load(result.files.weights, { threads: 1 });
    try {
      assert.equal(predictor.config.maskDecoder.clickHead, 4);
      assert.ok(
        predictor.values.get('mask_decoder.click_head.4.weight')!.some((v) => v !== 0),
        'the last layer moved',
      );
    } finally {
      await predictor.release();
    }
  } finally {
    removeWork();
  }
});

test('a model with the mask skip trains with corrective clicks and the refinement pass: its gains move from zero, the weights record it', async () => {
  const { dir: work, cleanup: removeWork } = tempDir('clicks-skip');
  try {
    const skip = { ...config, maskDecoder: { ...config.maskDecoder, maskSkip: true } };
    assert.ok(
      initSamWeights(skip, 5)
        .get('mask_decoder.mask_skip')!
        .every((v) => v === 0),
    );
    const result = await train(tinyRun(work, { model: skip, seed: 5, steps: 3, prompts: { clicks: 2, maskOnlyIterations: 1 }, refine: true }));
    for (const e of new RunLog(result.files.log).read()) assert.ok(Number.isFinite(e.loss) && Number.isFinite(e['refine.dice']), `step ${e.step}: ${JSON.stringify(e)}`);
    const predictor = await SamPredictor.load(result.files.weights, { threads: 1 });
    try {
      assert.equal(predictor.config.maskDecoder.maskSkip, true);
      assert.ok(
        predictor.values.get('mask_decoder.mask_skip')!.some((v) => v !== 0),
        'the gains moved',
      );
    } finally {
      await predictor.release();
    }
  } finally {
    removeWork();
  }
});
