// Classification data sources (folder, CSV, COCO labels) and every bad input's error message.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseClassMap } from '../../src/downstream/classes.js';
import { finetuneClassifier } from '../../src/downstream/classify.js';
import { loadClassificationData } from '../../src/downstream/samples.js';
import { holdOutSplit } from '../../src/downstream/split.js';
import { tinyConfig, writeGreyPng, writeStripeFolders } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('ds-data');
after(cleanup);
const folders = join(dir, 'folders');
await writeStripeFolders(folders, 3);

test('a folder per class: classes sorted, every image labelled by its folder', async () => {
  const d = await loadClassificationData(folders);
  assert.deepEqual(d.classes, ['horizontal', 'vertical']);
  assert.equal(d.samples.length, 6);
  assert.ok(d.samples.every((s) => s.path.includes(`/${s.label}/`)));
});

test('a class folder with no images is named in the error', async () => {
  const root = join(dir, 'empty-class');
  await writeStripeFolders(root, 2);
  mkdirSync(join(root, 'nodules'));
  writeFileSync(join(root, 'nodules', 'notes.txt'), 'not an image');
  await assert.rejects(loadClassificationData(root), /class 'nodules' has no images: .*empty-class\/nodules/);
});

test('a CSV of path,label[,patient]: header skipped, relative paths, mapping applied', async () => {
  const csv = join(dir, 'labels.csv');
  writeFileSync(csv, 'path,label,patient\nfolders/horizontal/0.png,2,A\nfolders/horizontal/1.png,3,A\nfolders/vertical/0.png,4a,B\nfolders/vertical/1.png,5,C\n');
  const d = await loadClassificationData(csv, { classes: 'benign=2,3;malignant=4a,4b,4c,5' });
  assert.deepEqual(d.classes, ['benign', 'malignant']);
  assert.deepEqual(
    d.samples.map((s) => [s.label, s.patient]),
    [
      ['benign', 'A'],
      ['benign', 'A'],
      ['malignant', 'B'],
      ['malignant', 'C'],
    ],
  );
});

test('CSV labels absent or not in the classes are named with their line, unless dropped', async () => {
  const csv = join(dir, 'bad.csv');
  writeFileSync(csv, 'folders/horizontal/0.png,2\nfolders/horizontal/1.png,\nfolders/vertical/0.png,4a\nfolders/vertical/1.png,6\n');
  const classes = 'benign=2,3;malignant=4a,4b,4c,5';
  await assert.rejects(loadClassificationData(csv, { classes }), (e: Error) => {
    assert.match(e.message, /'\(no label\)' \(1 image\(s\), first at .*bad\.csv line 2\)/);
    assert.match(e.message, /'6' \(1 image\(s\), first at .*bad\.csv line 4\)/);
    assert.match(e.message, /--drop-unmapped/);
    return true;
  });
  const kept = await loadClassificationData(csv, { classes, dropUnmapped: true });
  assert.equal(kept.samples.length, 2);
});

test('a CSV row whose image is missing names the file and the line', async () => {
  const csv = join(dir, 'missing.csv');
  writeFileSync(csv, 'folders/horizontal/0.png,a\nfolders/nowhere.png,b\n');
  await assert.rejects(loadClassificationData(csv), /missing\.csv line 2: image file not found: .*nowhere\.png/);
});

test('a class of the mapping with no images is named', async () => {
  const csv = join(dir, 'oneclass.csv');
  writeFileSync(csv, 'folders/horizontal/0.png,2\nfolders/horizontal/1.png,3\n');
  await assert.rejects(loadClassificationData(csv, { classes: 'benign=2,3;malignant=4a,5' }), /class 'malignant' has no images/);
});

test('a bad --classes spec is explained', () => {
  assert.throws(() => parseClassMap('benign'), /'benign' is not of the form name=value1,value2/);
  assert.throws(() => parseClassMap('a=1;b=1'), /label value '1' is in both 'a' and 'b'/);
  assert.throws(() => parseClassMap('a=1,2'), /at least 2/);
});

test('an image that fails to decode is named', async () => {
  const root = join(dir, 'corrupt');
  await writeStripeFolders(root, 3);
  writeFileSync(join(root, 'vertical', 'broken.png'), 'this is not a png');
  await assert.rejects(
    finetuneClassifier({ data: root, init: 'random', randomConfig: tinyConfig(), mode: 'linear', epochs: 1, threads: 1, testFraction: 0.01 }),
    /cannot decode image .*vertical\/broken\.png/,
  );
});

test('COCO image labels with a mapping; unlabelled images need --drop-unmapped; patients split as groups', async () => {
  const root = join(dir, 'coco');
  mkdirSync(join(root, 'images'), { recursive: true });
  const grades = ['2', '3', '4a', '4b', '5', 'None', '2', '4c', '3', '5', '2', '4a'];
  const images = [];
  for (let i = 0; i < grades.length; i++) {
    await writeGreyPng(join(root, 'images', `${i}.png`), new Uint8Array(16 * 16).fill(i * 10), 16);
    images.push({ id: i + 1, file_name: `images/${i}.png`, width: 16, height: 16, patient: `p${i >> 1}`, labels: { tirads: grades[i], sex: 'F' } });
  }
  const coco = join(root, 'x.coco.json');
  writeFileSync(coco, JSON.stringify({ info: {}, images, annotations: [], categories: [] }));
  const classes = 'benign=2,3;malignant=4a,4b,4c,5';
  await assert.rejects(loadClassificationData(coco), /needs --label-field/);
  await assert.rejects(loadClassificationData(coco, { labelField: 'birads' }), /no image has the label 'birads' \(labels present: tirads, sex\)/);
  await assert.rejects(loadClassificationData(coco, { labelField: 'tirads', classes }), /'\(no label\)' \(1 image\(s\), first at .*image 6 \(images\/5\.png\)\)/);
  const d = await loadClassificationData(coco, { labelField: 'tirads', classes, dropUnmapped: true });
  assert.equal(d.samples.length, 11);
  assert.equal(d.samples.filter((s) => s.label === 'malignant').length, 6);
  const split = holdOutSplit(d.samples, 3, 0.3);
  const side = new Map<string, string>();
  for (const [part, idx] of [
    ['train', split.train],
    ['test', split.test],
  ] as const) {
    for (const i of idx) {
      const p = d.samples[i].patient!;
      assert.ok(!side.has(p) || side.get(p) === part, `patient ${p} is in train and test`);
      side.set(p, part);
    }
  }
  assert.equal(split.groupedBy, 'patient');
  assert.deepEqual(new Set(split.test.map((i) => d.samples[i].label)), new Set(['benign', 'malignant']), 'both classes held out');
  assert.deepEqual(holdOutSplit(d.samples, 3, 0.3), split, 'seeded');
});

test('a given test set replaces the split; a patient in both sets is refused by name', async () => {
  const rows = (names: [string, string, string][]) => names.map(([f, l, p]) => `folders/${f},${l},${p}`).join('\n') + '\n';
  const train = join(dir, 'train.csv');
  const heldOut = join(dir, 'test.csv');
  writeFileSync(
    train,
    rows([
      ['horizontal/0.png', 'h', 'A'],
      ['horizontal/1.png', 'h', 'B'],
      ['vertical/0.png', 'v', 'C'],
      ['vertical/1.png', 'v', 'D'],
    ]),
  );
  writeFileSync(
    heldOut,
    rows([
      ['horizontal/2.png', 'h', 'E'],
      ['vertical/2.png', 'v', 'F'],
    ]),
  );
  const r = await finetuneClassifier({ data: train, test: heldOut, init: 'random', randomConfig: tinyConfig(), mode: 'linear', epochs: 1, threads: 1 });
  assert.equal(r.split_grouped_by, 'given test set');
  assert.deepEqual([r.train_images, r.test_images], [4, 2]);
  writeFileSync(
    heldOut,
    rows([
      ['horizontal/2.png', 'h', 'E'],
      ['vertical/2.png', 'v', 'C'],
    ]),
  );
  await assert.rejects(
    finetuneClassifier({ data: train, test: heldOut, init: 'random', randomConfig: tinyConfig(), mode: 'linear', epochs: 1, threads: 1 }),
    /patient 'C' is in the training data and in the test set \(.*vertical\/2\.png\)/,
  );
});
