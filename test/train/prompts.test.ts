// Prompt simulation: points fall inside the mask, box corners stay within the jitter bounds, and
// the next click lands inside the largest error region, as far from its edge as possible.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/graph/random.js';
import { nextClick } from '../../src/train/error_region.js';
import { jitterBox, randomPointInMask, tightBox } from '../../src/train/prompt_sampling.js';

function rectMask(w: number, h: number, rects: [number, number, number, number][]): Uint8Array {
  const m = new Uint8Array(w * h);
  for (const [x0, y0, rw, rh] of rects) for (let y = y0; y < y0 + rh; y++) for (let x = x0; x < x0 + rw; x++) m[y * w + x] = 1;
  return m;
}

test('random points lie inside the mask and reach every mask pixel', () => {
  const w = 20;
  const h = 12;
  // An L shape: a box whose tight box is mostly background.
  const mask = rectMask(w, h, [
    [2, 2, 3, 8],
    [2, 8, 12, 2],
  ]);
  const rng = new Rng(5);
  const hits = new Map<number, number>();
  for (let i = 0; i < 4000; i++) {
    const [x, y] = randomPointInMask(mask, w, h, rng);
    const pixel = Math.floor(y) * w + Math.floor(x);
    assert.equal(mask[pixel], 1, `point (${x}, ${y}) is outside the mask`);
    assert.ok(x % 1 !== 0 || y % 1 !== 0, 'sub-pixel jitter');
    hits.set(pixel, (hits.get(pixel) ?? 0) + 1);
  }
  const pixels = mask.reduce((a, v) => a + v, 0);
  assert.equal(hits.size, pixels, 'every mask pixel is drawn');
  // Uniform over 42 pixels: about 95 draws each; none should be far off.
  for (const [p, n] of hits) assert.ok(n > 50 && n < 150, `pixel ${p} drawn ${n} times`);
  assert.throws(() => randomPointInMask(new Uint8Array(w * h), w, h, rng), /empty/);
});

test('the tight box spans the object pixels; jittered corners move at most 5 % of the box size', () => {
  const w = 30;
  const h = 20;
  const mask = rectMask(w, h, [
    [4, 3, 10, 5],
    [12, 6, 6, 10],
  ]);
  const box = tightBox(mask, w, h)!;
  assert.deepEqual(box, [4, 3, 18, 16]);
  assert.equal(tightBox(new Uint8Array(w * h), w, h), null);
  const rng = new Rng(9);
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  let maxMove = 0;
  for (let i = 0; i < 2000; i++) {
    const j = jitterBox(box, 0.05, rng);
    for (let c = 0; c < 4; c++) {
      const size = c % 2 === 0 ? bw : bh;
      const move = Math.abs(j[c] - box[c]) / size;
      assert.ok(move <= 0.05 + 1e-12, `corner ${c} moved ${move} of the box size`);
      maxMove = Math.max(maxMove, move);
    }
  }
  assert.ok(maxMove > 0.049, 'the jitter uses its whole range');
  assert.deepEqual(jitterBox(box, 0, rng), box);
});

test('a missed object gets a positive click at its centre; a spill a negative click inside the spill', () => {
  const w = 20;
  const target = rectMask(w, w, [[3, 4, 7, 7]]); // centre cell (6, 7)
  const nothing = new Uint8Array(w * w);
  const click = nextClick(nothing, target, w, w)!;
  assert.deepEqual([click.x, click.y, click.positive, click.regionSize], [6, 7, true, 49]);

  // Prediction = the object plus a 5 × 5 spill on the right: the click is negative, at the spill's centre.
  const predicted = rectMask(w, w, [
    [3, 4, 7, 7],
    [13, 2, 5, 5],
  ]);
  const spill = nextClick(predicted, target, w, w)!;
  assert.deepEqual([spill.x, spill.y, spill.positive, spill.regionSize], [15, 4, false, 25]);
  assert.equal(nextClick(target, target, w, w), null, 'no error, no click');
});

test('the largest error region wins, whatever its kind', () => {
  const w = 20;
  const target = rectMask(w, w, [[2, 2, 10, 10]]);
  // Misses a 2 × 10 strip of the object (20 cells), spills 6 × 6 outside (36 cells).
  const predicted = rectMask(w, w, [
    [2, 2, 8, 10],
    [13, 13, 6, 6],
  ]);
  const click = nextClick(predicted, target, w, w)!;
  assert.equal(click.positive, false);
  assert.equal(click.regionSize, 36);
  assert.ok(click.x >= 13 && click.x < 19 && click.y >= 13 && click.y < 19);
  // Grow the miss past the spill: now the click is positive, inside the missed part.
  const smaller = rectMask(w, w, [
    [2, 2, 4, 10],
    [13, 13, 6, 6],
  ]);
  const positive = nextClick(smaller, target, w, w)!;
  assert.equal(positive.positive, true);
  assert.ok(positive.x >= 6 && positive.x < 12 && target[positive.y * w + positive.x] && !smaller[positive.y * w + positive.x]);
});
