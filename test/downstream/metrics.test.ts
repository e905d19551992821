// Metrics checked against counts worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanStd } from '../../src/downstream/compare.js';
import { renderConfusion } from '../../src/downstream/confusion_png.js';
import { DiceAccumulator, classificationMetrics } from '../../src/downstream/metrics.js';

test('accuracy, per-class and macro F1 and the confusion matrix match a hand count', () => {
  // truth:     a a a a b b c c c c
  // predicted: a a b c b a c c c b
  const truth = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 0, 1, 2, 1, 0, 2, 2, 2, 1];
  const m = classificationMetrics(truth, predicted, ['a', 'b', 'c']);
  assert.deepEqual(m.confusion, [
    [2, 1, 1],
    [1, 1, 0],
    [0, 1, 3],
  ]);
  assert.equal(m.accuracy, 6 / 10);
  // a: P 2/3, R 2/4 → F1 4/7. b: P 1/3, R 1/2 → F1 2/5. c: P 3/4, R 3/4 → F1 3/4.
  const close = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-12, `${x} ≠ ${y}`);
  close(m.per_class.a.f1, 4 / 7);
  close(m.per_class.b.f1, 2 / 5);
  close(m.per_class.c.f1, 3 / 4);
  close(m.per_class.a.precision, 2 / 3);
  close(m.per_class.b.recall, 1 / 2);
  assert.equal(m.per_class.c.support, 4);
  close(m.macro_f1, (4 / 7 + 2 / 5 + 3 / 4) / 3);
});

test('a class never predicted and never true has F1 0 (it lowers macro-F1)', () => {
  const m = classificationMetrics([0, 0, 1], [0, 0, 1], ['a', 'b', 'c']);
  assert.equal(m.per_class.c.f1, 0);
  assert.equal(m.accuracy, 1);
  assert.ok(Math.abs(m.macro_f1 - 2 / 3) < 1e-12);
});

test('Dice per class pools pixels over images and skips invalid pixels', () => {
  const dice = new DiceAccumulator(['bg', 'x']);
  // image 1: truth 0 1 1 0, prediction 0 1 0 0 → x: 2·1/(1+2); bg: 2·2/(3+2)
  dice.add([0, 1, 0, 0], [0, 1, 1, 0]);
  // image 2: the last pixel is padding (ignored): truth 1 1 [0], prediction 1 1 [1]
  dice.add([1, 1, 1], [1, 1, 0], [1, 1, 0]);
  const r = dice.result();
  // x pooled: intersection 1 + 2 = 3; sizes (1 + 2) + (2 + 2) = 7 → 6/7. bg: 2·2 / (3 + 2) = 4/5.
  assert.ok(Math.abs(r.x! - 6 / 7) < 1e-12);
  assert.ok(Math.abs(r.bg! - 4 / 5) < 1e-12);
  assert.equal(new DiceAccumulator(['bg', 'y']).result().y, null);
});

test('mean ± std is the sample standard deviation', () => {
  const { mean, std } = meanStd([1, 2, 3, 4]);
  assert.equal(mean, 2.5);
  assert.ok(Math.abs(std - Math.sqrt(5 / 3)) < 1e-12);
  assert.deepEqual(meanStd([7]), { mean: 7, std: 0 });
});

test('the confusion PNG shades cells by row share and writes the counts', () => {
  const { data, width } = renderConfusion([
    [3, 0],
    [1, 1],
  ]);
  const pixel = (x: number, y: number) => [...data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
  // Top-left corner of each cell (no digit there): row share 1 → dark blue, 0 → white, 0.5 → middle.
  assert.deepEqual(pixel(2, 2), [30, 80, 255]);
  assert.deepEqual(pixel(52, 2), [255, 255, 255]);
  assert.deepEqual(pixel(2, 52), [143, 168, 255]);
  // The digit '3' of cell (0,0) is drawn in white ink somewhere in the cell's middle rows.
  const inkRow = Array.from({ length: 48 }, (_, x) => pixel(2 + x, 2 + 24)).filter((p) => p[0] === 255 && p[1] === 255);
  assert.ok(inkRow.length > 0);
});
