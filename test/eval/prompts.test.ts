import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceRandom, jitterBox, maskBox, maskCentroid, parsePromptSpec, promptSpecName, singleShotPrompt } from '../../src/eval/prompts.js';
import { rectMask } from './helpers.js';

test('centroid of a rectangle: the mean pixel index, inside', () => {
  // Columns 3..9 → mean 6; rows 4..8 → mean 6.
  assert.deepEqual(maskCentroid(rectMask(20, 20, [[3, 4, 7, 5]]), 20, 20), { x: 6, y: 6, inside: true });
  // Even sizes give half-pixel centroids: columns 2..5 → 3.5, rows 1..2 → 1.5.
  assert.deepEqual(maskCentroid(rectMask(8, 8, [[2, 1, 4, 2]]), 8, 8), { x: 3.5, y: 1.5, inside: true });
});

test('centroid of non-convex masks is used as is and flagged when off the mask', () => {
  // L: (0..3, 0) and (0, 1..3): mean x = 6/7, mean y = 6/7; the pixel holding (6/7 + .5, 6/7 + .5) is (1, 1), background.
  const l = rectMask(6, 6, [
    [0, 0, 4, 1],
    [0, 1, 1, 3],
  ]);
  const c = maskCentroid(l, 6, 6);
  assert.ok(Math.abs(c.x - 6 / 7) < 1e-12 && Math.abs(c.y - 6 / 7) < 1e-12);
  assert.equal(c.inside, false);
  // A ring (5×5 square without its centre): centroid exactly (2, 2), the hole.
  const ring = rectMask(5, 5, [[0, 0, 5, 5]]);
  ring[2 * 5 + 2] = 0;
  assert.deepEqual(maskCentroid(ring, 5, 5), { x: 2, y: 2, inside: false });
  const p = singleShotPrompt({ kind: 'point' }, ring, 5, 5, () => 0);
  assert.deepEqual(p, { prompt: { points: [[2, 2]], labels: [1] }, centroidInside: false });
});

test('tight box is [x, y, x + w, y + h] (COCO bbox corners, one past the last pixel)', () => {
  assert.deepEqual(maskBox(rectMask(20, 20, [[3, 4, 7, 5]]), 20, 20), [3, 4, 10, 9]);
  assert.deepEqual(
    maskBox(
      rectMask(6, 6, [
        [0, 0, 4, 1],
        [0, 1, 1, 3],
      ]),
      6,
      6,
    ),
    [0, 0, 4, 4],
  );
  const single = new Uint8Array(9);
  single[4] = 1;
  assert.deepEqual(maskBox(single, 3, 3), [1, 1, 2, 2]);
  assert.throws(() => maskBox(new Uint8Array(9), 3, 3), /empty mask/);
  assert.deepEqual(
    singleShotPrompt({ kind: 'box' }, rectMask(20, 20, [[3, 4, 7, 5]]), 20, 20, () => 0),
    { prompt: { box: [3, 4, 10, 9] } },
  );
});

test('box-jitter: each corner within ±5 % of the box size, seeded per annotation, clamped to the image', () => {
  // Known draws: u = 2r − 1 for r = 0.75, 0.25, 1, 0 → +0.5, −0.5, +1, −1 (× 5 % × size).
  const draws = [0.75, 0.25, 1, 0];
  const box = jitterBox([10, 20, 50, 40], 0.05, () => draws.shift()!, 100, 100);
  assert.deepEqual(box, [10 + 0.5 * 0.05 * 40, 20 + 1 * 0.05 * 20, 50 - 0.5 * 0.05 * 40, 40 - 1 * 0.05 * 20]);
  const clamped = jitterBox([0, 0, 10, 10], 0.05, () => 0, 10, 10); // u = −1: x0, y0 → −0.5, clamped to 0
  assert.deepEqual(clamped, [0, 0, 9.5, 9.5]);
  const mask = rectMask(64, 64, [[10, 10, 30, 20]]);
  const a = singleShotPrompt({ kind: 'box-jitter', fraction: 0.05 }, mask, 64, 64, instanceRandom(7, 3)).prompt.box!;
  const again = singleShotPrompt({ kind: 'box-jitter', fraction: 0.05 }, mask, 64, 64, instanceRandom(7, 3)).prompt.box!;
  const other = singleShotPrompt({ kind: 'box-jitter', fraction: 0.05 }, mask, 64, 64, instanceRandom(8, 3)).prompt.box!;
  assert.deepEqual(a, again);
  assert.notDeepEqual(a, other);
  const tight = [10, 10, 40, 30];
  const limits = [1.5, 1, 1.5, 1]; // 5 % of 30 and of 20
  a.forEach((v, i) => assert.ok(Math.abs(v - tight[i]) <= limits[i], `corner ${i}: ${v} vs ${tight[i]}`));
});

test('prompt specs parse and print back; bad ones are named', () => {
  for (const s of ['point', 'box', 'box-jitter', 'clicks:5']) assert.equal(promptSpecName(parsePromptSpec(s)), s);
  assert.deepEqual(parsePromptSpec('clicks:3'), { kind: 'clicks', clicks: 3 });
  assert.throws(() => parsePromptSpec('clicks:0'), /1 to 100/);
  assert.throws(() => parsePromptSpec('centre'), /unknown prompt 'centre'/);
});
