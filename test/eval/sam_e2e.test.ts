// The plumbing with the real SamPredictor: the parity fixture's small random SAM (../shared) on two
// real ultrasound frames, through evaluate() and through `ultrasam eval --json --out`. The model is
// random, so only the shape and sanity of the numbers are checked, not their quality.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../cli/in_process.js';
import { registerEvalCommands } from '../../src/cli/eval.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { summarize } from '../../src/eval/summary.js';
import { readImage } from '../../src/image/read.js';
import { encodePng, writeFileAtomic } from '../../src/image/write.js';
import { SamPredictor } from '../../src/model/predictor.js';
import { writeSyntheticCorpus } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';
import { sharedPath, skipWithoutShared } from '../helpers/shared.js';

const FIXTURE = sharedPath('fixtures/sam-parity/');
const skip = skipWithoutShared('SAM parity fixture', 'fixtures/sam-parity/sam_weights.pth');

/** Two 500×315 frames (the fixture image and its mirror) with hand-made instances, as a COCO corpus. */
async function corpus(dir: string) {
  const made = await writeSyntheticCorpus(
    dir,
    [
      {
        name: 'DDTI__1.png',
        width: 500,
        height: 315,
        instances: [
          { rect: [180, 100, 120, 90], category: 1 },
          { rect: [40, 200, 60, 40], category: 1 },
        ],
      },
      { name: 'DDTI__2.png', width: 500, height: 315, instances: [{ rect: [200, 120, 100, 80], category: 1 }] },
    ],
    [{ id: 1, name: 'nodule' }],
  );
  // Replace the synthetic pixels with the real frame (and its mirror image).
  const frame = await readImage(join(FIXTURE, 'image.png'));
  const mirrored = new Uint8Array(frame.data.length);
  const c = frame.channels;
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) {
      for (let k = 0; k < c; k++) mirrored[(y * frame.width + x) * c + k] = frame.data[(y * frame.width + frame.width - 1 - x) * c + k];
    }
  }
  await writeFileAtomic(join(dir, 'images', 'DDTI__1.png'), await encodePng(frame));
  await writeFileAtomic(join(dir, 'images', 'DDTI__2.png'), await encodePng({ ...frame, data: mirrored }));
  return made.cocoPath;
}

test('evaluate() runs the real predictor on the fixture weights (box and clicks:2)', { skip }, async () => {
  const { dir, cleanup } = tempDir('sam');
  const predictor = await SamPredictor.load(join(FIXTURE, 'sam_weights.pth'), { decoderHeads: 4, threads: 2 });
  try {
    const cocoPath = await corpus(dir);
    for (const prompt of [{ kind: 'box' } as const, { kind: 'clicks', clicks: 2 } as const]) {
      const s = summarize(await evaluate(predictor, { coco: cocoPath, prompt }));
      assert.equal(s.n_instances, 3);
      assert.ok(s.dice_mean >= 0 && s.dice_mean <= 1 && s.iou_mean >= 0 && s.iou_mean <= s.dice_mean + 1e-12, `dice ${s.dice_mean} iou ${s.iou_mean}`);
      assert.ok(s.ap.AP !== null && s.ap.AP >= 0 && s.ap.AP <= 1);
      if (prompt.kind === 'clicks') assert.equal(s.clicks?.mean_iou_per_click.length, 2);
    }
  } finally {
    await predictor.release();
    cleanup();
  }
});

test('`ultrasam eval --json --out` prints one JSON object and writes the report', { skip }, async () => {
  const { dir, cleanup } = tempDir('cli');
  try {
    const cocoPath = await corpus(dir);
    const { lines: printed } = await runCli(registerEvalCommands, [
      'eval',
      '--coco',
      cocoPath,
      '--images',
      join(dir, 'images'),
      '--weights',
      join(FIXTURE, 'sam_weights.pth'),
      '--decoder-heads',
      '4',
      '--threads',
      '2',
      '--prompt',
      'point',
      '--json',
      '--out',
      join(dir, 'out'),
      '--overlays',
      '1',
    ]);
    assert.equal(printed.length, 1);
    const json = JSON.parse(printed[0]);
    assert.equal(json.n_instances, 3);
    assert.equal(json.prompt, 'point');
    assert.ok(typeof json.dice_mean === 'number' && typeof json.iou_mean === 'number');
    assert.deepEqual(Object.keys(json.per_dataset), ['DDTI']);
    assert.deepEqual(Object.keys(json.per_category), ['nodule']);
    const report = JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8'));
    assert.equal(report.dice_mean, json.dice_mean);
    assert.ok(existsSync(join(dir, 'out', 'report.md')) && existsSync(join(dir, 'out', report.best[0].overlay)));
  } finally {
    cleanup();
  }
});
