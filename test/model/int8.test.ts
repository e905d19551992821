// The int8-quantised encoder against fp32 on real ultrasound images (DDTI thyroid, HC18 fetal head
// from ../shared) with the bundled model's trained weights: embedding relative RMS error ≤ 3e-2 and
// masks (ground-truth box, and a point at its centre) agreeing on ≥ 99 % of pixels. `npm run
// bench:int8` measures the same on more images or other weights.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareInt8, realImages } from '../../bench/int8_accuracy.js';
import { SamPredictor, bundledModelPath } from '../../src/model/predictor.js';
import { skipWithoutShared } from '../helpers/shared.js';

const missing =
  skipWithoutShared('real ultrasound images', 'data/ultrasound/') ||
  (() => {
    try {
      bundledModelPath('ultrasam-tiny');
      return false;
    } catch (error) {
      return (error as Error).message;
    }
  })();

test('int8 encoder ≈ fp32 on DDTI and HC18 images (bundled model): embedding error ≤ 3e-2, masks agree on ≥ 99 %', { skip: missing }, async () => {
  const rows = await compareInt8((quantizeEncoder) => SamPredictor.load('ultrasam-tiny', { threads: 2, quantizeEncoder }), realImages(3));
  assert.deepEqual([...new Set(rows.map((r) => r.dataset))], ['DDTI', 'HC18']);
  for (const r of rows) {
    console.log(`${r.dataset} ${r.image.split('/').pop()}: embedding relative RMS ${r.embeddingRelRms.toExponential(2)}, masks agree ${(100 * r.maskAgreement).toFixed(3)} %`);
    assert.ok(r.embeddingRelRms > 0, 'the int8 encoder gives the fp32 embedding exactly: is it quantised at all?');
    assert.ok(r.embeddingRelRms <= 3e-2, `${r.image}: embedding error ${r.embeddingRelRms}`);
    assert.ok(r.maskAgreement >= 0.99, `${r.image}: masks agree on ${r.maskAgreement}`);
  }
});
