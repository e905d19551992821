import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerDataCommands } from '../../src/cli/data.js';
import { readCoco } from '../../src/data/coco.js';
import { writeDataset } from '../../src/data/corpus.js';
import { exportReference, keepLargeAnnotations, REFERENCE_COMMIT } from '../../src/data/export_reference.js';
import { splitDataset } from '../../src/data/split.js';
import type { ConvertedSample } from '../../src/data/types.js';
import { runCli } from '../cli/in_process.js';
import { fakeDataset, syntheticSample } from './helpers.js';
import { checkReferenceLayout } from './reference_invariants.js';
import { tempDir } from '../helpers/temp_dir.js';

type Rect = [number, number, number, number];

/** A synthetic corpus: "DDTI" (trainable) and "MMOTU-2D" (evaluation-only in the registry), both split. */
async function syntheticCorpus(corpus: string, options: { splitMmotu?: boolean } = {}): Promise<void> {
  const ddti = fakeDataset('DDTI', ['thyroid_nodule'], async function* () {
    for (let i = 0; i < 12; i++) {
      const rects: Rect[] = [[2 + i, 3, 10, 8]];
      if (i % 3 === 0) rects.push([30, 20, 4, 5]); // a second component: two annotations
      yield syntheticSample(48, 40, { thyroid_nodule: rects }, { index: i, patient: `p${i % 6}`, sourceFile: `raw/${i}.png` });
    }
  });
  // MMOTU test images: a large lesion with a small fragment (dropped by the reference's rule), two
  // equal lesions (both kept), and 20×20 beside 19×20 (380 ≥ 0.95 × 400: both kept).
  const testImages: Rect[][] = [
    [
      [4, 4, 20, 20],
      [40, 30, 3, 3],
    ],
    [
      [4, 4, 10, 10],
      [30, 20, 10, 10],
    ],
    [
      [2, 2, 20, 20],
      [30, 2, 19, 20],
    ],
  ];
  const mmotu = fakeDataset('MMOTU-2D', ['ovarian_tumour'], async function* () {
    for (let i = 0; i < 6; i++) {
      const sample: ConvertedSample = syntheticSample(56, 44, { ovarian_tumour: [[5, 5, 12 + i, 9]] }, { index: `train${i}`, sourceFile: `t${i}.png` });
      yield sample;
    }
    for (const [i, rects] of testImages.entries()) {
      yield syntheticSample(56, 44, { ovarian_tumour: rects }, { index: `test${i}`, sourceFile: `v${i}.png`, officialSplit: 'test' });
    }
  });
  await mkdir(corpus, { recursive: true }); // also the converters' (unused) raw folder
  for (const module of [ddti, mmotu]) await writeDataset(module, corpus, corpus);
  await splitDataset(join(corpus, 'DDTI'), 'DDTI', { seed: 0 });
  if (options.splitMmotu !== false) await splitDataset(join(corpus, 'MMOTU-2D'), 'MMOTU-2D', { seed: 0 });
}

test('keepLargeAnnotations keeps, per image, what reaches 0.95 × the image largest area', () => {
  const annotations = [
    { id: 1, image_id: 1, area: 400 },
    { id: 2, image_id: 1, area: 379 },
    { id: 3, image_id: 1, area: 380 },
    { id: 4, image_id: 2, area: 9 }, // alone in its image: the largest of image 2
    { id: 5, image_id: 3, area: 50 },
    { id: 6, image_id: 3, area: 50 },
  ];
  assert.deepEqual(
    keepLargeAnnotations(annotations, 0.95).map((a) => a.id),
    [1, 3, 4, 5, 6],
  );
});

test('export-reference writes the reference layout from a synthetic corpus', async () => {
  const { dir, cleanup } = tempDir('export-ref');
  try {
    const corpus = join(dir, 'corpus');
    await syntheticCorpus(corpus);
    const out = join(dir, 'UltraSAM');
    const report = await exportReference(corpus, out);

    // Layout and names as the reference's configs read them.
    assert.deepEqual(readdirSync(out).sort(), ['DDTI', 'EXPORT.json', 'MMOTU_2d', 'test.agnostic.noSmall.coco.json', 'train.agnostic.noSmall.coco.json', 'val.agnostic.noSmall.coco.json']);
    assert.deepEqual(readdirSync(join(out, 'DDTI', 'annotations')).sort(), ['test.agnostic.DDTI__coco.json', 'train.agnostic.DDTI__coco.json', 'val.agnostic.DDTI__coco.json']);
    // Evaluation-only: its test file only, for zero-shot testing, and in no merge.
    assert.deepEqual(readdirSync(join(out, 'MMOTU_2d', 'annotations')), ['test.agnostic.MMOTU_2d__coco.json']);

    const invariants = await checkReferenceLayout(out);
    assert.deepEqual(invariants.problems, []);
    assert.equal(invariants.files.length, 7);

    // Merged ids run on through train, val and test: no id names two images (or annotations) across them.
    let firstImageId = 1;
    let firstAnnotationId = 1;
    for (const split of ['train', 'val', 'test'] as const) {
      const merged = await readCoco(join(out, `${split}.agnostic.noSmall.coco.json`));
      const part = await readCoco(join(corpus, 'DDTI', `DDTI.${split}.coco.json`));
      assert.equal(merged.images.length, part.images.length, split);
      assert.equal(merged.annotations.length, part.annotations.length, split);
      assert.deepEqual(
        merged.images.map((i) => i.id),
        merged.images.map((_, k) => firstImageId + k),
      );
      assert.deepEqual(
        merged.annotations.map((a) => a.id),
        merged.annotations.map((_, k) => firstAnnotationId + k),
      );
      firstImageId += merged.images.length;
      firstAnnotationId += merged.annotations.length;
      assert.deepEqual(
        merged.images.map((i) => i.file_name),
        part.images.map((i) => `DDTI/${i.file_name}`),
      );
      assert.ok(merged.annotations.every((a) => a.structure === 'thyroid_nodule'));
      assert.deepEqual(report.merged[split], { path: join(out, `${split}.agnostic.noSmall.coco.json`), images: part.images.length, annotations: part.annotations.length });
    }

    // The small-annotation rule, on MMOTU_2d's test file only: the one 3×3 fragment goes.
    const corpusTest = await readCoco(join(corpus, 'MMOTU-2D', 'MMOTU-2D.test.coco.json'));
    const mmotuTest = await readCoco(join(out, 'MMOTU_2d', 'annotations', 'test.agnostic.MMOTU_2d__coco.json'));
    assert.equal(corpusTest.annotations.length, 6);
    assert.deepEqual(
      mmotuTest.annotations.map((a) => a.area).sort((a, b) => a - b),
      [100, 100, 380, 400, 400],
    );
    assert.deepEqual(
      mmotuTest.images.map((i) => i.file_name),
      corpusTest.images.map((i) => i.file_name.replace(/^images\//, '')),
    );
    assert.equal(report.files.find((f) => f.folder === 'MMOTU_2d')!.droppedSmall, 1);
    assert.deepEqual(readdirSync(join(out, 'MMOTU_2d', 'images')).length, 3); // only the images it lists

    // Images are hard links to the corpus's PNGs.
    const image = mmotuTest.images[0].file_name;
    assert.equal(statSync(join(out, 'MMOTU_2d', 'images', image)).ino, statSync(join(corpus, 'MMOTU-2D', 'images', image)).ino);
    assert.equal(report.imagesCopied, 0);
    assert.equal(report.imagesLinked, 12 + 3);
    const manifest = JSON.parse(await readFile(join(out, 'EXPORT.json'), 'utf8'));
    assert.equal(manifest.reference, `CAMMA-public/UltraSam@${REFERENCE_COMMIT}`);

    // An existing export is kept unless forced; --force never replaces a folder that is not an export.
    await assert.rejects(exportReference(corpus, out), /exists \(use --force to replace it\)/);
    // Asked for: evaluation-only datasets are exported and merged like the others.
    const allowed = await exportReference(corpus, out, { force: true, allowEvaluationOnly: true });
    const train = await readCoco(join(out, 'train.agnostic.noSmall.coco.json'));
    const mmotuTrain = await readCoco(join(corpus, 'MMOTU-2D', 'MMOTU-2D.train.coco.json'));
    assert.equal(train.images.filter((i) => i.file_name.startsWith('MMOTU_2d/images/')).length, mmotuTrain.images.length);
    assert.ok(mmotuTrain.images.length > 0);
    assert.equal(allowed.datasets.find((d) => d.folder === 'MMOTU_2d')!.merged, true);
    assert.deepEqual((await checkReferenceLayout(out)).problems, []);
    await assert.rejects(exportReference(corpus, join(corpus, 'DDTI'), { force: true }), /is not an export \(no EXPORT\.json\): not replacing it/);
    assert.ok(existsSync(join(corpus, 'DDTI', 'DONE.json')));
  } finally {
    cleanup();
  }
});

test('export-reference stops before writing anything when a dataset is not split', async () => {
  const { dir, cleanup } = tempDir('export-ref-unsplit');
  try {
    const corpus = join(dir, 'corpus');
    await syntheticCorpus(corpus, { splitMmotu: false });
    const out = join(dir, 'out');
    await assert.rejects(exportReference(corpus, out), /split files missing \(run `ultrasam data split .*` first\): .*MMOTU-2D\.test\.coco\.json/);
    assert.deepEqual(readdirSync(dir), ['corpus']); // no export, no partial folder
    // Only DDTI asked for: fine.
    const report = await exportReference(corpus, out, { datasets: ['DDTI'] });
    assert.deepEqual(
      report.datasets.map((d) => d.folder),
      ['DDTI'],
    );
    assert.deepEqual((await checkReferenceLayout(out)).problems, []);
  } finally {
    cleanup();
  }
});

test('export-reference refuses corpus files that would export wrongly, naming the file', async () => {
  const { dir, cleanup } = tempDir('export-ref-bad');
  try {
    const corpus = join(dir, 'corpus');
    await syntheticCorpus(corpus);
    const file = join(corpus, 'DDTI', 'DDTI.val.coco.json');
    const original = await readFile(file, 'utf8');
    const cases: [string, (coco: { images: { id: number; file_name: string }[]; annotations: { id: number }[] }) => void, RegExp][] = [
      ['escaping file_name', (c) => void (c.images[0].file_name = 'images/../../x.png'), /image \d+ has file_name "images\/..\/..\/x.png", expected "images\/<file>"/],
      ['listed twice', (c) => void c.images.push({ ...c.images[0], id: 999 }), /image file images\/.* is listed twice/],
      ['id 0', (c) => void (c.annotations[0].id = 0), /an annotation has id 0, expected a positive integer/],
    ];
    for (const [what, breakIt, message] of cases) {
      const coco = JSON.parse(original);
      breakIt(coco);
      await writeFile(file, JSON.stringify(coco));
      await assert.rejects(exportReference(corpus, join(dir, 'out')), (e: Error) => e.message.includes(file) && message.test(e.message), what);
      assert.deepEqual(readdirSync(dir), ['corpus'], what);
    }
  } finally {
    cleanup();
  }
});

test('the invariants check catches what CocoDataset and pycocotools would trip on', async () => {
  const { dir, cleanup } = tempDir('export-ref-broken');
  try {
    const corpus = join(dir, 'corpus');
    await syntheticCorpus(corpus);
    const out = join(dir, 'out');
    await exportReference(corpus, out);
    const file = join(out, 'train.agnostic.noSmall.coco.json');
    const coco = JSON.parse(await readFile(file, 'utf8'));
    const [x, y, w, h] = coco.annotations[0].bbox;
    coco.annotations[0].bbox = [x, y, x + w, y + h]; // x1, y1, x2, y2 instead of x, y, w, h
    coco.annotations[1].area += 1;
    coco.annotations[2].id = coco.annotations[3].id;
    coco.images[1].file_name = 'DDTI/images/missing.png';
    await writeFile(file, JSON.stringify(coco));
    const problems = (await checkReferenceLayout(out)).problems.join('\n');
    assert.match(problems, /annotation 1: bbox \[.*\], the mask's box is/);
    assert.match(problems, /annotation 2: area \d+, the RLE has \d+ pixels/);
    assert.match(problems, /annotation id 4 is used twice/);
    assert.match(problems, /missing\.png does not exist/);
  } finally {
    cleanup();
  }
});

test('data export-reference from the command line; --help names the reference commit', async () => {
  let help = '';
  const program = new Command('ultrasam').exitOverride().configureOutput({ writeOut: (s) => void (help += s), writeErr: () => {} });
  registerDataCommands(program);
  await assert.rejects(program.parseAsync(['node', 'ultrasam', 'data', 'export-reference', '--help']), (e: unknown) => e instanceof CommanderError);
  assert.match(help, new RegExp(`CAMMA-public/UltraSam at commit ${REFERENCE_COMMIT}`));
  assert.match(help, /--allow-evaluation-only/);

  const { dir, cleanup } = tempDir('export-ref-cli');
  try {
    const corpus = join(dir, 'corpus');
    await syntheticCorpus(corpus);
    const { out, code } = await runCli(registerDataCommands, ['data', 'export-reference', corpus, join(dir, 'out')]);
    assert.equal(code, 0);
    assert.match(out, /train\.agnostic\.noSmall\.coco\.json: \d+ images, \d+ annotations/);
    assert.match(out, /evaluation only \(test file, not merged\): MMOTU_2d/);
    assert.match(out, /2 datasets, 4 dataset files; images 15 linked, 0 copied/);
  } finally {
    cleanup();
  }
});
