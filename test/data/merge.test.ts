import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCoco } from '../../src/data/coco.js';
import { writeDataset } from '../../src/data/corpus.js';
import { finishedDatasets, mergeCorpus } from '../../src/data/merge.js';
import { splitDataset } from '../../src/data/split.js';
import { verifyCoco } from '../../src/data/verify.js';
import { fakeDataset, syntheticSample } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

/**
 * Corpus of three registered datasets under their own category names: S1 (benign_tumour,
 * malignant_tumour → breast_lesion; 3 images), Segthy (thyroid → thyroid_gland, carotid →
 * carotid_artery; 4 images) and TG3K (thyroid_gland; 2 images).
 */
async function corpus(dir: string): Promise<string> {
  const out = join(dir, 'corpus');
  const s1 = fakeDataset('S1', ['benign_tumour', 'malignant_tumour'], async function* () {
    for (let i = 0; i < 3; i++)
      yield syntheticSample(
        6,
        5,
        i === 0
          ? {
              malignant_tumour: [
                [0, 0, 1, 1],
                [3, 3, 2, 2],
              ],
            }
          : { benign_tumour: [[2, 2, 2, 2]] },
        { index: i },
      );
  });
  const segthy = fakeDataset('Segthy', ['thyroid', 'carotid'], async function* () {
    for (let i = 0; i < 4; i++) {
      yield syntheticSample(8, 8, i < 2 ? { thyroid: [[0, 0, 2, 2]], carotid: [[4, 4, 4, 4]] } : { thyroid: [[1, 1, 2, 2]] }, { index: i, patient: `p${i}` });
    }
  });
  const tg3k = fakeDataset('TG3K', ['thyroid_gland'], async function* () {
    for (let i = 0; i < 2; i++) yield syntheticSample(8, 8, { thyroid_gland: [[0, 0, 3, 3]] }, { index: i });
  });
  for (const module of [s1, segthy, tg3k]) await writeDataset(module, dir, out);
  return out;
}

test('agnostic merge: one category, dataset-prefixed paths, ids renumbered, canonical structure and own category kept, verifies', async () => {
  const { dir, cleanup } = tempDir('merge');
  try {
    const out = await corpus(dir);
    assert.deepEqual(await finishedDatasets(out), ['S1', 'Segthy', 'TG3K']);
    const path = join(out, 'all.agnostic.coco.json');
    const report = await mergeCorpus(out, path, { mode: 'agnostic' });
    assert.deepEqual([report.images, report.annotations, report.categories], [9, 12, ['object']]);
    const merged = await readCoco(path);
    assert.deepEqual(
      merged.images.map((i) => i.id),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.deepEqual(
      merged.annotations.map((a) => a.id),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    );
    assert.equal(merged.images[0].file_name, 'S1/images/S1__0.png');
    assert.equal(merged.images[0].dataset, 'S1');
    assert.ok(merged.annotations.every((a) => a.category_id === 1));
    assert.deepEqual([...new Set(merged.annotations.map((a) => a.structure))].sort(), ['breast_lesion', 'carotid_artery', 'thyroid_gland']);
    assert.deepEqual([...new Set(merged.annotations.map((a) => `${a.category} → ${a.structure}`))].sort(), [
      'benign_tumour → breast_lesion',
      'carotid → carotid_artery',
      'malignant_tumour → breast_lesion',
      'thyroid → thyroid_gland',
      'thyroid_gland → thyroid_gland',
    ]);
    assert.deepEqual((await verifyCoco(path)).problems, []);
  } finally {
    cleanup();
  }
});

test('per-structure merge: one category per canonical structure across datasets; exclude/only by canonical name', async () => {
  const { dir, cleanup } = tempDir('merge-structure');
  try {
    const out = await corpus(dir);
    const path = join(out, 'all.structure.coco.json');
    const report = await mergeCorpus(out, path, { mode: 'structure' });
    assert.deepEqual(report.categories, ['breast_lesion', 'carotid_artery', 'thyroid_gland']);
    const merged = await readCoco(path);
    assert.deepEqual(
      merged.categories.map((c) => [c.id, c.name]),
      [
        [1, 'breast_lesion'],
        [2, 'carotid_artery'],
        [3, 'thyroid_gland'],
      ],
    );
    const count = (id: number) => merged.annotations.filter((a) => a.category_id === id).length;
    // S1's benign and malignant tumours are one category; Segthy's thyroid and TG3K's thyroid_gland another.
    assert.deepEqual([count(1), count(2), count(3)], [4, 2, 6]);
    assert.deepEqual([...new Set(merged.annotations.filter((a) => a.category_id === 3).map((a) => a.category))].sort(), ['thyroid', 'thyroid_gland']);
    const without = await mergeCorpus(out, join(out, 'no-carotid.coco.json'), { mode: 'structure', excludeStructures: ['carotid_artery'] });
    assert.deepEqual([without.images, without.categories], [7, ['breast_lesion', 'thyroid_gland']]);
    assert.equal(without.datasets.find((d) => d.name === 'Segthy')!.droppedImages, 2);
    const only = await mergeCorpus(out, join(out, 'breast.coco.json'), { mode: 'structure', onlyStructures: ['breast_lesion'] });
    assert.deepEqual([only.images, only.annotations, only.categories], [3, 4, ['breast_lesion']]);
    assert.ok((await verifyCoco(join(out, 'no-carotid.coco.json'))).ok);
    // A dataset's own category name is not a structure: the error points to the canonical one.
    await assert.rejects(
      mergeCorpus(out, join(out, 'x.coco.json'), { mode: 'structure', excludeStructures: ['carotid'] }),
      /--exclude-structure: unknown structure "carotid": "carotid" is a dataset category; its canonical structure is carotid_artery/,
    );
    assert.equal(existsSync(join(out, 'x.coco.json')), false);
  } finally {
    cleanup();
  }
});

test('a dataset folder or category the taxonomy does not map stops the merge, naming it, and writes nothing', async () => {
  const { dir, cleanup } = tempDir('merge-unmapped');
  try {
    const out = await corpus(dir);
    await writeDataset(
      fakeDataset('Mystery', ['lesion'], async function* () {
        yield syntheticSample(8, 8, { lesion: [[1, 1, 2, 2]] });
      }),
      dir,
      out,
    );
    const path = join(out, 'all.coco.json');
    await assert.rejects(mergeCorpus(out, path, { mode: 'agnostic' }), /Mystery[/\\]Mystery\.coco\.json: dataset "Mystery" is not in the structure taxonomy/);
    // A corpus converted when DDTI's category had another name.
    await writeDataset(
      fakeDataset('DDTI', ['nodule'], async function* () {
        yield syntheticSample(8, 8, { nodule: [[1, 1, 2, 2]] });
      }),
      dir,
      out,
    );
    await assert.rejects(
      mergeCorpus(out, path, { mode: 'structure', datasets: ['DDTI', 'S1'] }),
      /DDTI\.coco\.json: category "nodule" of DDTI has no canonical structure; DDTI's categories are thyroid_nodule/,
    );
    assert.ok(!readdirSync(out).some((f) => f.endsWith('.coco.json') || f.includes('.partial-')), 'a merged or partial file was left');
  } finally {
    cleanup();
  }
});

test('merging split files needs the splits; a partial merge file is never left behind', async () => {
  const { dir, cleanup } = tempDir('merge-split');
  try {
    const out = await corpus(dir);
    await assert.rejects(mergeCorpus(out, join(out, 'train.coco.json'), { mode: 'agnostic', split: 'train' }), /S1\.train\.coco\.json does not exist \(run `data split` first\)/);
    for (const name of ['S1', 'Segthy', 'TG3K']) await splitDataset(join(out, name), name, { seed: 0 });
    const train = await mergeCorpus(out, join(out, 'train.coco.json'), { mode: 'agnostic', split: 'train' });
    const val = await mergeCorpus(out, join(out, 'val.coco.json'), { mode: 'agnostic', split: 'val' });
    const test = await mergeCorpus(out, join(out, 'test.coco.json'), { mode: 'agnostic', split: 'test' });
    assert.equal(train.images + val.images + test.images, 9);
    await assert.rejects(mergeCorpus(out, join(out, 'x.coco.json'), { mode: 'agnostic', datasets: ['S1', 'Nope'] }), /Nope\.coco\.json does not exist/);
    assert.deepEqual((await finishedDatasets(out)).length, 3);
    assert.ok(!readdirSync(out).some((f) => f.includes('.partial-')));
  } finally {
    cleanup();
  }
});
