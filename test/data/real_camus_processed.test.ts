import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { flipColumns } from '../../src/data/formats/frame_ops.js';
import { readRaster } from '../../src/data/raster.js';
import { toGray } from '../../src/data/components.js';
import { listFiles } from '../../src/data/datasets/support/files.js';
import { convertEnvDataset, patientsInTwoSplits } from './helpers.js';

/**
 * ULTRASAM_RAW_CAMUS_PROCESSED: a checkout of atlan-antillia/Tensorflow-Image-Segmentation-Cardiac-Acquisitions
 * (the folder holding dataset/Cardiac-Acquisitions/).
 */
test('CAMUS-processed (real files): 375 distinct frames of 280 patients, mirrored duplicates left out, the rest flipped back', async (t) => {
  await convertEnvDataset(t, 'ULTRASAM_RAW_CAMUS_PROCESSED', 'CAMUS-processed', async ({ raw, done, coco, parts }) => {
    const folder = 'dataset/Cardiac-Acquisitions/test/images';
    const files = await listFiles(join(raw, folder), { extensions: ['.jpg'], recursive: false });
    const mirrored = files.filter((f) => f.startsWith('mirrored_'));
    const originals = new Set(files.filter((f) => !f.startsWith('mirrored_')));
    const duplicates = mirrored.map((f) => f.slice('mirrored_'.length)).filter((f) => originals.has(f));
    assert.deepEqual([files.length, mirrored.length, duplicates.length], [400, 190, 25]);
    assert.equal(done.images, 375);
    assert.equal(done.warnings.length, 0);
    assert.equal(done.patients, 280);
    assert.equal(coco.images.filter((i) => i.labels?.mirrored_copy_flipped_back === 1).length, 165);
    assert.ok(coco.images.every((i) => !i.source_file!.includes('/mirrored_') || i.labels?.mirrored_copy_flipped_back === 1));
    // One region per frame: the cavity, myocardium and atrium are merged in the source.
    assert.equal(done.annotations, 375);
    // The duplicates left out are the mirror images of their originals (JPEG noise aside).
    let worst = 0;
    for (const name of duplicates) {
      const original = await readRaster(join(raw, folder, name));
      const copy = await readRaster(join(raw, folder, `mirrored_${name}`));
      const a = toGray(original);
      const b = flipColumns(toGray(copy), copy.width, copy.height);
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
      worst = Math.max(worst, sum / a.length);
    }
    t.diagnostic(`worst mean |original - flipped mirrored copy| over the ${duplicates.length} duplicates: ${worst.toFixed(3)} grey levels`);
    assert.ok(worst < 1, `a mirrored copy differs from its original's mirror image by ${worst.toFixed(2)} grey levels`);
    assert.deepEqual(patientsInTwoSplits(parts), []);
  });
});
