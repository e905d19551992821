import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCoco } from '../../src/data/coco.js';
import { MalformedRawError, writeDataset } from '../../src/data/corpus.js';
import { getDataset } from '../../src/data/registry.js';
import { verifyCoco } from '../../src/data/verify.js';
import { writeBusi, writeDdti, writeTestImage } from './raw_builders.js';
import { tempDir } from '../helpers/temp_dir.js';

test('BUSI: every mask file is an instance, normal images kept without annotations, class as label', async () => {
  const { dir, cleanup } = tempDir('busi');
  try {
    await writeBusi(join(dir, 'raw'));
    const done = await writeDataset(getDataset('busi'), join(dir, 'raw'), join(dir, 'out'));
    assert.deepEqual([done.images, done.annotations, done.warnings.length], [4, 4, 0]);
    const coco = await readCoco(join(dir, 'out', 'BUSI', 'BUSI.coco.json'));
    assert.deepEqual(
      coco.images.map((i) => [i.file_name, i.labels?.class]),
      [
        ['images/BUSI__benign_1.png', 'benign'],
        ['images/BUSI__benign_2.png', 'benign'],
        ['images/BUSI__malignant_1.png', 'malignant'],
        ['images/BUSI__normal_1.png', 'normal'],
      ],
    );
    assert.deepEqual(
      coco.annotations.map((a) => [a.image_id, a.bbox]),
      [
        [1, [2, 2, 6, 5]],
        [2, [2, 2, 6, 5]],
        [2, [20, 10, 8, 8]],
        [3, [10, 10, 10, 10]],
      ],
    );
    assert.ok((await verifyCoco(join(dir, 'out', 'BUSI', 'BUSI.coco.json'))).ok);
    assert.equal(getDataset('busi').info.evaluationOnly, true);
  } finally {
    cleanup();
  }
});

test('BUSI: a missing mask, an unreadable image and a size mismatch are reported; strict stops', async () => {
  const { dir, cleanup } = tempDir('busi-bad');
  try {
    const raw = join(dir, 'raw');
    await writeBusi(raw);
    const base = join(raw, 'Dataset_BUSI_with_GT');
    await rm(join(base, 'malignant', 'malignant (1)_mask.png'));
    await writeFile(join(base, 'benign', 'benign (1).png'), 'garbage');
    await writeTestImage(join(base, 'normal', 'normal (1)_mask.png'), 20, 30, { rect: [0, 0, 1, 1] });
    const done = await writeDataset(getDataset('BUSI'), raw, join(dir, 'out'));
    assert.equal(done.images, 1);
    assert.deepEqual(
      done.warnings.map((w) => w.file),
      ['Dataset_BUSI_with_GT/benign/benign (1).png', 'Dataset_BUSI_with_GT/malignant/malignant (1).png', 'Dataset_BUSI_with_GT/normal/normal (1)_mask.png'],
    );
    assert.match(done.warnings[1].problem, /missing mask/);
    assert.match(done.warnings[2].problem, /size mismatch/);
    await assert.rejects(writeDataset(getDataset('BUSI'), raw, join(dir, 'strict'), { strict: true }), (error: unknown) => {
      assert.ok(error instanceof MalformedRawError);
      assert.match(error.message, /benign \(1\)\.png: unreadable image/);
      return true;
    });
    assert.equal(existsSync(join(dir, 'strict')), false, 'the output folder the failed run created is removed too');
  } finally {
    cleanup();
  }
});

test('DDTI (synthetic): patient from the id, labels from label.txt, JPEG masks thresholded', async () => {
  const { dir, cleanup } = tempDir('ddti');
  try {
    await writeDdti(join(dir, 'raw'));
    const done = await writeDataset(getDataset('DDTI'), join(dir, 'raw'), join(dir, 'out'));
    assert.deepEqual([done.images, done.annotations, done.patients], [3, 3, 2]);
    const coco = await readCoco(join(dir, 'out', 'DDTI', 'DDTI.coco.json'));
    assert.deepEqual(
      coco.images.map((i) => i.file_name),
      ['images/DDTI__1__1.png', 'images/DDTI__1__2.png', 'images/DDTI__2__1.png'],
    );
    assert.deepEqual(coco.images[0].labels, {
      folder: 'bening',
      composition: 'solid',
      echogenicity: 'hypoechogenicity',
      margins: 'well-defined',
      calcifications: 'non',
      tirads: '4a',
      sex: 'F',
      age: 58,
    });
    assert.deepEqual(coco.images[2].labels, { folder: 'maling', tirads: '5', sex: 'M' });
    assert.equal(coco.images[1].labels, undefined);
    assert.deepEqual(coco.annotations[0].bbox, [4, 4, 10, 8]);
  } finally {
    cleanup();
  }
});

test('DDTI: a missing mask is a warning, and in strict mode stops the run naming the file (as in every converter)', async () => {
  const { dir, cleanup } = tempDir('ddti-strict');
  try {
    const raw = join(dir, 'raw');
    await writeDdti(raw);
    await rm(join(raw, 'DDTI', '1_2.b.jpg'));
    const done = await writeDataset(getDataset('DDTI'), raw, join(dir, 'out'));
    assert.deepEqual(
      done.warnings.map((w) => [w.file, w.problem]),
      [['DDTI/1_2.a.jpg', 'missing mask 1_2.b.jpg']],
    );
    await assert.rejects(writeDataset(getDataset('DDTI'), raw, join(dir, 'strict'), { strict: true }), (error: unknown) => {
      assert.ok(error instanceof MalformedRawError);
      assert.match(error.message, /DDTI\/1_2\.a\.jpg: missing mask 1_2\.b\.jpg/);
      return true;
    });
  } finally {
    cleanup();
  }
});
