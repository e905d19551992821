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
    assert.deepEqual(kept.samples.map((s) => [s.sourceFile, s.patient, s.index, s.masks.length]), [
      ['Data Set/scans/ab-2.png', 'ab', '2', 1],
      ['Data Set/scans/ab-10.png', 'ab', '10', 0],
      ['Data Set/scans/odd.png', undefined, 'odd', 1],
    ]);
    assert.ok(isRectangle(maskOf(kept.samples[0], 'lesion'), W, 4, 2, 12, 10));
    assert.deepEqual(kept.warnings.map((w) => [w.file, w.problem]), [['Data Set/scans/cd-1.png', 'missing mask: Data Set/labels/cd-1_gt.png not found']]);

    const strictNames = module({ ...BASE, emptyMask: 'skip', name: { ...BASE.name!, unmatched: 'report' } });
    const skipped = await convertAll(strictNames, raw);
    assert.deepEqual(skipped.samples.map((s) => s.index), ['2']);
    assert.deepEqual(skipped.warnings.map((w) => w.problem), ['missing mask: Data Set/labels/cd-1_gt.png not found', 'name is not <patient>-<n>.png']);
    assert.match((await strictError(strictNames, raw)).message, /cd-1\.png: missing mask/);

    await assert.rejects(convertAll(module({ ...BASE, roots: ['elsewhere'] }), raw), /no scans folder found \(looked for 'elsewhere\/scans'\)/);
  } finally {
    cleanup();
  }
});
