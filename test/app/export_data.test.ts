// The app's exports: COCO RLE (decodes back to the mask), categories, measurements, CSV.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRle } from '../../src/data/rle.js';
import { buildCoco, measure, measurementsCsv, safeFileName } from '../../web/src/export_data.js';

const W = 7;
const H = 5;
function rectMask(x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 1;
  return m;
}

test('COCO export: RLE round trip, area, bbox, categories by name, prompt kept', () => {
  const a = rectMask(1, 1, 4, 3);
  const b = rectMask(5, 0, 7, 5);
  const prompt = { points: [[2, 2]] as [number, number][], labels: [0], box: [1, 1, 4, 3] as const, corrections: [null] };
  const coco = buildCoco(
    { fileName: 'us.dcm', width: W, height: H, frame: 2, pixelSpacingMm: [0.1, 0.2] },
    [
      { name: 'nodule', mask: a, score: 0.9, prompt },
      { name: 'vessel', mask: b, score: 0.8, prompt: { points: [], labels: [], corrections: [] } },
      { name: 'nodule', mask: b, score: 0.7, prompt: { points: [], labels: [], corrections: [] } },
    ],
    new Date('2026-01-02T03:04:05Z'),
  );
  assert.deepEqual(coco.images, [{ id: 1, file_name: 'us.dcm', width: W, height: H, frame: 2, pixel_spacing_mm: [0.1, 0.2] }]);
  assert.deepEqual(coco.categories, [
    { id: 1, name: 'nodule' },
    { id: 2, name: 'vessel' },
  ]);
  assert.deepEqual(
    coco.annotations.map((x) => x.category_id),
    [1, 2, 1],
  );
  assert.deepEqual(Array.from(decodeRle(coco.annotations[0].segmentation)), Array.from(a));
  assert.deepEqual(coco.annotations[0].segmentation.size, [H, W]);
  assert.equal(coco.annotations[0].area, 6);
  assert.deepEqual(coco.annotations[0].bbox, [1, 1, 3, 2]);
  assert.deepEqual(coco.annotations[0].ultrasam_prompt, { points: [[2, 2]], labels: [0], box: [1, 1, 4, 3], corrections: [null] });
  assert.equal(coco.annotations[1].ultrasam_prompt.box, null);
  assert.equal(coco.info.date_created, '2026-01-02T03:04:05.000Z');
});

test('measurements: px always, mm² only with a calibration; CSV quotes names', () => {
  const objects = [{ name: 'a, "b"', mask: rectMask(0, 0, 2, 2), score: 0.5, prompt: { points: [], labels: [], corrections: [] } }];
  assert.deepEqual(measure(objects), [{ name: 'a, "b"', areaPx: 4, score: 0.5 }]);
  const [row] = measure(objects, [0.1, 0.25]);
  assert.ok(Math.abs(row.areaMm2! - 0.1) < 1e-12);
  assert.equal(measurementsCsv([row]), 'object,area_px,area_mm2,score\n"a, ""b""",4,0.100,0.5000\n');
  assert.equal(measurementsCsv(measure(objects)), 'object,area_px,area_mm2,score\n"a, ""b""",4,,0.5000\n');
});

test('file names from object names', () => {
  assert.equal(safeFileName('left lobe / nodule #2'), 'left_lobe_nodule_2');
  assert.equal(safeFileName('  ../..  '), '.._..');
  assert.equal(safeFileName('///'), 'object');
});
