import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readCoco } from '../../src/data/coco.js';
import { writeDataset } from '../../src/data/corpus.js';
import { exportReference } from '../../src/data/export_reference.js';
import { getDataset } from '../../src/data/registry.js';
import { splitDataset } from '../../src/data/split.js';
import { verifyCoco } from '../../src/data/verify.js';
import { checkReferenceLayout } from './reference_invariants.js';
import { sharedPath, skipWithoutShared } from '../helpers/shared.js';
import { tempDir } from '../helpers/temp_dir.js';

// The two smallest shared datasets, both with two structures; USGRA-Seg has an official test set.
const SHARED = [
  { folder: 'psfhs', name: 'PSFHS' },
  { folder: 'usgra_seg', name: 'USGRA-Seg' },
];

const skip = skipWithoutShared('the real PSFHS and USGRA-Seg files', ...SHARED.map((d) => `data/ultrasound/${d.folder}/`));

test('export-reference on a corpus converted from ../shared: the reference layout, every invariant holds', { skip }, async (t) => {
  const raws = SHARED.map((d) => ({ ...d, raw: sharedPath(`data/ultrasound/${d.folder}/`) }));
  const { dir, cleanup } = tempDir('real-export-ref');
  try {
    const corpus = join(dir, 'corpus');
    for (const { name, raw } of raws) {
      await writeDataset(getDataset(name), raw, corpus);
      await splitDataset(join(corpus, name), name, { seed: 0 });
    }
    const out = join(dir, 'UltraSAM');
    const report = await exportReference(corpus, out);
    t.diagnostic(`${report.files.length} dataset files, ${report.imagesLinked} images linked, ${report.imagesCopied} copied, ${report.seconds.toFixed(2)} s`);

    const invariants = await checkReferenceLayout(out);
    assert.deepEqual(invariants.problems, []);
    assert.equal(invariants.files.length, 3 + 2 * 3);
    for (const split of ['train', 'val', 'test'] as const) {
      // The project's own checker agrees (areas, boxes, canonical RLE, files and sizes).
      const merged = join(out, `${split}.agnostic.noSmall.coco.json`);
      const verified = await verifyCoco(merged);
      assert.ok(
        verified.ok,
        verified.problems
          .slice(0, 3)
          .map((p) => p.message)
          .join('; '),
      );
      for (const { name } of SHARED) {
        const datasetFile = join(out, name, 'annotations', `${split}.agnostic.${name}__coco.json`);
        assert.ok((await verifyCoco(datasetFile, { imagesRoot: join(out, name, 'images') })).ok, datasetFile);
      }
      // Everything of the corpus split is there, once, in corpus order.
      const parts = await Promise.all(SHARED.map(({ name }) => readCoco(join(corpus, name, `${name}.${split}.coco.json`))));
      const coco = await readCoco(merged);
      assert.deepEqual(
        coco.images.map((i) => i.file_name),
        SHARED.flatMap(({ name }, k) => parts[k].images.map((i) => `${name}/${i.file_name}`)),
      );
      assert.equal(
        coco.annotations.length,
        parts.reduce((n, p) => n + p.annotations.length, 0),
      );
      assert.deepEqual([...new Set(coco.annotations.map((a) => a.structure))].sort(), [...new Set(parts.flatMap((p) => p.categories.map((c) => c.name)))].sort());
    }
    const usgraTest = await readCoco(join(out, 'USGRA-Seg', 'annotations', 'test.agnostic.USGRA-Seg__coco.json'));
    assert.equal(usgraTest.images.length, 40); // the official test set
    assert.equal(report.imagesLinked + report.imagesCopied, 100 + 244);
  } finally {
    cleanup();
  }
});
