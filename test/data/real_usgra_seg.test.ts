import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationsByImage, convertSharedDataset } from './helpers.js';

test('USGRA-Seg: 244 images, official test (dataset/test) kept as test, nerve in every image', async (t) => {
  await convertSharedDataset(t, 'usgra_seg', 'USGRA-Seg', async ({ done, coco, split, parts }) => {
    assert.equal(done.images, 244);
    assert.equal(done.warnings.length, 0);
    const officialTest = coco.images.filter((i) => i.source_file!.startsWith('dataset/test/images/'));
    assert.equal(officialTest.length, 40);
    assert.ok(officialTest.every((i) => i.official_split === 'test'));
    assert.equal(split.officialTest, true);
    assert.deepEqual(parts.test.images.map((i) => i.id).sort(), officialTest.map((i) => i.id).sort());
    const perImage = annotationsByImage(coco);
    assert.ok([...perImage.values()].every((list) => list.some((a) => a.category === 'nerve')));
    assert.equal(done.categories.blood_vessel.images, 219);
    assert.ok(
      coco.annotations.every((a) => a.area >= 5),
      'a labelme speck survived',
    );
    assert.ok(parts.val.annotations.length > 0 && parts.train.annotations.length > 0);
  });
});
