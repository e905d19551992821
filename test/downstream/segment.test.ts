// Segmentation fine-tuning on synthetic discs and squares (two categories + background).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { finetuneSegmenter } from '../../src/downstream/segment.js';
import { classifyImages, segmentImage, writeLabelPng } from '../../src/downstream/predict.js';
import { readImage } from '../../src/image/read.js';
import { tinyConfig, writeShapeCoco } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('segment');
after(cleanup);
const coco = await writeShapeCoco(join(dir, 'shapes'), 32);

test('full fine-tuning lowers the loss and reports Dice per class on the held-out patients', async () => {
  const r = await finetuneSegmenter({ coco, init: 'random', randomConfig: tinyConfig(), mode: 'full', epochs: 15, lr: 2e-3, seed: 0, threads: 1, out: join(dir, 'full') });
  console.log(`segment full: loss ${r.epochs[0].loss.toFixed(3)} → ${r.epochs.at(-1)!.loss.toFixed(3)}, Dice ${JSON.stringify(r.dice)}`);
  assert.deepEqual(r.classes, ['background', 'disc', 'square']);
  assert.equal(r.split_grouped_by, 'patient');
  assert.ok(r.epochs.at(-1)!.loss < r.epochs[0].loss * 0.6, 'the loss falls');
  assert.deepEqual(Object.keys(r.dice), r.classes);
  assert.ok(r.dice.background! > 0.85, `background Dice ${r.dice.background}`);
  assert.ok(r.dice.disc! > 0.5, `disc Dice ${r.dice.disc}`);

  const p = await segmentImage(join(dir, 'shapes', 'images', '0.png'), r.files.model, { threads: 1 });
  assert.equal(p.width, 32);
  assert.equal(p.labels.length, 32 * 32);
  assert.ok(p.areas.disc > 0, 'the disc is found on a training image');
  const out = join(dir, 'labels.png');
  await writeLabelPng(out, p);
  const back = await readImage(out);
  assert.equal(back.channels, 1);
  assert.deepEqual([...back.data], [...p.labels], 'the PNG holds the class indices');
  await assert.rejects(classifyImages([out], r.files.model), /is a segment model; use 'ultrasam predict-seg'/);
});

test('linear mode trains the head only and lowers the loss', async () => {
  const r = await finetuneSegmenter({ coco, init: 'random', randomConfig: tinyConfig(), mode: 'linear', epochs: 8, lr: 1e-2, seed: 1, threads: 1 });
  assert.ok(r.feature_seconds > 0);
  assert.ok(r.epochs.at(-1)!.loss < r.epochs[0].loss, `loss ${r.epochs[0].loss} → ${r.epochs.at(-1)!.loss}`);
  assert.ok(r.dice.background !== null && r.dice.disc !== null);
});
