import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clicksToReach, summarizeClicks } from '../../src/eval/noc.js';

test('clicks to reach a threshold: first click with IoU ≥ τ; K when never reached', () => {
  assert.equal(clicksToReach([0.5, 0.86, 0.95], 0.85, 3), 2);
  assert.equal(clicksToReach([0.5, 0.86, 0.95], 0.9, 3), 3);
  assert.equal(clicksToReach([0.9, 0.8], 0.9, 2), 1); // reached exactly, then lost: still 1
  assert.equal(clicksToReach([0.1, 0.2, 0.84], 0.85, 3), 3); // never: K
});

test('NoC@85/90, NoF and the mean IoU curve of synthetic click curves', () => {
  const curves = [
    [0.9, 0.95, 0.97], // NoC85 1, NoC90 1
    [0.5, 0.86, 0.91], // NoC85 2, NoC90 3
    [0.2, 0.4, 0.6], //   never: 3 and 3, a failure at both
    [0.7, 0.88, 0.88], // NoC85 2, never 90: 3, a failure at 90
  ];
  const s = summarizeClicks(curves, 3);
  assert.equal(s.noc85, (1 + 2 + 3 + 2) / 4);
  assert.equal(s.noc90, (1 + 3 + 3 + 3) / 4);
  assert.equal(s.nof85, 1);
  assert.equal(s.nof90, 2);
  assert.deepEqual(
    s.mean_iou_per_click.map((v) => Math.round(v * 1e6) / 1e6),
    [(0.9 + 0.5 + 0.2 + 0.7) / 4, (0.95 + 0.86 + 0.4 + 0.88) / 4, (0.97 + 0.91 + 0.6 + 0.88) / 4].map((v) => Math.round(v * 1e6) / 1e6),
  );
  const dice = (iou: number) => (2 * iou) / (1 + iou);
  assert.ok(Math.abs(s.mean_dice_per_click[0] - (dice(0.9) + dice(0.5) + dice(0.2) + dice(0.7)) / 4) < 1e-12);
  assert.throws(() => summarizeClicks([[0.5, 0.6]], 3), /curve 0 has 2 values, expected 3/);
});
