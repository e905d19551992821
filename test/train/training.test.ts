// Training end to end on a tiny synthetic corpus: from scratch the loss falls; a run killed
// mid-way and resumed reproduces the uninterrupted run's losses exactly; decoder-only training on
// cached embeddings runs and lowers the loss; the weights load in the predictor.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { SamPredictor } from '../../src/model/predictor.js';
import { RunLog } from '../../src/train/log.js';
import { train } from '../../src/train/run.js';
import { DEFAULTS, type RunConfig, mergeConfig, validateRunConfig } from '../../src/train/run_config.js';
import { type SyntheticCorpus, tinyTrainConfig, writeSyntheticCoco } from './synthetic.js';
import { tempDir } from '../helpers/temp_dir.js';

let corpus: SyntheticCorpus;
let work: string;
let removeWork: () => void;
before(async () => {
  corpus = await writeSyntheticCoco(16, 48, 40, 2);
  ({ dir: work, cleanup: removeWork } = tempDir('train-runs'));
});
after(() => {
  corpus.cleanup();
  removeWork();
});

function runConfig(out: string, over: Record<string, unknown> = {}): RunConfig {
  return validateRunConfig(
    mergeConfig(DEFAULTS as unknown as Record<string, unknown>, {
      data: [{ coco: corpus.coco }],
      model: tinyTrainConfig(),
      init: 'scratch',
      out: join(work, out),
      steps: 60,
      batch: { images: 4, instances: 2 },
      optimizer: { lr: 2e-3, clipNorm: 1 },
      schedule: { type: 'constant', warmupSteps: 5 },
      threads: 1,
      workers: 0,
      seed: 3,
      ...over,
    }),
  );
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('a tiny model trained from scratch lowers the loss; its weights load in the predictor', async () => {
  const config = runConfig('scratch');
  const result = await train(config);
  const losses = new RunLog(result.files.log).read().map((e) => e.loss);
  assert.equal(losses.length, 60);
  const first = mean(losses.slice(0, 5));
  const last = mean(losses.slice(-10));
  console.log(`tiny from scratch: loss ${first.toFixed(3)} → ${last.toFixed(3)}, ${result.imagesPerSecond.toFixed(1)} images/s`);
  assert.ok(last < 0.7 * first, `loss ${first} → ${last}`);
  assert.ok(existsSync(result.files.state));
  const curve = await sharp(result.files.curve).metadata();
  assert.deepEqual([curve.format, curve.width, curve.height], ['png', 800, 400], 'the loss curve is a PNG');

  const predictor = await SamPredictor.load(result.files.weights);
  assert.deepEqual(predictor.config, tinyTrainConfig());
  assert.equal(predictor.ultrasam, false);
  await predictor.setImage(join(corpus.dir, 'images/im1.png'));
  const prediction = await predictor.predict({ box: [4, 4, 40, 30] });
  assert.equal(prediction.masks[0].length, 48 * 40);
  await predictor.release();
});

test("iouOutputs 'candidates' reaches the step's loss: same weights and batch, the same mask terms, another IoU term", async () => {
  const steps = 2;
  const log = async (name: string, iouOutputs?: string) => new RunLog((await train(runConfig(name, { steps, ...(iouOutputs ? { iouOutputs } : {}) }))).files.log).read()[0];
  const [reference, explicit, all] = [await log('iou-default'), await log('iou-best', 'best'), await log('iou-candidates', 'candidates')];
  assert.equal(explicit.iou_mse, reference.iou_mse, "'best' is the default");
  assert.equal(all.focal, reference.focal);
  assert.equal(all.dice, reference.dice);
  assert.notEqual(all.iou_mse, reference.iou_mse, 'the first step scores the IoU head differently');
});

test("maskTarget 'input' reaches the step's loss: from the same weights and batch, focal and dice of the upsampled logits; a short run lowers it", async () => {
  const run = async (name: string, over: Record<string, unknown>) => new RunLog((await train(runConfig(name, over))).files.log).read();
  const [binary] = await run('target-binary', { steps: 1 });
  const input = await run('target-input', { steps: 30, maskTarget: 'input' });
  assert.notEqual(input[0].focal, binary.focal, 'the first step scores the input frame');
  assert.notEqual(input[0].dice, binary.dice);
  assert.ok(Math.abs(input[0].dice - binary.dice) < 0.2, `dice ${binary.dice} on the cells, ${input[0].dice} on the input frame: the same masks seen finer`);
  const losses = input.map((e) => e.loss);
  assert.ok(mean(losses.slice(-5)) < 0.8 * mean(losses.slice(0, 5)), `loss ${mean(losses.slice(0, 5))} → ${mean(losses.slice(-5))}`);
});

test('--resume after a kill reproduces the uninterrupted run exactly', async () => {
  const steps = 8;
  const whole = await train(runConfig('whole', { steps, checkpointEvery: 3 }));
  const reference = new RunLog(whole.files.log).read();

  const config = runConfig('killed', { steps, checkpointEvery: 3 });
  const file = join(work, 'killed.json');
  writeFileSync(file, JSON.stringify(config));
  const child = fileURLToPath(new URL('./run_child.ts', import.meta.url));
  const log = new RunLog(join(config.out, 'log.jsonl'));
  // Kill the child once it has logged step 4: its last checkpoint is then the one after step 2 (or 5).
  await new Promise<void>((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setInterval(() => {
      if (existsSync(log.path) && log.read().some((e) => e.step >= 4)) proc.kill('SIGKILL');
    }, 20);
    proc.on('exit', (code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the child was to be killed, but it exited with ${code}: ${stderr}`));
    });
  });
  const beforeResume = log.read();
  assert.ok(beforeResume.length >= 5 && beforeResume.length < steps, `killed after ${beforeResume.length} steps`);

  const resumed = await train(config, { resume: true });
  assert.ok(resumed.startStep === 3 || resumed.startStep === 6, `resumed from the checkpoint at step ${resumed.startStep}`);
  const after = log.read();
  assert.deepEqual(
    after.map((e) => e.step),
    Array.from({ length: steps }, (_, i) => i),
    'one log entry per step',
  );
  for (let s = resumed.startStep; s < steps; s++) {
    for (const key of ['loss', 'grad_norm', 'lr', 'focal', 'dice', 'iou_mse', 'true_iou']) {
      assert.equal(after[s][key], reference[s][key], `step ${s} ${key}: resumed ${after[s][key]}, uninterrupted ${reference[s][key]}`);
    }
  }
  const resumedWeights = await SamPredictor.load(join(config.out, 'weights.safetensors'));
  const wholeWeights = await SamPredictor.load(whole.files.weights);
  for (const [key, value] of wholeWeights.values) assert.deepEqual(resumedWeights.values.get(key), value, `final ${key}`);
  await assert.rejects(train(config), /already holds a run/);
  await assert.rejects(train({ ...config, seed: 4 }, { resume: true }), /'seed' differs/);
});

test('decoder-only training on cached embeddings runs, lowers the loss and leaves the encoder as it was', async () => {
  const start = await train(runConfig('start', { steps: 2 }));
  const config = runConfig('cached', { init: start.files.weights, model: undefined, cacheEmbeddings: true, steps: 40, optimizer: { lr: 3e-3, clipNorm: 1 } });
  const result = await train(config);
  const losses = new RunLog(result.files.log).read().map((e) => e.loss);
  const first = mean(losses.slice(0, 5));
  const last = mean(losses.slice(-10));
  console.log(`cached embeddings: loss ${first.toFixed(3)} → ${last.toFixed(3)}, ${result.imagesPerSecond.toFixed(1)} images/s`);
  assert.ok(last < 0.8 * first, `loss ${first} → ${last}`);
  // One file per image (plain and mirrored embeddings) and the manifest.
  assert.equal(readdirSync(join(config.out, 'embeddings')).filter((f) => f.endsWith('.f32')).length, 16);
  const before = await SamPredictor.load(start.files.weights);
  const afterTraining = await SamPredictor.load(result.files.weights);
  // The encoder and the Fourier table are fixed; the mask path of the prompt encoder is unused
  // without clicks or refinement; everything else trains.
  const fixed = /^image_encoder\.|positional_encoding_gaussian_matrix|mask_downscaling/;
  for (const [key, value] of before.values) {
    const changed = value.some((v, i) => v !== afterTraining.values.get(key)![i]);
    assert.equal(changed, !fixed.test(key), `${key} ${changed ? 'changed' : 'unchanged'}`);
  }
});
