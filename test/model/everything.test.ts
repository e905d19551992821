// Segment everything: SAM's automatic-mask-generator pieces on hand-made inputs, and the whole
// generator against SamAutomaticMaskGenerator's recorded output on the parity fixture's model and
// image (test/model/fixtures/everything/reference.py wrote the *.json.gz beside it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { buildPointGrid, generateCropBoxes, isBoxNearCropEdge, maskBox, nonMaxSuppression, removeSmallRegions, stabilityScore } from '../../src/model/amg.js';
import { type EverythingBackend, type EverythingOptions, generateEverything, parseRecordedEverythingDefaults } from '../../src/model/everything.js';
import { SamPredictor } from '../../src/model/predictor.js';
import { exportModel } from '../../src/model/export.js';
import { tempDir } from '../helpers/temp_dir.js';
import { join } from 'node:path';
import { runsToMask } from '../../src/data/rle.js';
import { FIXTURE_DIR, fixtureMissing, readCases } from './fixture.js';

test('point grid: cell centres, x fastest', () => {
  const grid = buildPointGrid(4);
  assert.equal(grid.length, 16);
  assert.deepEqual(grid.slice(0, 4), [
    [0.125, 0.125],
    [0.375, 0.125],
    [0.625, 0.125],
    [0.875, 0.125],
  ]);
  assert.deepEqual(grid[4], [0.125, 0.375]);
  assert.deepEqual(buildPointGrid(1), [[0.5, 0.5]]);
});

test('crop boxes of one layer on a 500×315 image (overlap ⌊512/1500 · 315⌋ = 107)', () => {
  const crops = generateCropBoxes([315, 500], 1, 512 / 1500);
  assert.deepEqual(
    crops.map((c) => [c.layer, ...c.box]),
    [
      [0, 0, 0, 500, 315],
      [1, 0, 0, 304, 211],
      [1, 0, 104, 304, 315],
      [1, 197, 0, 500, 211],
      [1, 197, 104, 500, 315],
    ],
  );
});

test('stability score, mask box, crop-edge test', () => {
  const logits = Float32Array.from([-2, -0.5, 0.5, 1.5, 3, 0.2]);
  assert.equal(stabilityScore(logits, 0, 6, 0, 1), 2 / 5);
  assert.ok(Number.isNaN(stabilityScore(Float32Array.from([-5, -5]), 0, 2, 0, 1)));
  // 4 × 3 mask with pixels at (1, 0) and (2, 2): inclusive box [1, 0, 2, 2].
  assert.deepEqual(maskBox([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], 4, 3), [1, 0, 2, 2]);
  assert.deepEqual(maskBox(new Uint8Array(12), 4, 3), [0, 0, 0, 0]);
  const crop: [number, number, number, number] = [100, 0, 300, 200];
  assert.equal(isBoxNearCropEdge([50, 50, 150, 150], crop, [0, 0, 300, 400]), false);
  assert.equal(isBoxNearCropEdge([5, 50, 150, 150], crop, [0, 0, 300, 400]), true, 'left edge of the crop is inside the image');
  assert.equal(isBoxNearCropEdge([50, 50, 195, 150], crop, [0, 0, 300, 400]), false, 'right edge of the crop is the image edge');
  assert.equal(isBoxNearCropEdge([50, 50, 150, 185], crop, [0, 0, 300, 400]), true);
});

test('NMS: greedy by score, IoU strictly above the threshold suppresses, ties keep input order', () => {
  const boxes: [number, number, number, number][] = [
    [0, 0, 10, 10],
    [1, 0, 11, 10], // IoU with the first 90/110 ≈ 0.818
    [20, 20, 30, 30],
    [0, 0, 10, 10],
  ];
  assert.deepEqual(nonMaxSuppression(boxes, [0.5, 0.9, 0.1, 0.5], 0.7), [1, 2]);
  assert.deepEqual(nonMaxSuppression(boxes, [0.5, 0.9, 0.1, 0.5], 0.9), [1, 0, 2]);
  assert.deepEqual(nonMaxSuppression(boxes, [1, 1, 1, 1], 1), [0, 1, 2, 3]);
  // Empty boxes have 0/0 IoU with each other (NaN): never suppressed.
  assert.deepEqual(
    nonMaxSuppression(
      [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      [1, 1],
      0.5,
    ),
    [0, 1],
  );
});

test('small holes are filled and small islands removed (8-connected); all-small islands keep the largest', () => {
  const w = 8;
  const h = 6;
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) mask[y * w + x] = 1;
  mask[2 * w + 2] = 0; // a 1-pixel hole
  mask[5 * w + 7] = 1; // a 1-pixel island
  const holes = removeSmallRegions(mask, w, h, 2, 'holes');
  assert.ok(holes.changed);
  assert.equal(holes.mask[2 * w + 2], 1);
  const islands = removeSmallRegions(holes.mask, w, h, 2, 'islands');
  assert.ok(islands.changed);
  assert.equal(islands.mask[5 * w + 7], 0);
  assert.equal(
    islands.mask.reduce((a, v) => a + v, 0),
    25,
  );
  assert.equal(removeSmallRegions(islands.mask, w, h, 2, 'islands').changed, false);
  const tiny = new Uint8Array(w * h);
  tiny[0] = 1;
  tiny[3] = tiny[4] = 1;
  assert.deepEqual([...removeSmallRegions(tiny, w, h, 10, 'islands').mask.subarray(0, 5)], [0, 0, 0, 1, 1]);
});

test('the generator filters, drops duplicates and reports progress (a model-free backend)', async () => {
  // 16 × 16 image; low-res logits at 16 × 16 with an identity geometry. Each point's three outputs:
  // a square around the point (+5 inside, −5 outside), a weak copy of it (±0.5: unstable), and the
  // same square again with a low predicted IoU (a duplicate NMS drops).
  const side = 16;
  const image = { data: new Uint8Array(side * side * 3), width: side, height: side, channels: 3 };
  let embeds = 0;
  const backend: EverythingBackend = {
    embed: async () => void embeds++,
    decodePoints: async (points) => {
      const lowResLogits = new Float32Array(points.length * 3 * side * side);
      const scores = new Float32Array(points.length * 3);
      points.forEach(([px, py], p) => {
        for (let m = 0; m < 3; m++) {
          for (let y = 0; y < side; y++) {
            for (let x = 0; x < side; x++) {
              const inside = Math.abs(x + 0.5 - px) <= 2 && Math.abs(y + 0.5 - py) <= 2;
              lowResLogits[((p * 3 + m) * side + y) * side + x] = (inside ? 5 : -5) * (m === 1 ? 0.1 : 1);
            }
          }
        }
        scores.set([0.95, 0.99, 0.9], p * 3);
      });
      return { lowResLogits, scores, masksPerPoint: 3, lowResSide: side, geometry: { imgSize: side, inputSize: [side, side], originalSize: [side, side] } };
    },
  };
  const progress: number[] = [];
  const masks = await generateEverything(backend, image, { pointsPerSide: 2, pointsPerBatch: 3, onProgress: (done, total) => progress.push(done / total) });
  assert.equal(embeds, 1);
  assert.deepEqual(progress, [0.75, 1]);
  // Four points → four squares; the unstable output is filtered, the duplicate suppressed.
  assert.equal(masks.length, 4);
  for (const m of masks) {
    assert.equal(m.area, 16);
    assert.equal(m.predictedIou, Math.fround(0.95));
    assert.equal(m.stabilityScore, 1);
    assert.deepEqual(m.cropBox, [0, 0, 16, 16]);
    assert.equal(m.bbox[2], 3, 'SAM bbox width is right − left pixel index');
  }
  // A model whose masks start at logit −5.5: every output covers the whole image, so one survives NMS
  // (the highest scored, the weak copy), and the stability is measured around that threshold.
  const low = await generateEverything({ ...backend, maskThreshold: -5.5 }, image, { pointsPerSide: 2, stabilityScoreThresh: 0 });
  assert.equal(low.length, 1);
  assert.equal(low[0].area, side * side);
  assert.equal(low[0].predictedIou, Math.fround(0.99));
  assert.equal(low[0].stabilityScore, 1);
  await assert.rejects(generateEverything(backend, image, { predIouThresh: 1.5 }), /predIouThresh must be in \[0, 1\]/);
  await assert.rejects(generateEverything(backend, image, { pointsPerSide: 0 }), /pointsPerSide must be a positive integer/);
});

interface ReferenceRun {
  options: Record<string, number>;
  image_size: [number, number];
  masks: { counts: number[]; area: number; bbox: number[]; predicted_iou: number; stability_score: number; point_coords: number[]; crop_box: number[] }[];
}

const RUNS = ['grid16_nms', 'grid4_filtered', 'grid8_crop1', 'grid4_min_region'];

function referenceRun(name: string): ReferenceRun {
  return JSON.parse(gunzipSync(readFileSync(new URL(`fixtures/everything/${name}.json.gz`, import.meta.url))).toString('utf8')) as ReferenceRun;
}

function toOptions(o: Record<string, number>): EverythingOptions {
  const camel = Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]);
  return Object.fromEntries(camel) as EverythingOptions;
}

function maskIou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union === 0 ? 1 : inter / union;
}

test('generate() reproduces SamAutomaticMaskGenerator on the parity fixture', { skip: fixtureMissing, timeout: 900_000 }, async () => {
  const cases = readCases();
  const predictor = await SamPredictor.load(`${FIXTURE_DIR}sam_weights.pth`, { decoderHeads: cases.decoder.num_heads, threads: 2 });
  try {
    await predictor.setImage(`${FIXTURE_DIR}image.png`);
    const embedding = predictor.embedding;
    for (const name of RUNS) {
      const ref = referenceRun(name);
      const [h, w] = ref.image_size;
      assert.ok(ref.masks.length > 0, `${name}: the reference set is empty`);
      const ours = await predictor.generate(toOptions(ref.options));
      assert.equal(predictor.embedding, embedding, 'the image embedding is restored after crops');
      assert.equal(ours.length, ref.masks.length, `${name}: ${ours.length} masks, the reference has ${ref.masks.length}`);
      // Each reference mask against the unmatched mask of ours that overlaps it most.
      const free = new Set(ours.map((_, i) => i));
      let worst = 1;
      let sameOrder = 0;
      let scoreErr = 0;
      let stabilityErr = 0;
      ref.masks.forEach((r, i) => {
        const refMask = runsToMask(r.counts, h, w);
        let best = -1;
        let bestIou = -1;
        for (const j of free) {
          const v = maskIou(refMask, ours[j].mask);
          if (v > bestIou) [best, bestIou] = [j, v];
        }
        free.delete(best);
        if (best === i) sameOrder++;
        worst = Math.min(worst, bestIou);
        scoreErr = Math.max(scoreErr, Math.abs(ours[best].predictedIou - r.predicted_iou));
        stabilityErr = Math.max(stabilityErr, Math.abs(ours[best].stabilityScore - r.stability_score));
        assert.deepEqual(ours[best].cropBox, r.crop_box, `${name}: crop box of mask ${i}`);
        assert.deepEqual(
          ours[best].pointCoords.map((v) => Number(v.toFixed(6))),
          r.point_coords.map((v) => Number(v.toFixed(6))),
          `${name}: point of mask ${i}`,
        );
        assert.ok(bestIou >= 0.98, `${name}: reference mask ${i} has IoU ${bestIou.toFixed(4)} with its counterpart`);
      });
      console.log(
        `${name}: ${ours.length} masks as the reference, worst IoU with the counterpart ${worst.toFixed(5)}, ${sameOrder}/${ours.length} in the same order, ` +
          `predicted IoU within ${scoreErr.toExponential(2)}, stability within ${stabilityErr.toExponential(2)}`,
      );
      assert.ok(scoreErr < 1e-3 && stabilityErr < 1e-2);
    }
  } finally {
    await predictor.release();
  }
});

test('thresholds recorded in weights: read, checked, named in errors', () => {
  assert.deepEqual(parseRecordedEverythingDefaults(undefined, 'w.safetensors'), {});
  assert.deepEqual(parseRecordedEverythingDefaults('{"predIouThresh":0.6,"stabilityScoreThresh":0.4}', 'w.safetensors'), { predIouThresh: 0.6, stabilityScoreThresh: 0.4 });
  assert.throws(() => parseRecordedEverythingDefaults('{oops', 'w.safetensors'), /w\.safetensors: metadata 'ultrasam\.everything' is not JSON/);
  assert.throws(() => parseRecordedEverythingDefaults('[1]', 'w.safetensors'), /must be a JSON object/);
  assert.throws(() => parseRecordedEverythingDefaults('{"cropNLayers":1}', 'w.safetensors'), /unknown field 'cropNLayers'/);
  assert.throws(() => parseRecordedEverythingDefaults('{"predIouThresh":"high"}', 'w.safetensors'), /predIouThresh must be a number/);
  assert.throws(() => parseRecordedEverythingDefaults('{"predIouThresh":1.5}', 'w.safetensors'), /predIouThresh must be in \[0, 1\]/);
});

test('the bundled model records its generator thresholds and the predictor uses them', async () => {
  const predictor = await SamPredictor.load('ultrasam-tiny');
  try {
    assert.deepEqual(predictor.everythingDefaults, { predIouThresh: 0.6, stabilityScoreThresh: 0.3 });
    // The app reads them from the export's manifest.
    const { dir, cleanup } = tempDir('everything-export');
    try {
      await exportModel(predictor, join(dir, 'model'));
      const manifest = JSON.parse(readFileSync(join(dir, 'model', 'ultrasam.json'), 'utf8')) as { everything?: unknown };
      assert.deepEqual(manifest.everything, { predIouThresh: 0.6, stabilityScoreThresh: 0.3 });
    } finally {
      cleanup();
    }
  } finally {
    await predictor.release();
  }
});
