import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCoco } from '../../src/data/coco.js';
import { writeDataset } from '../../src/data/corpus.js';
import { finishedDatasets, mergeCorpus } from '../../src/data/merge.js';
import { splitDataset } from '../../src/data/split.js';
import { verifyCoco } from '../../src/data/verify.js';
import { fakeDataset, syntheticSample, tempDir } from './helpers.js';

/** Corpus with A (lesion, organ; 4 images) and B (lesion, vessel; 3 images). */
async function corpus(dir: string): Promise<string> {
  const out = join(dir, 'corpus');
  const a = fakeDataset('A', ['lesion', 'organ'], async function* () {
    for (let i = 0; i < 4; i++) {
      yield syntheticSample(8, 8, i < 2 ? { lesion: [[0, 0, 2, 2]], organ: [[4, 4, 4, 4]] } : { lesion: [[1, 1, 2, 2]] }, { index: i, patient: `p${i}` });
    }
  });
  const b = fakeDataset('B', ['lesion', 'vessel'], async function* () {
    for (let i = 0; i < 3; i++) yield syntheticSample(6, 5, i === 0 ? { vessel: [[0, 0, 1, 1], [3, 3, 2, 2]] } : { lesion: [[2, 2, 2, 2]] }, { index: i });
  });
  await writeDataset(a, dir, out);
  await writeDataset(b, dir, out);
  return out;
}

test('agnostic merge: one category, dataset-prefixed paths, ids renumbered, verifies', async () => {
  const { dir, cleanup } = await tempDir('merge');
  try {
    const out = await corpus(dir);
    assert.deepEqual(await finishedDatasets(out), ['A', 'B']);
    const path = join(out, 'all.agnostic.coco.json');
    const report = await mergeCorpus(out, path, { mode: 'agnostic' });
    assert.deepEqual([report.images, report.annotations, report.categories], [7, 10, ['object']]);
    const merged = await readCoco(path);
    assert.deepEqual(merged.images.map((i) => i.id), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(merged.annotations.map((a) => a.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(merged.images[4].file_name, 'B/images/B__0.png');
    assert.equal(merged.images[4].dataset, 'B');
    assert.ok(merged.annotations.every((a) => a.category_id === 1));
    assert.deepEqual([...new Set(merged.annotations.map((a) => a.structure))].sort(), ['lesion', 'organ', 'vessel']);
    assert.deepEqual((await verifyCoco(path)).problems, []);
  } finally {
    await cleanup();
  }
});

test('per-structure merge shares categories by name; exclude/only structure sets', async () => {
  const { dir, cleanup } = await tempDir('merge-structure');
  try {
    const out = await corpus(dir);
    const path = join(out, 'all.structure.coco.json');
    const report = await mergeCorpus(out, path, { mode: 'structure' });
    assert.deepEqual(report.categories, ['lesion', 'organ', 'vessel']);
    const merged = await readCoco(path);
    const lesions = merged.annotations.filter((a) => a.category_id === 1);
    assert.equal(lesions.length, 6); // 4 from A, 2 from B: one shared category
    const without = await mergeCorpus(out, join(out, 'no-vessel.coco.json'), { mode: 'structure', excludeStructures: ['vessel'] });
    assert.deepEqual([without.images, without.categories], [6, ['lesion', 'organ']]);
    assert.equal(without.datasets.find((d) => d.name === 'B')!.droppedImages, 1);
    const only = await mergeCorpus(out, join(out, 'vessel.coco.json'), { mode: 'structure', onlyStructures: ['vessel'] });
    assert.deepEqual([only.images, only.annotations, only.categories], [1, 2, ['vessel']]);
    assert.ok((await verifyCoco(join(out, 'no-vessel.coco.json'))).ok);
  } finally {
    await cleanup();
  }
});

test('merging split files needs the splits; a partial merge file is never left behind', async () => {
  const { dir, cleanup } = await tempDir('merge-split');
  try {
    const out = await corpus(dir);
    await assert.rejects(mergeCorpus(out, join(out, 'train.coco.json'), { mode: 'agnostic', split: 'train' }), /A\.train\.coco\.json does not exist \(run `data split` first\)/);
    await splitDataset(join(out, 'A'), 'A', { seed: 0 });
    await splitDataset(join(out, 'B'), 'B', { seed: 0 });
    const train = await mergeCorpus(out, join(out, 'train.coco.json'), { mode: 'agnostic', split: 'train' });
    const val = await mergeCorpus(out, join(out, 'val.coco.json'), { mode: 'agnostic', split: 'val' });
    const test = await mergeCorpus(out, join(out, 'test.coco.json'), { mode: 'agnostic', split: 'test' });
    assert.equal(train.images + val.images + test.images, 7);
    await assert.rejects(mergeCorpus(out, join(out, 'x.coco.json'), { mode: 'agnostic', datasets: ['A', 'Nope'] }), /Nope\.coco\.json does not exist/);
    assert.deepEqual((await finishedDatasets(out)).length, 2);
    assert.ok(!readdirSync(out).some((f) => f.includes('.partial-')));
  } finally {
    await cleanup();
  }
});
