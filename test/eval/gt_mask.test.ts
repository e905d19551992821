import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CocoAnnotation, CocoImage } from '../../src/data/coco.js';
import { encodeMask, maskToRuns } from '../../src/data/rle.js';
import { annotationMask } from '../../src/eval/gt_mask.js';
import { rectMask } from './helpers.js';

const image: CocoImage = { id: 7, file_name: 'images/x.png', width: 10, height: 8 };
const ann = (segmentation: unknown): CocoAnnotation => ({ id: 3, image_id: 7, category_id: 1, segmentation: segmentation as CocoAnnotation['segmentation'], area: 0, bbox: [0, 0, 0, 0], iscrowd: 0 });

test('ground truth from compressed RLE, uncompressed RLE and polygons', () => {
  const mask = rectMask(10, 8, [[2, 2, 4, 3]]);
  assert.deepEqual(annotationMask(ann(encodeMask(mask, 8, 10)), image), mask);
  assert.deepEqual(annotationMask(ann({ size: [8, 10], counts: maskToRuns(mask, 8, 10) }), image), mask);
  // Polygon on COCO's grid: the square (2,2)–(6,5) holds the pixel centres of columns 2..5, rows 2..4.
  assert.deepEqual(annotationMask(ann([[2, 2, 6, 2, 6, 5, 2, 5]]), image), mask);
});

test('malformed ground truth is named by annotation and image', () => {
  assert.throws(() => annotationMask(ann({ size: [8, 9], counts: '' }), image), /annotation 3 \(image 7, images\/x.png\): segmentation size \[8, 9\] differs/);
  assert.throws(() => annotationMask(ann(undefined), image), /annotation 3 .*"segmentation" is missing/);
  assert.throws(() => annotationMask(ann([[1, 2, 3]]), image), /polygon 0 must be a flat list/);
  assert.throws(() => annotationMask(ann({ size: [8, 10], counts: [5] }), image), /annotation 3 .*cover 5 pixels/);
});

test('ground truth that would be scored wrongly is refused: negative or fractional runs, polygons under three points', () => {
  // Before: [-5, 85] covered the 80 pixels and decoded to the whole image; fractional runs to a shifted mask.
  assert.throws(
    () => annotationMask(ann({ size: [8, 10], counts: [-5, 85] }), image),
    /^Error: annotation 3 \(image 7, images\/x\.png\): RLE run 0 is -5; runs are non-negative whole numbers of pixels$/,
  );
  assert.throws(() => annotationMask(ann({ size: [8, 10], counts: [10.5, 20, 49.5] }), image), /annotation 3 .*RLE run 0 is 10\.5/);
  assert.throws(() => annotationMask(ann({ size: [8, 10], counts: [10, '20', 50] }), image), /annotation 3 .*RLE run 1 is "20"/);
  // Before: two points were drawn as a line while the annotation's area said 56,905.
  assert.throws(() => annotationMask(ann([[1, 1, 8, 6]]), image), /annotation 3 .*polygon 0 has 2 point\(s\); a polygon needs at least 3/);
  assert.throws(() => annotationMask(ann([[1, 1, 8, 6, 2, NaN]]), image), /annotation 3 .*polygon 0 must be a flat list of finite x, y numbers/);
  assert.throws(() => annotationMask(ann([]), image), /annotation 3 .*an empty list of polygons/);
});
