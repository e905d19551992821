import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { readCoco, writeCoco, type CocoAnnotation, type CocoFile, type CocoImage } from '../../src/data/coco.js';
import { planSplit, splitDataset, type SplitName } from '../../src/data/split.js';
import { tempDir } from '../helpers/temp_dir.js';

/** 60 patients × 3 images; category 1 everywhere, category 2 ("rare") only on patients 7 and 42. */
function cohort(options: { officialTestPatients?: number[]; rarePatients?: number[] } = {}): CocoFile {
  const images: CocoImage[] = [];
  const annotations: CocoAnnotation[] = [];
  const rare = new Set(options.rarePatients ?? [7, 42]);
  for (let p = 0; p < 60; p++) {
    for (let k = 0; k < 3; k++) {
      const id = p * 3 + k + 1;
      const image: CocoImage = { id, file_name: `images/X__${p}__${k}.png`, width: 4, height: 4, patient: `P${p}` };
      if (options.officialTestPatients?.includes(p)) image.official_split = 'test';
      images.push(image);
      const segmentation = { size: [4, 4] as [number, number], counts: '0g0' };
      annotations.push({ id: annotations.length + 1, image_id: id, category_id: 1, segmentation, area: 16, bbox: [0, 0, 4, 4], iscrowd: 0 });
      if (rare.has(p) && k === 0) {
        annotations.push({ id: annotations.length + 1, image_id: id, category_id: 2, segmentation, area: 16, bbox: [0, 0, 4, 4], iscrowd: 0 });
      }
    }
  }
  return {
    info: {},
    images,
    annotations,
    categories: [
      { id: 1, name: 'common', supercategory: 'common' },
      { id: 2, name: 'rare', supercategory: 'rare' },
    ],
  };
}

function splitsOfPatients(coco: CocoFile, assignment: Map<number, SplitName>): Map<string, Set<SplitName>> {
  const result = new Map<string, Set<SplitName>>();
  for (const image of coco.images) {
    const set = result.get(image.patient!) ?? new Set<SplitName>();
    set.add(assignment.get(image.id)!);
    result.set(image.patient!, set);
  }
  return result;
}

test('patient-level: no patient on two sides; shares close to the fractions', () => {
  const coco = cohort();
  const plan = planSplit(coco, 'X', { seed: 3 });
  assert.equal(plan.groupedBy, 'patient');
  for (const [patient, splits] of splitsOfPatients(coco, plan.assignment)) assert.equal(splits.size, 1, patient);
  const counts = { train: 0, val: 0, test: 0 };
  for (const split of plan.assignment.values()) counts[split]++;
  assert.deepEqual(counts, { train: 144, val: 18, test: 18 });
});

test('deterministic: same seed → same split whatever the input order; another seed → another split', () => {
  const coco = cohort();
  const a = planSplit(coco, 'X', { seed: 1 });
  const reversed = { ...coco, images: [...coco.images].reverse(), annotations: [...coco.annotations].reverse() };
  const b = planSplit(reversed, 'X', { seed: 1 });
  assert.deepEqual([...a.assignment].sort(), [...b.assignment].sort());
  const c = planSplit(coco, 'X', { seed: 2 });
  assert.notDeepEqual([...a.assignment].sort(), [...c.assignment].sort());
});

test('every category in train and val when two patients have it', () => {
  for (let seed = 0; seed < 10; seed++) {
    const coco = cohort();
    const plan = planSplit(coco, 'X', { seed });
    const rareSplits = new Set(coco.annotations.filter((a) => a.category_id === 2).map((a) => plan.assignment.get(a.image_id)));
    assert.deepEqual([...rareSplits].sort(), ['train', 'val'], `seed ${seed}`);
    assert.deepEqual(plan.notes, []);
  }
});

test('a category on one patient only is reported as impossible', () => {
  const plan = planSplit(cohort({ rarePatients: [5] }), 'X', { seed: 0 });
  assert.deepEqual(plan.notes, ['category "rare" is in 1 group(s) outside the test set: it cannot be in both train and val']);
});

test('official test kept as test; the rest split into train and val only', () => {
  const officialTestPatients = [0, 1, 2, 3, 4, 5];
  const coco = cohort({ officialTestPatients });
  const plan = planSplit(coco, 'X', { seed: 0 });
  assert.equal(plan.officialTest, true);
  for (const image of coco.images) {
    const expectTest = officialTestPatients.includes(Number(image.patient!.slice(1)));
    assert.equal(plan.assignment.get(image.id) === 'test', expectTest, image.file_name);
  }
  const val = [...plan.assignment.values()].filter((s) => s === 'val').length;
  assert.equal(val, 18); // 162 pool images × 0.1 / 0.9
});

test('images without patients are split one by one', () => {
  const coco = cohort();
  for (const image of coco.images) delete image.patient;
  const plan = planSplit(coco, 'X', { seed: 0, fractions: { train: 0.5, val: 0.25, test: 0.25 } });
  assert.equal(plan.groupedBy, 'image');
  const counts = { train: 0, val: 0, test: 0 };
  for (const split of plan.assignment.values()) counts[split]++;
  assert.deepEqual(counts, { train: 90, val: 45, test: 45 });
});

test('splitDataset writes the three files, which partition the dataset', async () => {
  const { dir, cleanup } = tempDir('split');
  try {
    const coco = cohort();
    await mkdir(join(dir, 'X'));
    await writeCoco(join(dir, 'X', 'X.coco.json'), coco);
    const report = await splitDataset(join(dir, 'X'), 'X', { seed: 5 });
    const parts = await Promise.all((['train', 'val', 'test'] as const).map((s) => readCoco(join(dir, 'X', `X.${s}.coco.json`))));
    const ids = parts.flatMap((p) => p.images.map((i) => i.id)).sort((a, b) => a - b);
    assert.deepEqual(
      ids,
      coco.images.map((i) => i.id),
    );
    assert.equal(
      parts.reduce((n, p) => n + p.annotations.length, 0),
      coco.annotations.length,
    );
    assert.deepEqual(report.counts.val, { images: parts[1].images.length, annotations: parts[1].annotations.length, patients: 6 });
    assert.equal(parts[0].info.split, 'train');
  } finally {
    cleanup();
  }
});
