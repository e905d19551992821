import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationsByImage, convertSharedDataset } from './helpers.js';

test('TG3K (shared copy): 717 images, a gland in each, no corner specks, verified and split', async (t) => {
  await convertSharedDataset(t, 'tg3k', 'TG3K', async ({ done, coco, split }) => {
    assert.equal(done.images, 717);
    assert.equal(done.warnings.length, 0);
    const perImage = annotationsByImage(coco);
    for (const [id, list] of perImage) {
      assert.ok(list.length >= 1 && list.length <= 3, `image ${id}: ${list.length} components`);
      assert.ok(
        list.every((a) => a.area >= 66),
        `image ${id}: a speck survived`,
      );
    }
    assert.deepEqual(new Set(coco.images.map((i) => i.labels?.source_split)), new Set(['val', 'test']));
    assert.equal(split.counts.train.images + split.counts.val.images + split.counts.test.images, 717);
  });
});
