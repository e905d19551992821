import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupBy, maskOverlap, mean, median, overlapStats } from '../../src/eval/metrics.js';
import { rectMask } from './helpers.js';

test('a perfect mask has Dice 1 and IoU 1', () => {
  const gt = rectMask(20, 15, [[3, 4, 7, 5]]);
  const o = maskOverlap(gt, gt);
  assert.equal(o.dice, 1);
  assert.equal(o.iou, 1);
  assert.equal(o.intersection, 35);
});

test('a 10×10 square shifted by (2, 3) pixels: Dice 0.56, IoU 56/144', () => {
  // Overlap 8 × 7 = 56 pixels; |P| = |G| = 100: Dice = 2·56 / 200 = 0.56, IoU = 56 / (200 − 56).
  const gt = rectMask(30, 30, [[5, 5, 10, 10]]);
  const pred = rectMask(30, 30, [[7, 8, 10, 10]]);
  const o = maskOverlap(pred, gt);
  assert.equal(o.intersection, 56);
  assert.equal(o.dice, 0.56);
  assert.equal(o.iou, 56 / 144);
});

test('a square shifted by one pixel: Dice (w − 1)/w, IoU (w − 1)/(w + 1)', () => {
  for (const w of [4, 10, 17]) {
    const gt = rectMask(40, 20, [[2, 2, w, 6]]);
    const pred = rectMask(40, 20, [[3, 2, w, 6]]);
    const o = maskOverlap(pred, gt);
    assert.ok(Math.abs(o.dice - (w - 1) / w) < 1e-15, `w ${w}: Dice ${o.dice}`);
    assert.ok(Math.abs(o.iou - (w - 1) / (w + 1)) < 1e-15, `w ${w}: IoU ${o.iou}`);
  }
});

test('disjoint masks score 0; an empty prediction scores 0; two empty masks score 1', () => {
  const gt = rectMask(10, 10, [[0, 0, 3, 3]]);
  assert.deepEqual([maskOverlap(rectMask(10, 10, [[5, 5, 3, 3]]), gt).dice, maskOverlap(new Uint8Array(100), gt).iou], [0, 0]);
  assert.equal(maskOverlap(new Uint8Array(4), new Uint8Array(4)).dice, 1);
  assert.throws(() => maskOverlap(new Uint8Array(4), new Uint8Array(5)), /4 pixels, ground truth 5/);
});

test('mean and median (numpy semantics: the mean of the two middle values)', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.ok(Number.isNaN(median([])));
  const s = overlapStats([
    { dice: 1, iou: 1 },
    { dice: 0.5, iou: 0.25 },
    { dice: 0, iou: 0 },
  ]);
  assert.deepEqual(s, { n: 3, dice_mean: 0.5, dice_median: 0.5, iou_mean: 1.25 / 3, iou_median: 0.25 });
  assert.deepEqual(
    [...groupBy(['b1', 'a1', 'b2'], (x) => x[0])],
    [
      ['a', ['a1']],
      ['b', ['b1', 'b2']],
    ],
  );
});
