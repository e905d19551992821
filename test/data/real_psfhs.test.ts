import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationsByImage, convertSharedDataset } from './helpers.js';

test('PSFHS (shared copy, MHA): 100 images with a pubic symphysis and a larger fetal head each', async (t) => {
  await convertSharedDataset(t, 'psfhs', 'PSFHS', async ({ done, coco, split }) => {
    assert.equal(done.images, 100);
    assert.equal(done.warnings.length, 0);
    assert.deepEqual(
      coco.categories.map((c) => c.name),
      ['pubic_symphysis', 'fetal_head'],
    );
    for (const [id, list] of annotationsByImage(coco)) {
      const ps = list.filter((a) => a.category === 'pubic_symphysis');
      const fh = list.filter((a) => a.category === 'fetal_head');
      assert.equal(ps.length, 1, `image ${id}`);
      assert.equal(fh.length, 1, `image ${id}`);
      assert.ok(ps[0].area * 3 < fh[0].area, `image ${id}: symphysis ${ps[0].area} px vs head ${fh[0].area} px`);
    }
    assert.ok(coco.images.every((i) => i.width === 256 && i.height === 256 && i.pixel_spacing === undefined));
    assert.deepEqual(split.notes, []);
  });
});
