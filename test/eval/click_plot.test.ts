// The Dice-per-click plot: one line per dataset with a point per click, a legend entry each, and
// clear errors for nothing to draw.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clickCurveSvg, writeClickPlot } from '../../src/eval/click_plot.js';
import { tempDir } from '../helpers/temp_dir.js';

test('one polyline and one legend entry per curve, a point per click; a PNG is written', async () => {
  const curves = [
    { name: 'DDTI', dice: [0.6, 0.7, 0.75] },
    { name: 'A & B', dice: [0.8, 0.85, 0.9] },
  ];
  const svg = clickCurveSvg(curves, 'Dice <per> click');
  assert.equal(svg.match(/<polyline/g)?.length, 2);
  assert.equal(svg.match(/<circle/g)?.length, 6);
  assert.ok(svg.includes('A &amp; B') && svg.includes('Dice &lt;per&gt; click'));
  const { dir, cleanup } = tempDir('plot');
  try {
    const path = join(dir, 'clicks.png');
    await writeClickPlot(path, curves, 'clicks');
    assert.deepEqual([...readFileSync(path).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  } finally {
    cleanup();
  }
});

test('nothing to draw is an error that says so', () => {
  assert.throws(() => clickCurveSvg([], 't'), /no curves/);
  assert.throws(() => clickCurveSvg([{ name: 'x', dice: [0.5, NaN] }], 't'), /'x' has a non-finite Dice/);
});
