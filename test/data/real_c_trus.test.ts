import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertEnvDataset, patientsInTwoSplits } from './helpers.js';

/** ULTRASAM_RAW_C_TRUS: a checkout of wwu-mmll/c-trus (the folder holding original/, labels/ and c-trus.csv). */
test('C-TRUS (real files): 827 frames of 13 patients, 508 with a colon wall, patient from the CSV, split by patient', async (t) => {
  await convertEnvDataset(t, 'ULTRASAM_RAW_C_TRUS', 'C-TRUS', async ({ done, coco, parts }) => {
    assert.equal(done.images, 827);
    assert.equal(done.warnings.length, 0);
    assert.equal(done.patients, 13);
    assert.ok(coco.images.every((i) => i.width === 580 && i.height === 360));
    const annotated = new Set(coco.annotations.map((a) => a.image_id));
    assert.equal(annotated.size, 508);
    // Up to four wall segments in a frame; the two 1-pixel specks in the masks are dropped.
    assert.equal(done.annotations, 630);
    assert.ok(
      coco.annotations.every((a) => a.area >= 300),
      'a speck survived',
    );
    const quality = (q: string) => coco.images.filter((i) => i.labels?.quality === q).length;
    assert.deepEqual([quality('high'), quality('medium'), quality('low')], [185, 295, 347]);
    assert.deepEqual(patientsInTwoSplits(parts), []);
    assert.ok(parts.test.images.length > 0 && parts.val.images.length > 0);
  });
});
