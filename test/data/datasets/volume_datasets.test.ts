/**
 * Volume converters (NIfTI, MetaImage) on tiny synthetic raw folders in each publisher's layout.
 * Volumes are built voxel by voxel; frame k of a volume is the x-by-y image at z = k.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeDataset } from '../../../src/data/corpus.js';
import { dataset as acouslic } from '../../../src/data/datasets/acouslic.js';
import { dataset as camus } from '../../../src/data/datasets/camus.js';
import { dataset as cardiacudc } from '../../../src/data/datasets/cardiacudc.js';
import { dataset as fhPsAop } from '../../../src/data/datasets/fh_ps_aop.js';
import { dataset as microseg } from '../../../src/data/datasets/microseg.js';
import { dataset as mup } from '../../../src/data/datasets/mup.js';
import { dataset as regpro } from '../../../src/data/datasets/regpro.js';
import { dataset as segthy } from '../../../src/data/datasets/segthy.js';
import { verifyPath } from '../../../src/data/verify.js';
import { writeMetaImage, writeNifti, type NiftiSpec, type MetaImageSpec } from '../formats/synthetic_writers.js';
import { convertAll, countIn, maskOf, strictError, writeText } from './raw_fixtures.js';
import { tempDir } from '../../helpers/temp_dir.js';
import { sharedPath, skipWithoutShared } from '../../helpers/shared.js';

/** A volume of nx × ny × nz voxels whose value is `value(x, y, z)`, x fastest. */
function volume(nx: number, ny: number, nz: number, value: (x: number, y: number, z: number) => number): number[] {
  const out: number[] = [];
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) out.push(value(x, y, z));
  return out;
}

async function nifti(path: string, spec: NiftiSpec): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeNifti(path, spec);
}

async function mha(path: string, spec: MetaImageSpec): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeMetaImage(path, spec);
}

/** (x, y) of the first set pixel in raster order. */
function firstPixel(mask: Uint8Array, width: number): [number, number] {
  const i = mask.indexOf(1);
  return [i % width, Math.floor(i / width)];
}

const inBox = (x: number, y: number, x0: number, y0: number, x1: number, y1: number) => x >= x0 && x < x1 && y >= y0 && y < y1;

test('ACOUSLIC: frames with abdomen only, plane quality label, subject ids, missing mask reported', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('acouslic');
  try {
    const image = volume(8, 6, 4, (x, y, z) => 10 + x + y + z);
    // frame 1: label 1 (optimal) at x 2..4, y 1..3; frame 3: label 2 (suboptimal) at x 5..7, y 3..5
    const mask = volume(8, 6, 4, (x, y, z) => (z === 1 && inBox(x, y, 2, 1, 4, 3) ? 1 : z === 3 && inBox(x, y, 5, 3, 7, 5) ? 2 : 0));
    await mha(join(raw, 'images/stacked_fetal_ultrasound/aaaa1111-0000.mha'), { dims: [8, 6, 4], type: 'uint8', values: image, spacing: [0.28, 0.28, 1] });
    await mha(join(raw, 'masks/stacked_fetal_abdomen/aaaa1111-0000.mha'), { dims: [8, 6, 4], type: 'uint8', values: mask, compressed: true });
    await mha(join(raw, 'images/stacked_fetal_ultrasound/bbbb2222-0000.mha'), { dims: [8, 6, 4], type: 'uint8', values: image });
    await writeText(join(raw, 'circumferences/fetal_abdominal_circumferences_per_sweep.csv'), 'uuid,subject_id,sweep_1_ac_mm\naaaa1111-0000,7,250\n');
    const { samples, warnings } = await convertAll(acouslic, raw);
    assert.equal(samples.length, 2);
    assert.deepEqual(
      samples.map((s) => s.patient),
      ['7', '7'],
    );
    assert.deepEqual(
      samples.map((s) => s.labels?.plane),
      ['optimal', 'suboptimal'],
    );
    assert.deepEqual(
      samples.map((s) => s.labels?.frame),
      [1, 3],
    );
    const first = maskOf(samples[0], 'abdomen');
    assert.deepEqual(countIn(first, 8, 2, 1, 4, 3), { inside: 4, total: 4 });
    assert.deepEqual(countIn(maskOf(samples[1], 'abdomen'), 8, 5, 3, 7, 5), { inside: 4, total: 4 });
    assert.equal(samples[0].image.data[0], 11); // x 0, y 0, z 1
    assert.deepEqual(samples[0].image.pixelSpacingMm, [0.28, 0.28]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].file, /bbbb2222-0000\.mha$/);
    assert.match(warnings[0].problem, /missing mask/);
    assert.match((await strictError(acouslic, raw)).message, /bbbb2222-0000\.mha: missing mask/);
  } finally {
    removeRaw();
  }
});

test('CAMUS: 2CH and 4CH frames, labels 1/2/3 → endocardium/epicardium/atrium_wall, out-of-sector labels dropped', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('camus');
  try {
    const dir = join(raw, 'database_nifti/patient0001');
    // image is 0 in column x = 0 (outside the sector)
    const image = volume(6, 5, 2, (x) => (x === 0 ? 0 : 100));
    const gt = volume(6, 5, 2, (x, y) => (y === 0 ? 1 : y === 1 ? 2 : y === 2 ? 3 : 0));
    for (const view of ['2CH', '4CH']) {
      await nifti(join(dir, `patient0001_${view}_half_sequence.nii.gz`), { dims: [6, 5, 2], type: 'uint8', values: image, pixdim: [0.3, 0.3, 1] });
    }
    await nifti(join(dir, 'patient0001_2CH_half_sequence_gt.nii.gz'), { dims: [6, 5, 2], type: 'uint8', values: gt });
    const { samples, warnings } = await convertAll(camus, raw);
    assert.equal(samples.length, 2);
    assert.deepEqual(
      samples.map((s) => s.index),
      ['2CH_00', '2CH_01'],
    );
    assert.equal(samples[0].patient, 'patient0001');
    assert.deepEqual(
      samples[0].masks.map((m) => m.category),
      ['endocardium', 'epicardium', 'atrium_wall'],
    );
    assert.deepEqual(countIn(maskOf(samples[0], 'endocardium'), 6, 1, 0, 6, 1), { inside: 5, total: 5 });
    assert.deepEqual(countIn(maskOf(samples[0], 'atrium_wall'), 6, 1, 2, 6, 3), { inside: 5, total: 5 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].problem, /missing mask: .*4CH_half_sequence_gt/);
    assert.match((await strictError(camus, raw)).message, /4CH_half_sequence\.nii\.gz: missing mask/);
  } finally {
    removeRaw();
  }
});

test('CardiacUDC: outlines hole-filled, frames under 2.5 % foreground skipped, rotated 180°, missing label reported', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('cardiacudc');
  try {
    const n = 20;
    // frame 0: outline of a square x,y in [4, 10) with label 1 (filled: 36 px = 9 %); frame 1: one stray pixel; frame 2: empty
    const outline = (x: number, y: number) => inBox(x, y, 4, 4, 10, 10) && (x === 4 || x === 9 || y === 4 || y === 9);
    const labels = volume(n, n, 3, (x, y, z) => (z === 0 && outline(x, y) ? 1 : z === 1 && x === 15 && y === 15 ? 4 : 0));
    const image = volume(n, n, 3, (x, y) => x * 10 + y);
    await nifti(join(raw, 'Site_G/patient7_image.nii.gz'), { dims: [n, n, 3], type: 'uint8', values: image });
    await nifti(join(raw, 'Site_G/patient7_label.nii.gz'), { dims: [n, n, 3], type: 'uint8', values: labels });
    await nifti(join(raw, 'Site_R/patient73_image.nii.gz'), { dims: [n, n, 3], type: 'uint8', values: image });
    const { samples, warnings } = await convertAll(cardiacudc, raw);
    assert.equal(samples.length, 1);
    assert.equal(samples[0].patient, 'Site_G_patient7');
    const lv = maskOf(samples[0], 'left_ventricle');
    // rotated 180°: the square [4, 10) lands on [10, 16)
    assert.deepEqual(countIn(lv, n, 10, 10, 16, 16), { inside: 36, total: 36 });
    assert.equal(samples[0].image.data[0], image[n * n - 1]);
    assert.equal(
      maskOf(samples[0], 'right_ventricle').some((v) => v !== 0),
      false,
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].file, /patient73_image/);
    assert.match((await strictError(cardiacudc, raw)).message, /patient73_image\.nii\.gz: missing mask/);
  } finally {
    removeRaw();
  }
});

test('FH-PS-AOP: first image plane, labels 1/2, labels on blank image outside the field of view removed', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('fhpsaop');
  try {
    const n = 64;
    const root = join(raw, 'Pubic Symphysis-Fetal Head Segmentation and Angle of Progression');
    // field of view: a disc of radius 24 centred at (32, 32); outside it the image is 0
    const inDisc = (x: number, y: number) => (x - 32) ** 2 + (y - 32) ** 2 <= 24 * 24;
    // a dark (grey 1) patch at x, y 58..62 lies outside the disc but is image content, not blank
    const planes = volume(n, n, 3, (x, y) => (inDisc(x, y) ? 50 + ((x + y) % 100) : inBox(x, y, 58, 58, 62, 62) ? 1 : 0));
    // pubic symphysis (1) inside the disc; fetal head (2) inside, a stray head blob in the blank corner
    // (removed) and one over the dark patch (kept)
    const label = volume(n, n, 1, (x, y) => (inBox(x, y, 28, 14, 36, 20) ? 1 : inBox(x, y, 24, 30, 40, 46) || inBox(x, y, 58, 58, 62, 62) ? 2 : inBox(x, y, 0, 0, 4, 4) ? 2 : 0));
    await mha(join(root, 'image_mha/00001.mha'), { dims: [n, n, 3], type: 'uint8', values: planes });
    await mha(join(root, 'label_mha/00001.mha'), { dims: [n, n], type: 'uint8', values: label });
    await mha(join(root, 'image_mha/00002.mha'), { dims: [n, n, 3], type: 'uint8', values: planes });
    await mha(join(root, 'label_mha/00002.mha'), { dims: [32, 32], type: 'uint8', values: new Array(32 * 32).fill(0) });
    const { samples, warnings } = await convertAll(fhPsAop, raw);
    assert.equal(samples.length, 1);
    const [sample] = samples;
    assert.equal(sample.image.width, n);
    assert.equal(sample.image.channels, 1);
    assert.deepEqual(countIn(maskOf(sample, 'pubic_symphysis'), n, 28, 14, 36, 20), { inside: 48, total: 48 });
    assert.deepEqual(countIn(maskOf(sample, 'fetal_head'), n, 24, 30, 40, 46), { inside: 256, total: 256 + 16 });
    assert.deepEqual(countIn(maskOf(sample, 'fetal_head'), n, 58, 58, 62, 62).inside, 16);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].problem, /size mismatch/);
    assert.match((await strictError(fhPsAop, raw)).message, /00002\.mha: size mismatch/);
  } finally {
    removeRaw();
  }
});

async function writeMicroUs(raw: string): Promise<void> {
  const root = join(raw, 'Micro_Ultrasound_Prostate_Segmentation_Dataset');
  // 8 × 6 × 3 scans; column x = 0 is 0 in every slice (a background line); prostate on slices 1 and 2
  const scan = volume(8, 6, 3, (x, y, z) => (x === 0 ? 0 : 20 + x + y + z));
  const annotation = volume(8, 6, 3, (x, y, z) => (z >= 1 && inBox(x, y, 0, 1, 4, 3) ? 1 : 0));
  for (const split of ['train', 'test']) {
    await nifti(join(root, `${split}/micro_ultrasound_scans/microUS_${split}_01.nii.gz`), { dims: [8, 6, 3], type: 'uint8', values: scan });
    await nifti(join(root, `${split}/expert_annotations/expert_annotation_${split}_01.nii.gz`), { dims: [8, 6, 3], type: 'uint8', values: annotation });
  }
  await nifti(join(root, 'train/micro_ultrasound_scans/microUS_train_02.nii.gz'), { dims: [8, 6, 3], type: 'uint8', values: scan });
}

test('MicroSeg: slices with prostate, out-of-scan labels dropped, rotated 180°, missing annotation reported', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('microseg');
  try {
    await writeMicroUs(raw);
    const { samples, warnings } = await convertAll(microseg, raw);
    assert.equal(samples.length, 4); // slices 1 and 2 of test01 and train01
    assert.deepEqual(
      samples.map((s) => `${s.patient}:${s.index}`),
      ['test01:1', 'test01:2', 'train01:1', 'train01:2'],
    );
    const mask = maskOf(samples[0], 'prostate');
    // label x 0..3 × y 1..2, minus the zero column x = 0, rotated: x 4..6, y 3..4
    assert.deepEqual(countIn(mask, 8, 4, 3, 7, 5), { inside: 6, total: 6 });
    assert.equal(
      samples.some((s) => s.officialSplit !== undefined),
      false,
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].problem, /missing mask: no expert_annotation_train_02/);
    assert.match((await strictError(microseg, raw)).message, /microUS_train_02\.nii\.gz: missing mask/);
  } finally {
    removeRaw();
  }
});

test('MUP: every slice, official test split, labels on background lines dropped, flipped upside down', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('mup');
  try {
    await writeMicroUs(raw);
    const { samples, warnings } = await convertAll(mup, raw);
    assert.equal(samples.length, 6);
    assert.deepEqual([...new Set(samples.map((s) => s.patient))], ['test01', 'train01']);
    assert.deepEqual(
      samples.map((s) => s.officialSplit),
      ['test', 'test', 'test', undefined, undefined, undefined],
    );
    assert.equal(
      maskOf(samples[0], 'prostate').some((v) => v !== 0),
      false,
    );
    const mask = maskOf(samples[1], 'prostate');
    // label x 0..3 × y 1..2, minus column x = 0, flipped rows: y 3..4
    assert.deepEqual(countIn(mask, 8, 1, 3, 4, 5), { inside: 6, total: 6 });
    assert.equal(warnings.length, 1);
    assert.match((await strictError(mup, raw)).message, /missing mask/);
  } finally {
    removeRaw();
  }
});

test('regPro: sagittal slices of the ultrasound volume, prostate channel, MR files ignored, size mismatch reported', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('regpro');
  try {
    const [nx, ny, nz] = [5, 4, 3];
    const image = volume(nx, ny, nz, (x, y, z) => 100 * z + 10 * y + x);
    // 4-D labels (x, y, z, 6): channel 0 prostate at x = 2, y 1..2, z 0..1; channel 3 a landmark at x = 4
    const labels: number[] = [];
    for (let c = 0; c < 6; c++) {
      labels.push(...volume(nx, ny, nz, (x, y, z) => (c === 0 && x === 2 && y >= 1 && y <= 2 && z <= 1 ? 1 : c === 3 && x === 4 ? 1 : 0)));
    }
    await nifti(join(raw, 'train/us_images/case000001.nii.gz'), { dims: [nx, ny, nz], type: 'float32', values: image, pixdim: [0.8, 0.8, 0.8] });
    await nifti(join(raw, 'train/us_labels/case000001.nii.gz'), { dims: [nx, ny, nz, 6], type: 'uint8', values: labels });
    await nifti(join(raw, 'train/mr_images/case000001.nii.gz'), { dims: [nx, ny, nz], type: 'uint8', values: volume(nx, ny, nz, () => 1) });
    await nifti(join(raw, 'val/us_images/case000070.nii.gz'), { dims: [nx, ny, nz], type: 'uint8', values: volume(nx, ny, nz, () => 1) });
    await nifti(join(raw, 'val/us_labels/case000070.nii.gz'), { dims: [nx, ny, 2, 6], type: 'uint8', values: new Array(nx * ny * 2 * 6).fill(0) });
    const { samples, warnings } = await convertAll(regpro, raw);
    assert.equal(samples.length, 1);
    const [sample] = samples;
    assert.equal(sample.patient, 'case000001');
    assert.equal(sample.index, 'train_2');
    assert.equal(sample.image.width, ny);
    assert.equal(sample.image.height, nz);
    // sagittal slice x = 2 rotated 180°: (column y, row z) → (ny-1-y, nz-1-z); values stretched 0..255 (max 322)
    const prostate = maskOf(sample, 'prostate');
    assert.deepEqual(countIn(prostate, ny, 1, 1, 3, 3), { inside: 4, total: 4 });
    assert.deepEqual(sample.image.pixelSpacingMm, [0.8, 0.8]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].problem, /size mismatch/);
    assert.match((await strictError(regpro, raw)).message, /case000070\.nii\.gz: size mismatch/);
  } finally {
    removeRaw();
  }
});

test('Segthy: slices with labels, thyroid/carotid/jugular from 1/2/3, rotated 180°, missing label reported', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('segthy');
  try {
    const image = volume(6, 4, 3, (x, y, z) => 30 + x + 6 * y + z);
    const labels = volume(6, 4, 3, (x, y, z) => (z !== 1 ? 0 : x === 0 ? 1 : x === 1 ? 2 : x === 2 ? 3 : 0));
    await nifti(join(raw, 'US_volunteer_dataset/ground_truth_data/US/025_US.nii'), { dims: [6, 4, 3], type: 'int16', values: image });
    await nifti(join(raw, 'US_volunteer_dataset/ground_truth_data/US_thyroid_label/025.nii'), { dims: [6, 4, 3], type: 'uint8', values: labels });
    await nifti(join(raw, 'US_volunteer_dataset/ground_truth_data/US/026_US.nii'), { dims: [6, 4, 3], type: 'int16', values: image });
    const { samples, warnings } = await convertAll(segthy, raw);
    assert.equal(samples.length, 1);
    assert.equal(samples[0].patient, '025');
    assert.equal(samples[0].index, 1);
    // column x = 0 (thyroid) lands on column 5 after the 180° rotation
    assert.deepEqual(countIn(maskOf(samples[0], 'thyroid'), 6, 5, 0, 6, 4), { inside: 4, total: 4 });
    assert.deepEqual(firstPixel(maskOf(samples[0], 'jugular'), 6), [3, 0]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].problem, /missing mask/);
    assert.match((await strictError(segthy, raw)).message, /026_US\.nii: missing mask/);
  } finally {
    removeRaw();
  }
});

const PSFHS_COPY = sharedPath('data/ultrasound/psfhs');

test(
  'FH-PS-AOP on the real PSFHS copy (same files, FH-PS-AOP layout): 100 images, both structures, a corpus that verifies',
  { skip: skipWithoutShared('the PSFHS copy', 'data/ultrasound/psfhs/image_mha') },
  async () => {
    const { dir: out, cleanup: removeOut } = tempDir('fhpsaop-corpus');
    try {
      const done = await writeDataset(fhPsAop, PSFHS_COPY, out);
      assert.equal(done.images, 100);
      assert.equal(done.warnings.length, 0);
      assert.equal(done.categories.pubic_symphysis.images, 100);
      assert.equal(done.categories.fetal_head.images, 100);
      const reports = await verifyPath(join(out, 'FH-PS-AOP'));
      assert.equal(reports.length, 1);
      assert.deepEqual(reports[0].problems, []);
      assert.equal(reports[0].images, 100);
    } finally {
      removeOut();
    }
  },
);
