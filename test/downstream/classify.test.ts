// Classification fine-tuning end to end on tiny synthetic data (32-pixel images, 2-block ViT).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { finetuneClassifier } from '../../src/downstream/classify.js';
import { loadDownstreamModel } from '../../src/downstream/model_file.js';
import { classifyImages } from '../../src/downstream/predict.js';
import { tinyConfig, writeStripeFolders } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('classify');
after(cleanup);
const data = join(dir, 'stripes');
await writeStripeFolders(data, 40);

test('full fine-tuning learns stripe orientation from a random init; the model is saved with a confusion PNG and predicts', async () => {
  const r = await finetuneClassifier({ data, init: 'random', randomConfig: tinyConfig(), mode: 'full', epochs: 20, lr: 1e-3, seed: 0, threads: 1, out: join(dir, 'full') });
  console.log(`full: macro-F1 ${r.macro_f1.toFixed(3)}, accuracy ${r.accuracy.toFixed(3)}, loss ${r.epochs[0].loss.toFixed(3)} → ${r.epochs.at(-1)!.loss.toFixed(3)}`);
  assert.deepEqual(r.classes, ['horizontal', 'vertical']);
  assert.equal(r.train_images + r.test_images, 80);
  assert.ok(r.epochs.at(-1)!.loss < r.epochs[0].loss / 3, 'the training loss falls');
  assert.ok(r.macro_f1 >= 0.85, `held-out macro-F1 ${r.macro_f1} (chance is 0.5)`);
  assert.equal(
    r.confusion.flat().reduce((a, b) => a + b, 0),
    r.test_images,
  );
  for (const c of r.classes) assert.ok(r.per_class[c].f1 > 0.8, `F1 of ${c}: ${r.per_class[c].f1}`);

  const meta = await sharp(r.files.confusion).metadata();
  assert.equal(meta.width, 2 * 48 + 3 * 2);
  const saved = loadDownstreamModel(r.files.model);
  assert.deepEqual(saved.meta.classes, r.classes);
  assert.equal(saved.meta.task, 'classify');
  assert.equal(JSON.parse(readFileSync(r.files.report, 'utf8')).macro_f1, r.macro_f1);

  const [h, v] = await classifyImages([join(data, 'horizontal', '0.png'), join(data, 'vertical', '0.png')], r.files.model, { threads: 1 });
  assert.equal(h.label, 'horizontal');
  assert.equal(v.label, 'vertical');
  assert.ok(Math.abs(h.probabilities.horizontal + h.probabilities.vertical - 1) < 1e-6);
});

test('a linear probe on the fine-tuned encoder learns, and beats the probe on a random encoder', async () => {
  const checkpoint = join(dir, 'full', 'model.safetensors');
  assert.ok(existsSync(checkpoint), 'needs the model of the previous test');
  const probe = (init: string) => finetuneClassifier({ data, init, randomConfig: tinyConfig(), mode: 'linear', epochs: 30, lr: 0.03, seed: 0, threads: 1 });
  const tuned = await probe(checkpoint);
  const random = await probe('random');
  console.log(`linear: macro-F1 ${tuned.macro_f1.toFixed(3)} on the fine-tuned encoder, ${random.macro_f1.toFixed(3)} on a random one`);
  assert.ok(tuned.feature_seconds > 0, 'linear mode computes the frozen features once');
  assert.ok(tuned.macro_f1 >= 0.85, `linear probe macro-F1 ${tuned.macro_f1}`);
  assert.ok(tuned.macro_f1 > random.macro_f1, 'the init matters for a linear probe');
});

test('the same seed gives the same result; class weights balance the loss', async () => {
  const run = () => finetuneClassifier({ data, init: 'random', randomConfig: tinyConfig(), mode: 'linear', epochs: 3, seed: 5, threads: 1, testFraction: 0.25 });
  const [a, b] = [await run(), await run()];
  assert.deepEqual(
    a.epochs.map((e) => e.loss),
    b.epochs.map((e) => e.loss),
  );
  assert.deepEqual(a.confusion, b.confusion);
  // 80 images, 20 held out (patients unknown: image-level groups).
  assert.equal(a.test_images, 20);
  assert.equal(a.split_grouped_by, 'image');
  const n = a.train_images;
  for (const c of a.classes) {
    const count = n / (2 * a.class_weights[c]);
    assert.ok(Math.abs(count - Math.round(count)) < 1e-9, `weight of ${c} is n / (K · its count)`);
  }
});
