import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertEnvDataset, patientsInTwoSplits } from './helpers.js';

/** ULTRASAM_RAW_NERVE_PROCESSED: a checkout of atlan-antillia/Image-Segmentation-Nerve (the folder holding Nerve/). */
test('Ultrasound_Nerve_Segmentation-processed (real files): 2,323 frames of 47 subjects, padding cropped, split by subject', async (t) => {
  await convertEnvDataset(t, 'ULTRASAM_RAW_NERVE_PROCESSED', 'Ultrasound_Nerve_Segmentation-processed', async ({ done, coco, parts }) => {
    assert.equal(done.images, 2323);
    assert.equal(done.warnings.length, 0);
    assert.equal(done.patients, 47);
    const bySplit = (split: string) => coco.images.filter((i) => i.labels?.source_split === split).length;
    assert.deepEqual([bySplit('train'), bySplit('test')], [1858, 465]);
    // The copy's square 256×256 frames were 580×420 padded: cropped back to 256 × 185 and the 3 or
    // so rows at each edge where the resize blended frame and padding.
    assert.ok(
      coco.images.every((i) => i.width === 256 && i.height >= 191 && i.height <= 192),
      'a frame kept its padding',
    );
    // Every frame of the copy shows the nerve (no negatives); one 1-pixel speck is dropped.
    const annotated = new Set(coco.annotations.map((a) => a.image_id));
    assert.equal(annotated.size, 2323);
    assert.equal(done.annotations, 2323);
    assert.ok(
      coco.annotations.every((a) => a.area >= 300),
      'a speck survived',
    );
    // The copy's folders mix subjects; the split here does not.
    assert.deepEqual(patientsInTwoSplits(parts), []);
  });
});
