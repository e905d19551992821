// Sampling balanced over instance size: areas from every segmentation form, weights from each
// dataset's median smallest instance (clamped), and a data order that draws each image in
// proportion to its weight while every dataset keeps its quota.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMask, maskToRuns } from '../../src/data/rle.js';
import type { Segmentation, TrainImage } from '../../src/train/dataset.js';
import { DataOrder, quotas } from '../../src/train/order.js';
import { SIZE_WEIGHT_LIMIT, segmentationArea, sizeWeights } from '../../src/train/size_balance.js';

/** A w × h mask with an a × b rectangle of ones at the top left. */
function rectMask(w: number, h: number, a: number, b: number): Uint8Array {
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < b; y++) for (let x = 0; x < a; x++) mask[y * w + x] = 1;
  return mask;
}

test('segmentation area: compressed RLE, uncompressed counts and polygons', () => {
  const mask = rectMask(20, 10, 7, 3);
  assert.equal(segmentationArea(encodeMask(mask, 10, 20)), 21);
  assert.equal(segmentationArea({ size: [10, 20], counts: maskToRuns(mask, 10, 20) }), 21);
  // A 10 × 4 rectangle and a right triangle of legs 6 and 2, one listed clockwise.
  assert.equal(
    segmentationArea([
      [0, 0, 10, 0, 10, 4, 0, 4],
      [0, 0, 0, 2, 6, 0],
    ]),
    46,
  );
});

/** An image of the dataset whose instances are squares of the given sides on a 100 × 100 frame. */
function image(dataset: string, ...sides: number[]): TrainImage {
  const instances: Segmentation[] = sides.map((s) => [[0, 0, s, 0, s, s, 0, s]]);
  return { path: `${dataset}-${sides.join('-')}.png`, width: 100, height: 100, dataset, instances };
}

test('size weights: (median / smallest instance)^e per dataset, clamped; 1 at e = 0', () => {
  // Dataset a: smallest areas 100, 400 (two instances: the 10² counts), 1600 → median 400.
  // Dataset b: one image alone is its own median, however large.
  const images = [image('a', 10), image('a', 40, 20), image('a', 40), image('b', 80)];
  assert.deepEqual(sizeWeights(images, 0), [1, 1, 1, 1]);
  assert.deepEqual(sizeWeights(images, 0.5), [2, 1, 0.5, 1]);
  assert.deepEqual(sizeWeights(images, 1), [4, 1, 0.25, 1]);
  const tiny = [image('c', 1), image('c', 50), image('c', 50)];
  assert.equal(sizeWeights(tiny, 1)[0], SIZE_WEIGHT_LIMIT, 'a 2,500× smaller instance is clamped');
  assert.throws(() => sizeWeights(images, 1.5), /exponent must be in \[0, 1\], got 1\.5/);
});

test('a weighted data order draws each image ⌊expected⌋ or ⌈expected⌉ times within its dataset quota', () => {
  const names = [...Array(30).fill('big'), ...Array(10).fill('small')];
  // In 'big', image i weighs 1 + i mod 3 (1, 2, 3); in 'small', all equal.
  const weights = names.map((name, i) => (name === 'big' ? 1 + (i % 3) : 1));
  const [bigQuota, smallQuota] = quotas([30, 10], 40, 0.5);
  const order = new DataOrder(40, 9, names, 0.5, weights);
  for (const epoch of [0, 1]) {
    const p = Array.from(order.permutation(epoch));
    assert.equal(p.length, 40);
    const counts = new Map<number, number>();
    for (const i of p) counts.set(i, (counts.get(i) ?? 0) + 1);
    assert.equal(p.filter((i) => i < 30).length, bigQuota, 'the dataset keeps its quota');
    for (let i = 0; i < 30; i++) {
      const expected = (bigQuota * weights[i]) / 60;
      const n = counts.get(i) ?? 0;
      assert.ok(n >= Math.floor(expected) && n <= Math.ceil(expected), `image ${i}: drawn ${n} times, expected ${expected}`);
    }
    for (let i = 30; i < 40; i++) {
      const n = counts.get(i) ?? 0;
      assert.ok(n === Math.floor(smallQuota / 10) || n === Math.ceil(smallQuota / 10), `equal weights: image ${i} drawn ${n} times of ${smallQuota}`);
    }
  }
  assert.deepEqual(new DataOrder(40, 9, names, 0.5, weights).permutation(1), order.permutation(1), 'a pure function of the seed');
  assert.notDeepEqual(new DataOrder(40, 10, names, 0.5, weights).permutation(1), order.permutation(1));
  // Weights act at balance 1 too: the quotas are then the datasets' own sizes.
  const natural = Array.from(new DataOrder(40, 9, names, 1, weights).permutation(0));
  assert.equal(natural.filter((i) => i < 30).length, 30);
  assert.ok(natural.filter((i) => i < 30 && i % 3 === 2).length > natural.filter((i) => i < 30 && i % 3 === 0).length, 'heavier images more often');
  assert.throws(() => new DataOrder(3, 1, ['a', 'a', 'a'], 1, [1, 0, 1]), /image weights must be 3 positive numbers/);
  assert.throws(() => new DataOrder(3, 1, ['a', 'a', 'a'], 1, [1, 1]), /image weights must be 3 positive numbers/);
});
