/**
 * Array and image converters (NumPy, pickled dicts, HDF5, JPEG/PNG) on tiny synthetic raw folders in
 * each publisher's layout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dataset as asus } from '../../../src/data/datasets/asus.js';
import { dataset as fass } from '../../../src/data/datasets/fass.js';
import { dataset as mmotu3d } from '../../../src/data/datasets/mmotu_3d.js';
import { dataset as cineclip } from '../../../src/data/datasets/thyroid_cineclip.js';
import { loadH5wasm } from '../../../src/data/formats/hdf5.js';
import { npyBytes, pickledNpy, type PyValue } from '../formats/synthetic_writers.js';
import { blank, convertAll, countIn, maskOf, paint, scan, strictError, writeRaster } from './raw_fixtures.js';
import { tempDir } from '../../helpers/temp_dir.js';

async function write(path: string, bytes: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

test('ASUS: float frames ×255, frames without spine skipped, rotated 180°, mismatched masks reported', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('asus');
  try {
    const [n, h, w] = [3, 4, 5];
    const frames: number[] = [];
    for (let k = 0; k < n; k++) for (let i = 0; i < h * w; i++) frames.push(i / 40); // 0 .. 0.475
    // spine on frames 1 and 2 at row 0, columns 0..1
    const masks: number[] = [];
    for (let k = 0; k < n; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) masks.push(k > 0 && y === 0 && x < 2 ? 1 : 0);
    await write(join(raw, 'DataArrays/q000_ultrasound.npy'), npyBytes([n, h, w, 1], 'float32', frames));
    await write(join(raw, 'DataArrays/q000_segmentation.npy'), npyBytes([n, h, w, 1], 'uint8', masks));
    await write(join(raw, 'DataArrays/q001_ultrasound.npy'), npyBytes([n, h, w, 1], 'float32', frames));
    await write(join(raw, 'DataArrays/q001_segmentation.npy'), npyBytes([2, h, w, 1], 'uint8', masks.slice(0, 2 * h * w)));
    const { samples, warnings } = await convertAll(asus, raw);
    assert.equal(samples.length, 2);
    assert.deepEqual(
      samples.map((s) => `${s.patient}:${s.index}`),
      ['q000:1', 'q000:2'],
    );
    const [first] = samples;
    assert.equal(first.image.width, w);
    assert.equal(first.image.height, h);
    // pixel (0, 0) after the rotation is the last input pixel: 19 / 40 · 255 ≈ 121
    assert.equal(first.image.data[0], Math.round((19 / 40) * 255));
    // columns 0..1 of row 0, rotated: columns 3..4 of row 3
    assert.deepEqual(countIn(maskOf(first, 'spine'), w, 3, 3, 5, 4), { inside: 2, total: 2 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].problem, /size mismatch/);
    assert.match((await strictError(asus, raw)).message, /q001_segmentation\.npy: size mismatch/);
  } finally {
    removeRaw();
  }
});

test('FASS: pickled structure dicts give artery/liver/stomach/vein masks; missing and mismatched arrays reported', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('fass');
  try {
    const root = join(raw, 'Fetal Abdominal Structures Segmentation Dataset Using Ultrasonic Images');
    const [w, h] = [12, 8];
    const square = (x0: number, y0: number, x1: number, y1: number, width = w, height = h) => {
      const data = new Uint8Array(width * height);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * width + x] = 1;
      return { shape: [height, width], uint8: data };
    };
    const structures = (width = w, height = h): PyValue =>
      new Map<string, PyValue>([
        [
          'structures',
          new Map<string, PyValue>([
            ['artery', square(0, 0, 2, 2, width, height)],
            ['liver', square(4, 2, 10, 7, width, height)],
            ['stomach', square(0, 5, 3, 8, width, height)],
            ['vein', square(10, 0, 12, 1, width, height)],
          ]),
        ],
        ['name', 'P001_1'],
      ]);
    for (const id of ['P001_1', 'P001_2', 'P002_1']) await writeRaster(join(root, `IMAGES/${id}.png`), scan(w, h, 3));
    await write(join(root, 'ARRAY_FORMAT/P001_1.npy'), pickledNpy(structures()));
    await write(join(root, 'ARRAY_FORMAT/P001_2.npy'), pickledNpy(structures(6, 4)));
    const { samples, warnings } = await convertAll(fass, raw);
    assert.equal(samples.length, 1);
    const [sample] = samples;
    assert.equal(sample.index, 'P001_1');
    assert.deepEqual(
      sample.masks.map((m) => m.category),
      ['artery', 'liver', 'stomach', 'vein'],
    );
    assert.deepEqual(countIn(maskOf(sample, 'liver'), w, 4, 2, 10, 7), { inside: 30, total: 30 });
    assert.deepEqual(countIn(maskOf(sample, 'vein'), w, 10, 0, 12, 1), { inside: 2, total: 2 });
    assert.equal(warnings.length, 2);
    assert.match(warnings.find((x) => x.file.includes('P001_2'))!.problem, /size mismatch: structure "artery" is 6×4/);
    assert.match(warnings.find((x) => x.file.includes('P002_1'))!.problem, /missing mask/);
    assert.match((await strictError(fass, raw)).message, /P001_2\.npy: size mismatch/);
  } finally {
    removeRaw();
  }
});

test('Thyroid US Cineclip: HDF5 frames with hole-filled nodule masks, annot_id as patient, mask shape mismatch reported', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('cineclip');
  try {
    const h5 = await loadH5wasm();
    const [n, h, w] = [3, 8, 10];
    const images = new Uint8Array(n * h * w);
    const masks = new Uint8Array(n * h * w);
    for (let k = 0; k < n; k++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          images[(k * h + y) * w + x] = 10 * k + x;
          // a 255 ring around the box [2, 7) × [2, 6): its inside must be filled
          const ring = x >= 2 && x < 7 && y >= 2 && y < 6 && (x === 2 || x === 6 || y === 2 || y === 5);
          if (ring) masks[(k * h + y) * w + x] = 255;
        }
      }
    }
    const file = new h5.File(join(raw, 'dataset.hdf5'), 'w');
    file.create_dataset({ name: 'image', data: images, shape: [n, h, w], dtype: '<B' });
    file.create_dataset({ name: 'mask', data: masks, shape: [n, h, w], dtype: '<B' });
    file.create_dataset({ name: 'annot_id', data: ['12_', '12_', '7_'] });
    file.create_dataset({ name: 'frame_num', data: new Int32Array([0, 1, 0]) });
    file.close();
    const { samples, warnings } = await convertAll(cineclip, raw);
    assert.equal(warnings.length, 0);
    assert.equal(samples.length, 3);
    assert.deepEqual(
      samples.map((s) => `${s.patient}:${s.index}`),
      ['12:0', '12:1', '7:0'],
    );
    assert.deepEqual(countIn(maskOf(samples[2], 'thyroid_nodule'), w, 2, 2, 7, 6), { inside: 20, total: 20 });
    assert.equal(samples[2].image.data[3], 23);

    const { dir: bad, cleanup: removeBad } = tempDir('cineclip-bad');
    try {
      const broken = new h5.File(join(bad, 'dataset.hdf5'), 'w');
      broken.create_dataset({ name: 'image', data: images, shape: [n, h, w], dtype: '<B' });
      broken.create_dataset({ name: 'mask', data: masks.subarray(0, 2 * h * w), shape: [2, h, w], dtype: '<B' });
      broken.create_dataset({ name: 'annot_id', data: ['1_', '1_', '1_'] });
      broken.close();
      const result = await convertAll(cineclip, bad);
      assert.equal(result.samples.length, 0);
      assert.match(result.warnings[0].problem, /size mismatch: "mask" has shape \[2, 8, 10\]/);
      assert.match((await strictError(cineclip, bad)).message, /dataset\.hdf5: size mismatch/);
    } finally {
      removeBad();
    }
  } finally {
    removeRaw();
  }
});

test('MMOTU-3D: JPG images with PNG lesion annotations, "_" variants ignored, missing annotation reported', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('mmotu3d');
  try {
    const root = join(raw, 'OTU_3d');
    for (const n of [1, 2]) await writeRaster(join(root, `images/${n}.JPG`), scan(16, 12, 3));
    await writeRaster(join(root, 'annotations/1.PNG'), paint(blank(16, 12, 3), 3, 2, 9, 8, [128, 0, 0]));
    await writeRaster(join(root, 'annotations/1_binary.PNG'), blank(16, 12, 1, [255]));
    const { samples, warnings } = await convertAll(mmotu3d, raw);
    assert.equal(samples.length, 1);
    assert.equal(samples[0].index, '1');
    assert.deepEqual(countIn(maskOf(samples[0], 'lesion'), 16, 3, 2, 9, 8), { inside: 36, total: 36 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].problem, /missing mask/);
    assert.match((await strictError(mmotu3d, raw)).message, /images\/2\.JPG: missing mask/);
    assert.equal(mmotu3d.info.evaluationOnly, true);
  } finally {
    removeRaw();
  }
});
