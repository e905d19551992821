import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationsByImage, convertSharedDataset } from './helpers.js';

test('DDTI (shared copy): 595 images, 478 patients, labels, verified, patient-level split', async (t) => {
  await convertSharedDataset(t, 'ddti', 'DDTI', async ({ done, coco, parts }) => {
    assert.equal(done.images, 595);
    assert.equal(done.warnings.length, 0);
    assert.equal(done.patients, 478);
    const perImage = annotationsByImage(coco);
    assert.ok([...perImage.values()].every((list) => list.length >= 1 && list.every((a) => a.category === 'thyroid_nodule')));
    const first = coco.images.find((i) => i.source_file === 'DDTI/560_1.a.jpg')!;
    assert.equal(first.file_name, 'images/DDTI__560__1.png');
    assert.deepEqual(first.labels, {
      folder: 'bening',
      composition: 'solid',
      echogenicity: 'hypoechogenicity',
      margins: 'well-defined',
      calcifications: 'microcalcification',
      tirads: '4c',
      sex: 'F',
      age: 58,
    });
    assert.ok(coco.images.filter((i) => i.labels?.tirads !== undefined).length > 500);
    const sideOf = new Map<string, string>();
    for (const [split, part] of Object.entries(parts)) {
      for (const image of part.images) {
        const seen = sideOf.get(image.patient!);
        assert.ok(seen === undefined || seen === split, `patient ${image.patient} in ${seen} and ${split}`);
        sideOf.set(image.patient!, split);
      }
    }
    assert.equal(parts.train.images.length + parts.val.images.length + parts.test.images.length, 595);
  });
});
