import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCoco, writeCoco, type CocoFile } from '../../src/data/coco.js';
import { writeDataset } from '../../src/data/corpus.js';
import { writePng } from '../../src/data/raster.js';
import { encodeMask } from '../../src/data/rle.js';
import { assertVerified, verifyCoco, verifyCocoContent, verifyPath, VerificationError, type ProblemKind } from '../../src/data/verify.js';
import { fakeDataset, syntheticSample } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

async function makeDataset(dir: string): Promise<string> {
  const module = fakeDataset('V', ['a', 'b'], async function* () {
    yield syntheticSample(
      10,
      6,
      {
        a: [
          [0, 0, 2, 2],
          [5, 3, 2, 2],
        ],
        b: [[8, 0, 2, 6]],
      },
      { index: 1 },
    );
    yield syntheticSample(10, 6, { a: [[1, 1, 3, 3]] }, { index: 2 });
  });
  await writeDataset(module, dir, join(dir, 'out'));
  return join(dir, 'out', 'V', 'V.coco.json');
}

function kinds(coco: CocoFile): ProblemKind[] {
  return [...new Set(verifyCocoContent(coco, 'mem').problems.map((p) => p.kind))];
}

test('a freshly written dataset verifies clean', async () => {
  const { dir, cleanup } = tempDir('verify-ok');
  try {
    const path = await makeDataset(dir);
    const report = await verifyCoco(path);
    assert.deepEqual(report.problems, []);
    assert.deepEqual([report.images, report.annotations, report.ok], [2, 4, true]);
    assert.equal((await verifyPath(join(dir, 'out'))).length, 1);
  } finally {
    cleanup();
  }
});

test('each kind of JSON problem is caught', async () => {
  const { dir, cleanup } = tempDir('verify-json');
  try {
    const clean = await readCoco(await makeDataset(dir));
    const broken = (edit: (coco: CocoFile) => void): CocoFile => {
      const coco = structuredClone(clean);
      edit(coco);
      return coco;
    };
    assert.deepEqual(kinds(clean), []);
    // Image 2 renumbered 1: the id repeats and the annotations of image 2 point nowhere.
    assert.deepEqual(kinds(broken((c) => (c.images[1].id = 1))), ['duplicate-id', 'reference']);
    assert.deepEqual(kinds(broken((c) => (c.annotations[1].id = 1))), ['duplicate-id']);
    // A 128-bit-style id (the reference's uuid4) is not a safe integer.
    assert.deepEqual(kinds(broken((c) => (c.images[0].id = 2 ** 60))), ['id', 'reference']);
    assert.deepEqual(kinds(broken((c) => (c.annotations[0].image_id = 99))), ['reference']);
    assert.deepEqual(kinds(broken((c) => (c.annotations[0].category_id = 7))), ['reference']);
    assert.deepEqual(kinds(broken((c) => (c.annotations[0].segmentation.counts = 'zz'))), ['rle']);
    assert.deepEqual(kinds(broken((c) => (c.annotations[0].segmentation.counts += '1'))), ['rle']);
    assert.deepEqual(kinds(broken((c) => (c.annotations[0].segmentation = encodeMask(new Uint8Array(12), 3, 4)))), ['rle-size', 'empty-annotation', 'area', 'bbox']);
    const empty = encodeMask(new Uint8Array(60), 6, 10);
    assert.deepEqual(kinds(broken((c) => Object.assign(c.annotations[0], { segmentation: empty, area: 0, bbox: [0, 0, 0, 0] }))), ['empty-annotation']);
    assert.deepEqual(kinds(broken((c) => c.annotations.push({ ...c.annotations[0], id: 100 }))), ['duplicate-annotation']);
    assert.deepEqual(kinds(broken((c) => (c.annotations[0].area = 5))), ['area']);
    assert.deepEqual(kinds(broken((c) => (c.annotations[0].bbox = [0, 0, 2, 3]))), ['bbox']);
    assert.deepEqual(kinds(broken((c) => (c.annotations[0].iscrowd = 1))), ['iscrowd']);
    assert.deepEqual(kinds(broken((c) => (c.images[1].file_name = c.images[0].file_name))), ['duplicate-file']);
  } finally {
    cleanup();
  }
});

test('missing images, wrong sizes and non-PNG files are caught; assertVerified throws', async () => {
  const { dir, cleanup } = tempDir('verify-files');
  try {
    const path = await makeDataset(dir);
    const images = join(dir, 'out', 'V', 'images');
    await rm(join(images, 'V__1.png'));
    await writePng(join(images, 'V__2.png'), { data: new Uint8Array(20), width: 5, height: 4, channels: 1 });
    const report = await verifyCoco(path);
    assert.deepEqual(report.problems.map((p) => p.kind).sort(), ['image-missing', 'image-size']);
    assert.match(report.problems.find((p) => p.kind === 'image-size')!.message, /V__2\.png is 5×4, recorded 10×6/);
    assert.throws(
      () => assertVerified(report),
      (error: unknown) => error instanceof VerificationError && /2 problem\(s\)/.test(error.message),
    );
    await writeFile(join(images, 'V__2.png'), 'not a png at all, just text padding');
    const again = await verifyCoco(path);
    assert.match(again.problems.find((p) => p.kind === 'image-size')!.message, /is not a PNG file/);
    assert.equal((await verifyCoco(path, { skipImages: true })).ok, true);
  } finally {
    cleanup();
  }
});

test('a file that is not COCO is reported by name', async () => {
  const { dir, cleanup } = tempDir('verify-bad');
  try {
    const path = join(dir, 'x.coco.json');
    await writeFile(path, '{"images": {}}');
    await assert.rejects(verifyCoco(path), /x\.coco\.json is not a COCO file: "images" is not an array/);
    await writeCoco(path, { info: {}, images: [], annotations: [], categories: [] });
    assert.deepEqual((await verifyCoco(path)).problems, [{ kind: 'empty', message: 'holds no images' }], 'a COCO file without images is a problem');
    await writeCoco(path, { info: { split: 'val' }, images: [], annotations: [], categories: [] });
    assert.equal((await verifyCoco(path)).ok, true, 'an empty split file is not');
  } finally {
    cleanup();
  }
});
