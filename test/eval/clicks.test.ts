import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstClick, nextClick } from '../../src/eval/clicks.js';
import { interiorPixel, squaredDistanceToOutside } from '../../src/eval/distance.js';
import { seededRandom } from '../../src/data/random.js';
import { rectMask } from './helpers.js';

/** Brute force: squared distance to the nearest pixel outside the region, the image border ring counted as outside. */
function bruteForce(region: Uint8Array, w: number, h: number): Float64Array {
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!region[y * w + x]) continue;
      let best = Infinity;
      for (let v = -1; v <= h; v++) {
        for (let u = -1; u <= w; u++) {
          const outside = u < 0 || v < 0 || u >= w || v >= h || !region[v * w + u];
          if (outside) best = Math.min(best, (u - x) ** 2 + (v - y) ** 2);
        }
      }
      out[y * w + x] = best;
    }
  }
  return out;
}

test('the distance transform equals brute force on random masks', () => {
  const random = seededRandom(42);
  for (const [w, h, p] of [
    [13, 9, 0.7],
    [7, 16, 0.9],
    [20, 20, 0.5],
    [1, 5, 1],
  ] as const) {
    const region = Uint8Array.from({ length: w * h }, () => (random() < p ? 1 : 0));
    assert.deepEqual(squaredDistanceToOutside(region, w, h), bruteForce(region, w, h), `${w}×${h}`);
  }
});

test('interior pixel of a rectangle: distance 3, first in raster order', () => {
  // A 10×6 rectangle at (2, 3): columns 4..9 are ≥ 3 from the sides, rows 5..6 are 3 from top or bottom.
  assert.deepEqual(interiorPixel(rectMask(20, 12, [[2, 3, 10, 6]]), 20, 12), { x: 4, y: 5, distance: 3 });
  assert.equal(interiorPixel(new Uint8Array(4), 2, 2), undefined);
});

test('first click: positive at the object interior', () => {
  assert.deepEqual(firstClick(rectMask(20, 12, [[2, 3, 10, 6]]), 20, 12), { x: 4, y: 5, label: 1 });
  // The thick part of an L-shaped object wins over the thin arm.
  const l = rectMask(30, 30, [
    [0, 0, 30, 2],
    [10, 10, 11, 11],
  ]);
  assert.deepEqual(firstClick(l, 30, 30), { x: 15, y: 15, label: 1 });
  assert.throws(() => firstClick(new Uint8Array(4), 2, 2), /empty/);
});

test('next click: positive in the largest missed region, negative in the largest false one', () => {
  const gt = rectMask(20, 12, [[2, 3, 10, 6]]);
  // Prediction = left half: the missed right half (columns 7..11, rows 3..8) has its interior at (9, 5).
  assert.deepEqual(nextClick(gt, rectMask(20, 12, [[2, 3, 5, 6]]), 20, 12), { x: 9, y: 5, label: 1, regionSize: 30 });
  // Prediction = ground truth + a 5×5 false blob at (14, 2) and a 1-pixel miss: the blob wins, centre (16, 4).
  const pred = rectMask(20, 12, [
    [2, 3, 10, 6],
    [14, 2, 5, 5],
  ]);
  pred[3 * 20 + 2] = 0;
  assert.deepEqual(nextClick(gt, pred, 20, 12), { x: 16, y: 4, label: 0, regionSize: 25 });
  // Equal sizes: the missed region (positive) wins the tie.
  const tie = rectMask(20, 12, [[3, 3, 9, 6]]); // misses column 2 (6 px)
  for (let y = 0; y < 6; y++) tie[y * 20 + 15] = 1; // 6 false pixels at column 15
  assert.equal(nextClick(gt, tie, 20, 12)!.label, 1);
  assert.equal(nextClick(gt, gt, 20, 12), undefined);
});
