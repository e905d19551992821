import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeDataset } from '../../src/data/corpus.js';
import { drawPreview } from '../../src/data/preview.js';
import { readRaster } from '../../src/data/raster.js';
import { corpusStats, drawAreaHistogram, statsTable } from '../../src/data/stats.js';
import { fakeDataset, syntheticSample, tempDir } from './helpers.js';

async function corpus(dir: string): Promise<string> {
  const out = join(dir, 'corpus');
  const module = fakeDataset('S', ['small', 'big'], async function* () {
    yield syntheticSample(40, 30, { small: [[0, 0, 2, 2], [10, 10, 4, 4]], big: [[0, 20, 40, 10]] }, { index: 0, patient: 'a' });
    yield syntheticSample(40, 30, { small: [[5, 5, 3, 3]] }, { index: 1, patient: 'b' });
    yield syntheticSample(40, 30, {}, { index: 2, patient: 'b' });
  });
  await writeDataset(module, dir, out);
  return out;
}

test('stats count per dataset and category, and bin areas by powers of two', async () => {
  const { dir, cleanup } = await tempDir('stats');
  try {
    const stats = await corpusStats(await corpus(dir));
    assert.equal(stats.images, 3);
    assert.equal(stats.annotations, 4);
    const [s] = stats.datasets;
    assert.deepEqual([s.name, s.patients, s.imagesWithoutAnnotations], ['S', 2, 1]);
    assert.deepEqual(s.categories.small, { images: 2, annotations: 3, medianArea: 9 });
    assert.deepEqual(s.categories.big, { images: 1, annotations: 1, medianArea: 400 });
    // areas 4, 16, 9, 400 → bins 2, 4, 3, 8
    assert.deepEqual(stats.areaHistogram.counts, [0, 0, 1, 1, 1, 0, 0, 0, 1]);
    assert.match(statsTable(stats), /\| S \| 3 \| 2 \| small \| 2 \| 3 \| 9 \|/);
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
    await cleanup();
  }
});

test('preview: a seeded contact sheet with masks drawn in colour', async () => {
  const { dir, cleanup } = await tempDir('preview');
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
    await cleanup();
  }
});
