import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IOU_THRESHOLDS, RECALL_THRESHOLDS, cocoMaskAp, cocoMaskApPerCategory, maskIouMatrix } from '../../src/eval/coco_ap.js';
import type { ApImageInput } from '../../src/eval/types.js';
import { rectMask } from './helpers.js';

const close = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

/** One image per instance, one ground truth each (area 2000: medium), its detection of the given IoU and score. */
function oneEach(items: { iou: number; score: number; category?: number }[]): ApImageInput[] {
  return items.map((it, i) => ({
    imageId: i + 1,
    categoryId: it.category ?? 1,
    gts: [{ id: i + 1, area: 2000, iscrowd: false }],
    dts: [{ id: i + 1, area: 2000, score: it.score }],
    ious: [[it.iou]],
  }));
}

test('thresholds are built as numpy.linspace builds them', () => {
  assert.equal(IOU_THRESHOLDS.length, 10);
  assert.equal(IOU_THRESHOLDS[0], 0.5);
  assert.equal(IOU_THRESHOLDS[9], 0.95);
  assert.equal(IOU_THRESHOLDS[8], 0.8999999999999999); // 8 · (0.45 / 9) + 0.5 in floating point, as COCOeval has it
  assert.equal(RECALL_THRESHOLDS.length, 101);
  assert.equal(RECALL_THRESHOLDS[100], 1);
});

test('all predictions perfect: AP = AP50 = AP75 = 1, AR 1', () => {
  const ap = cocoMaskAp(
    oneEach([
      { iou: 1, score: 0.3 },
      { iou: 1, score: 0.9 },
      { iou: 1, score: 0.5, category: 2 },
    ]),
  );
  for (const key of ['AP', 'AP50', 'AP75', 'APm', 'AR100'] as const) close(ap[key], 1, key);
  assert.deepEqual([ap.APs, ap.APl], [null, null]); // no ground truth in those area ranges
});

test('a known mix gives the value COCOeval gives (derived by hand)', () => {
  // Three ground truths, one detection each: d1 IoU .92 score .9, d2 IoU .40 score .8, d3 IoU .72 score .7.
  // In score order d1, d2, d3; npig = 3; recall thresholds r = 0, .01, ..., 1.
  // - t ∈ {.50 … .70} (5 thresholds): TP, FP, TP → recall 1/3, 1/3, 2/3; precision 1, 1/2, 2/3 → made
  //   monotone 1, 2/3, 2/3. r ≤ 1/3 (34 values) → 1; 1/3 < r ≤ 2/3 (33 values) → 2/3; r > 2/3 → 0.
  //   AP_t = (34 + 22) / 101 = 56/101.
  // - t ∈ {.75 … .90} (4 thresholds): TP, FP, FP → recall 1/3 throughout; precision 1, 1/2, 1/3 →
  //   r ≤ 1/3 (34 values) → 1, the rest 0: AP_t = 34/101.
  // - t = .95: no TP: recall 0, precision 0: AP_t = 0.
  // AP = (5 · 56 + 4 · 34) / (10 · 101) = 416/1010; AP50 = 56/101; AP75 = 34/101; AR = (5 · 2/3 + 4 · 1/3) / 10.
  const ap = cocoMaskAp(
    oneEach([
      { iou: 0.92, score: 0.9 },
      { iou: 0.4, score: 0.8 },
      { iou: 0.72, score: 0.7 },
    ]),
  );
  close(ap.AP, 416 / 1010, 'AP');
  close(ap.AP50, 56 / 101, 'AP50');
  close(ap.AP75, 34 / 101, 'AP75');
  close(ap.APm, 416 / 1010, 'APm');
  assert.equal(ap.APs, null);
  close(ap.AR100, (5 * (2 / 3) + 4 * (1 / 3)) / 10, 'AR100');
  // The order of the inputs does not matter; the scores do: with d2 scored last, t ≤ .70 gives
  // TP, TP, FP → precision 1, 1, 2/3 → r ≤ 2/3 (67 values) → 1: AP50 = 67/101.
  const reordered = cocoMaskAp(
    oneEach([
      { iou: 0.72, score: 0.7 },
      { iou: 0.4, score: 0.1 },
      { iou: 0.92, score: 0.9 },
    ]),
  );
  close(reordered.AP50, 67 / 101, 'AP50 with the bad detection last');
});

test('AP averages over categories; per-category AP', () => {
  // Category 1 perfect (AP 1); category 2 one detection of IoU .66: TP for t ≤ .65 (4 of 10) → AP .4.
  const inputs = oneEach([
    { iou: 1, score: 0.5 },
    { iou: 0.66, score: 0.9, category: 2 },
  ]);
  close(cocoMaskAp(inputs).AP, (1 + 0.4) / 2, 'AP');
  const per = cocoMaskApPerCategory(inputs);
  close(per.get(1)!, 1, 'category 1');
  close(per.get(2)!, 0.4, 'category 2');
});

test('greedy matching in score order: a ground truth is taken once, a detection takes the best free one', () => {
  // One image, two ground truths g1, g2; d1 (score .9) IoUs [.8, .6]; d2 (score .8) IoUs [.9, .1].
  // At t = .5: d1 takes g1 (highest IoU ≥ .5), d2 finds g1 taken and g2 below .5 → FP.
  // TP, FP with npig 2 → recall .5, .5; precision 1 → r ≤ .5 (51 values): AP50 = 51/101.
  const input: ApImageInput = {
    imageId: 1,
    categoryId: 1,
    gts: [
      { id: 1, area: 500, iscrowd: false },
      { id: 2, area: 500, iscrowd: false },
    ],
    dts: [
      { id: 1, area: 500, score: 0.9 },
      { id: 2, area: 500, score: 0.8 },
    ],
    ious: [
      [0.8, 0.6],
      [0.9, 0.1],
    ],
  };
  close(cocoMaskAp([input]).AP50, 51 / 101, 'AP50');
});

test('crowd and out-of-range ground truths are ignored, and so are detections matched to them', () => {
  // g1 normal (d1 IoU 1), g2 crowd (d2 covered by it): d2 is ignored, not a false positive → AP 1.
  const input: ApImageInput = {
    imageId: 1,
    categoryId: 1,
    gts: [
      { id: 1, area: 500, iscrowd: false },
      { id: 2, area: 500, iscrowd: true },
    ],
    dts: [
      { id: 1, area: 500, score: 0.5 },
      { id: 2, area: 300, score: 0.9 },
    ],
    ious: [
      [1, 0],
      [0, 1],
    ],
  };
  // (COCOeval's precision is tp / (tp + fp + eps): 1 / (1 + 2^-52) is 1 − 2^-52, not 1.)
  close(cocoMaskAp([input]).AP, 1, 'AP');
  // Small range: g1 (area 500) counts, the large g3 (area 20000) is ignored with its detection.
  const mixed: ApImageInput = {
    imageId: 1,
    categoryId: 1,
    gts: [
      { id: 1, area: 500, iscrowd: false },
      { id: 3, area: 20000, iscrowd: false },
    ],
    dts: [
      { id: 1, area: 500, score: 0.5 },
      { id: 3, area: 20000, score: 0.9 },
    ],
    ious: [
      [1, 0],
      [0, 0.3],
    ],
  };
  const ap = cocoMaskAp([mixed]);
  close(ap.APs, 1, 'APs'); // the large detection is unmatched and outside the range: ignored
  assert.equal(ap.APl, 0); // g3's only candidate has IoU .3: missed
  assert.equal(ap.APm, null); // no ground truth in the medium range
});

test('mask IoU matrix: union for normal ground truths, detection area for crowd ones', () => {
  const d = rectMask(10, 10, [[0, 0, 4, 4]]); // 16 px
  const g = rectMask(10, 10, [[2, 0, 4, 4]]); // 16 px, overlap 8
  assert.deepEqual(maskIouMatrix([d], [g, g], [false, true]), [[8 / 24, 8 / 16]]);
  assert.deepEqual(maskIouMatrix([new Uint8Array(100)], [g], [true]), [[0]]);
});
