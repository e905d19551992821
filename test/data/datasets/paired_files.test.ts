// The paired-files description (support/paired_files.ts): one description gives the converter and
// the layout text, so both follow every field.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from '../../../src/data/datasets/support/paired_files.js';
import type { DatasetModule } from '../../../src/data/types.js';
import { tempDir } from '../../helpers/temp_dir.js';
import { blank, convertAll, isRectangle, maskOf, paint, scan, strictError, writeRaster, writeText } from './raw_fixtures.js';

const W = 24;
const H = 16;

function module(files: PairedFiles): DatasetModule {
  return {
    info: { name: 'Paired', anatomy: 'test', structures: pairedCategories(files), modality: 'test', url: '', licence: '', citation: '', layout: describePairedFiles(files), imageLabels: [] },
    convert: pairedConverter(files),
  };
}

const BASE: PairedFiles = {
  roots: ['', 'Data Set'],
  folders: [{ images: 'scans', masks: 'labels' }],
  extensions: ['.png', '.jpg'],
  maskName: '<stem>_gt.png',
  pixels: 'threshold',
  category: 'lesion',
  emptyMask: 'keep',
  name: { pattern: /^(?<patient>[a-z]+)-(?<index>\d+)$/, text: '<patient>-<n>', patient: 'letter code' },
};

test('the layout text says every field of the description', () => {
  assert.equal(
    describePairedFiles(BASE),
    "scans/<patient>-<n>.png with masks labels/<patient>-<n>_gt.png (grey > 127), optionally under 'Data Set'/. " +
      'The letter code is the patient. Images with an empty mask are kept without annotations. Images: .png, .jpg.',
  );
  assert.equal(
    describePairedFiles({ ...BASE, roots: ['sub'], pixels: 'nonzero', emptyMask: 'skip', name: undefined, extensions: ['.tif'], note: 'More.' }),
    'scans/<n>.tif with masks labels/<n>_gt.png (non-zero = lesion), under sub/. Images with an empty mask are skipped. More.',
  );
});

test('pairs images with masks by the description: root found, names parsed, empty masks kept or skipped, problems reported', async () => {
  const { dir, cleanup } = tempDir('paired');
  try {
    const raw = join(dir, 'raw');
    const rect = paint(blank(W, H), 4, 2, 12, 10, [255]);
    await writeRaster(join(raw, 'Data Set/scans/ab-2.png'), scan(W, H));
    await writeRaster(join(raw, 'Data Set/labels/ab-2_gt.png'), rect);
    await writeRaster(join(raw, 'Data Set/scans/ab-10.png'), scan(W, H));
    await writeRaster(join(raw, 'Data Set/labels/ab-10_gt.png'), blank(W, H));
    await writeRaster(join(raw, 'Data Set/scans/odd.png'), scan(W, H));
    await writeRaster(join(raw, 'Data Set/labels/odd_gt.png'), rect);
    await writeRaster(join(raw, 'Data Set/scans/cd-1.png'), scan(W, H)); // no mask
    await writeText(join(raw, 'Data Set/scans/notes.txt'), 'not an image');

    const kept = await convertAll(module(BASE), raw);
    assert.deepEqual(
      kept.samples.map((s) => [s.sourceFile, s.patient, s.index, s.masks.length]),
      [
        ['Data Set/scans/ab-2.png', 'ab', '2', 1],
        ['Data Set/scans/ab-10.png', 'ab', '10', 0],
        ['Data Set/scans/odd.png', undefined, 'odd', 1],
      ],
    );
    assert.ok(isRectangle(maskOf(kept.samples[0], 'lesion'), W, 4, 2, 12, 10));
    assert.deepEqual(
      kept.warnings.map((w) => [w.file, w.problem]),
      [['Data Set/scans/cd-1.png', 'missing mask: Data Set/labels/cd-1_gt.png not found']],
    );

    const strictNames = module({ ...BASE, emptyMask: 'skip', name: { ...BASE.name!, unmatched: 'report' } });
    const skipped = await convertAll(strictNames, raw);
    assert.deepEqual(
      skipped.samples.map((s) => s.index),
      ['2'],
    );
    assert.deepEqual(
      skipped.warnings.map((w) => w.problem),
      ['missing mask: Data Set/labels/cd-1_gt.png not found', 'name is not <patient>-<n>.png'],
    );
    assert.match((await strictError(strictNames, raw)).message, /cd-1\.png: missing mask/);

    await assert.rejects(convertAll(module({ ...BASE, roots: ['elsewhere'] }), raw), /no scans folder found \(looked for 'elsewhere\/scans'\)/);
  } finally {
    cleanup();
  }
});

test('several folders: each found under its own root, with its index prefix, labels, category and split', async () => {
  const { dir, cleanup } = tempDir('paired-folders');
  try {
    const raw = join(dir, 'raw');
    const files: PairedFiles = {
      roots: ['', 'set'],
      folders: [
        { images: 'a/img', masks: 'a/gt', indexPrefix: 'a_', category: 'cyst', labels: { class: 'a' } },
        { images: 'b/img', masks: 'b/gt', indexPrefix: 'b_', category: 'solid', officialSplit: 'test' },
      ],
      extensions: ['.png'],
      maskName: '<stem><ext>',
      pixels: 'threshold',
      resize: 'nearest',
      emptyMask: 'skip',
    };
    await writeRaster(join(raw, 'a/img/1.png'), scan(W, H));
    await writeRaster(join(raw, 'a/gt/1.png'), paint(blank(W / 2, H / 2), 1, 1, 3, 3, [255])); // half size
    await writeRaster(join(raw, 'a/img/2.png'), scan(W, H));
    await writeRaster(join(raw, 'a/gt/2.png'), blank(W, H)); // empty: skipped
    await writeRaster(join(raw, 'set/b/img/1.png'), scan(W, H));
    await writeRaster(join(raw, 'set/b/gt/1.png'), paint(blank(W, H), 0, 0, 5, 5, [255]));
    const { samples, warnings } = await convertAll(module(files), raw);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      samples.map((s) => [s.sourceFile, s.index, s.masks.map((m) => m.category), s.labels, s.officialSplit]),
      [
        ['a/img/1.png', 'a_1', ['cyst'], { class: 'a' }, undefined],
        ['set/b/img/1.png', 'b_1', ['solid'], undefined, 'test'],
      ],
    );
    assert.ok(isRectangle(maskOf(samples[0], 'cyst'), W, 2, 2, 6, 6));
    assert.deepEqual(pairedCategories(files), ['cyst', 'solid']);
    assert.equal(
      describePairedFiles(files),
      'a/img/<n>.png with masks a/gt/<n>.png (class a, category cyst); b/img/<n>.png with masks b/gt/<n>.png (category solid, ' +
        'official test); masks grey > 127, optionally under set/. A mask of another size is resized to its image (nearest neighbour). ' +
        'Images with an empty mask are skipped.',
    );
  } finally {
    cleanup();
  }
});

test('label masks: value ranges or colours give one category each, the class label names those found; names give the mask name', async () => {
  const { dir, cleanup } = tempDir('paired-labels');
  try {
    const raw = join(dir, 'raw');
    const files: PairedFiles = {
      roots: [''],
      folders: [{ images: '', masks: 'labels' }],
      extensions: ['.png'],
      recursive: true,
      maskName: 'label_<id>.png',
      pixels: {
        ranges: [
          { category: 'low', min: 1, max: 1 },
          { category: 'high', min: 2, max: 255 },
        ],
      },
      emptyMask: 'keep',
      name: { pattern: /^scan_(?<id>\d+)$/, text: 'scan_<id>', unmatched: 'ignore' },
      classOfCategory: { low: 'L', high: 'H' },
      labelTable: {
        file: 'table.txt',
        text: 'stem and grade',
        read: async () => new Map([['scan_1', { grade: '2' }]]),
      },
      requireImages: true,
    };
    await writeRaster(join(raw, 'scan_1.png'), scan(W, H));
    await writeRaster(join(raw, 'labels/label_1.png'), paint(paint(blank(W, H), 0, 0, 2, 2, [1]), 4, 4, 6, 6, [200]));
    await writeRaster(join(raw, 'scan_2.png'), scan(W, H));
    await writeRaster(join(raw, 'labels/label_2.png'), blank(W, H));
    const { samples, warnings } = await convertAll(module(files), raw);
    // labels/label_*.png are not named scan_<id>: ignored, though the listing reads sub-folders.
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      samples.map((s) => [s.index, s.masks.map((m) => m.category), s.labels]),
      [
        ['scan_1', ['low', 'high'], { class: 'L+H', grade: '2' }],
        ['scan_2', [], undefined],
      ],
    );
    assert.ok(isRectangle(maskOf(samples[0], 'high'), W, 4, 4, 6, 6));
    assert.match(describePairedFiles(files), /^scan_<id>\.png with masks labels\/label_<id>\.png \(grey 1 = low, 2–255 = high\)\. /);

    const colours: PairedFiles = {
      ...files,
      pixels: {
        colours: [
          { category: 'low', rgb: [0, 255, 0] },
          { category: 'high', rgb: [255, 0, 0] },
        ],
      },
    };
    assert.match(describePairedFiles(colours), /\(RGB \(0,255,0\) = low, \(255,0,0\) = high, black background\)/);
    const empty = join(dir, 'empty');
    await writeText(join(empty, 'readme.txt'), 'no images');
    await assert.rejects(convertAll(module(files), empty), /no images scan_<id>\.png found in '\.'/);
  } finally {
    cleanup();
  }
});
