import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeDataset } from '../../src/data/corpus.js';
import { drawPreview } from '../../src/data/preview.js';
import { readRaster } from '../../src/data/raster.js';
import { compositionTable, corpusStats, drawAreaHistogram, drawComposition, structureTable, UNMAPPED_ANATOMY } from '../../src/data/stats.js';
import { fakeDataset, syntheticSample } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

async function corpus(dir: string): Promise<string> {
  const out = join(dir, 'corpus');
  const module = fakeDataset('S', ['small', 'big'], async function* () {
    yield syntheticSample(
      40,
      30,
      {
        small: [
          [0, 0, 2, 2],
          [10, 10, 4, 4],
        ],
        big: [[0, 20, 40, 10]],
      },
      { index: 0, patient: 'a' },
    );
    yield syntheticSample(40, 30, { small: [[5, 5, 3, 3]] }, { index: 1, patient: 'b' });
    yield syntheticSample(40, 30, {}, { index: 2, patient: 'b' });
  });
  await writeDataset(module, dir, out);
  return out;
}

test('stats count per dataset and category, and bin areas by powers of two', async () => {
  const { dir, cleanup } = tempDir('stats');
  try {
    const stats = await corpusStats(await corpus(dir));
    assert.equal(stats.images, 3);
    assert.equal(stats.annotations, 4);
    const [s] = stats.datasets;
    assert.deepEqual([s.name, s.patients, s.imagesWithoutAnnotations], ['S', 2, 1]);
    // 'S' is no registered dataset: its categories keep their own names, marked unmapped.
    assert.deepEqual(s.categories.small, { structure: 'small', mapped: false, images: 2, annotations: 3, medianArea: 9 });
    assert.deepEqual(s.categories.big, { structure: 'big', mapped: false, images: 1, annotations: 1, medianArea: 400 });
    assert.equal(s.anatomy, UNMAPPED_ANATOMY);
    // areas 4, 16, 9, 400 → bins 2, 4, 3, 8
    assert.deepEqual(stats.areaHistogram.counts, [0, 0, 1, 1, 1, 0, 0, 0, 1]);
    assert.match(compositionTable(stats), /\| S \| not in the taxonomy \| big \(unmapped\), small \(unmapped\) \| 3 \| 4 \|/);
    assert.match(compositionTable(stats), /\nunmapped: not in the structure taxonomy/);
    const png = join(dir, 'hist.png');
    await drawAreaHistogram(stats.areaHistogram, png, 360, 200);
    const image = await readRaster(png);
    assert.deepEqual([image.width, image.height], [360, 200]);
    // Bars are drawn in blue (46, 109, 180): the four non-empty bins make some blue pixels.
    let blue = 0;
    for (let i = 0; i < image.width * image.height; i++) {
      const o = i * image.channels;
      if (image.data[o] === 46 && image.data[o + 1] === 109 && image.data[o + 2] === 180) blue++;
    }
    assert.ok(blue > 500, `only ${blue} bar pixels`);
  } finally {
    cleanup();
  }
});

/** HC18 (fetal_head), PSFHS (fetal_head, pubic_symphysis) and S1 (benign/malignant → breast_lesion), under their own category names. */
async function registeredCorpus(dir: string): Promise<string> {
  const out = join(dir, 'corpus');
  const hc18 = fakeDataset('HC18', ['fetal_head'], async function* () {
    for (let i = 0; i < 2; i++) yield syntheticSample(20, 20, { fetal_head: [[2, 2, 10, 10]] }, { index: i });
  });
  const psfhs = fakeDataset('PSFHS', ['pubic_symphysis', 'fetal_head'], async function* () {
    for (let i = 0; i < 3; i++) yield syntheticSample(20, 20, { pubic_symphysis: [[0, 0, 4, 4]], fetal_head: [[8, 8, 10, 10]] }, { index: i });
  });
  const s1 = fakeDataset('S1', ['benign_tumour', 'malignant_tumour'], async function* () {
    // One image with a benign and a malignant tumour (one breast_lesion image, two instances), one with neither.
    yield syntheticSample(20, 20, { benign_tumour: [[0, 0, 3, 3]], malignant_tumour: [[10, 10, 3, 3]] }, { index: 0 });
    yield syntheticSample(20, 20, {}, { index: 1 });
  });
  for (const module of [hc18, psfhs, s1]) await writeDataset(module, dir, out);
  return out;
}

test('composition: datasets by anatomy, canonical structures across datasets, totals, and its PNG', async () => {
  const { dir, cleanup } = tempDir('composition');
  try {
    const stats = await corpusStats(await registeredCorpus(dir));
    assert.deepEqual(stats.anatomies, ['breast', 'fetus', 'intrapartum pelvis']);
    assert.deepEqual(
      stats.structures.map((s) => [s.name, s.anatomies.join('+'), s.datasets.join('+'), s.images, s.annotations]),
      [
        ['breast_lesion', 'breast', 'S1', 1, 2],
        ['fetal_head', 'fetus+intrapartum pelvis', 'HC18+PSFHS', 5, 5],
        ['pubic_symphysis', 'intrapartum pelvis', 'PSFHS', 3, 3],
      ],
    );
    assert.equal(
      compositionTable(stats),
      [
        '| dataset | anatomy | structures | images | instances |',
        '| --- | --- | --- | ---: | ---: |',
        '| S1 | breast | breast_lesion | 2 | 2 |',
        '| HC18 | fetus | fetal_head | 2 | 2 |',
        '| PSFHS | intrapartum pelvis | fetal_head, pubic_symphysis | 3 | 6 |',
        '| **3 datasets** | **3 anatomies** | **3 structures** | **7** | **10** |',
      ].join('\n'),
    );
    assert.match(structureTable(stats), /\| fetal_head \| fetus, intrapartum pelvis \| HC18, PSFHS \| 5 \| 5 \|/);
    const png = join(dir, 'composition.png');
    await drawComposition(stats, png, 400);
    const image = await readRaster(png);
    // Bars in the first three palette colours, one per anatomy, as long as the instances say:
    // PSFHS's 6 instances fill the 400 px, HC18's 2 and S1's 2 a third of that.
    const palette: [number, number, number][] = [
      [0x1f, 0x77, 0xb4],
      [0xff, 0x7f, 0x0e],
      [0x2c, 0xa0, 0x2c],
    ];
    const pixels = palette.map(() => 0);
    for (let i = 0; i < image.width * image.height; i++) {
      const o = i * image.channels;
      palette.forEach(([r, g, b], k) => {
        if (image.data[o] === r && image.data[o + 1] === g && image.data[o + 2] === b) pixels[k]++;
      });
    }
    const legend = 14 * 14;
    const barHeight = 16;
    const [breast, fetus, pelvis] = pixels.map((n) => (n - legend) / barHeight);
    assert.ok(Math.abs(pelvis - 400) <= 2, `intrapartum pelvis bar ${pelvis} px long`);
    assert.ok(Math.abs(fetus - 400 / 3) <= 2 && Math.abs(breast - 400 / 3) <= 2, `bars ${breast}, ${fetus} px long`);
  } finally {
    cleanup();
  }
});

test('preview: a seeded contact sheet with masks drawn in colour', async () => {
  const { dir, cleanup } = tempDir('preview');
  try {
    const out = await corpus(dir);
    const coco = join(out, 'S', 'S.coco.json');
    const sheet = join(dir, 'sheet.png');
    const shown = await drawPreview(coco, sheet, { count: 2, tile: 80, columns: 2, seed: 4 });
    assert.equal(shown.length, 2);
    assert.deepEqual(await drawPreview(coco, join(dir, 'again.png'), { count: 2, tile: 80, columns: 2, seed: 4 }), shown);
    const image = await readRaster(sheet);
    assert.deepEqual([image.width, image.height, image.channels], [160, 80, 3]);
    // The grey synthetic images have r = g = b; mask overlays do not.
    let coloured = 0;
    for (let i = 0; i < image.width * image.height; i++) {
      const o = i * 3;
      if (image.data[o] !== image.data[o + 1] || image.data[o + 1] !== image.data[o + 2]) coloured++;
    }
    // Two of the three images have masks, so at least one tile shows an overlay.
    assert.ok(coloured > 20, `only ${coloured} coloured pixels`);
    const all = await drawPreview(coco, join(dir, 'all.png'), { count: 10, tile: 40 });
    assert.equal(all.length, 3);
  } finally {
    cleanup();
  }
});
