import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCoco } from '../../src/data/coco.js';
import { MalformedRawError, readDone, writeDataset } from '../../src/data/corpus.js';
import { readRaster } from '../../src/data/raster.js';
import { decodeRle } from '../../src/data/rle.js';
import { verifyCoco } from '../../src/data/verify.js';
import { fakeDataset, syntheticSample } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

test('writes images, one annotation per component per category, image fields and DONE.json', async () => {
  const { dir, cleanup } = tempDir('corpus');
  try {
    const module = fakeDataset('Fake', ['lesion', 'organ'], async function* () {
      yield syntheticSample(
        12,
        8,
        {
          lesion: [
            [1, 1, 2, 2],
            [6, 5, 3, 2],
          ],
          organ: [[0, 0, 12, 1]],
        },
        {
          patient: 'p 1',
          index: 3,
          sourceFile: 'a/one.png',
          labels: { class: 'benign', tirads: '4a' },
          officialSplit: 'test',
        },
      );
      const second = syntheticSample(12, 8, { lesion: [] }, { index: 'b', sourceFile: 'a/two.png' });
      second.image.pixelSpacingMm = [0.1, 0.2];
      yield second;
    });
    const done = await writeDataset(module, dir, join(dir, 'out'));
    assert.equal(done.images, 2);
    assert.equal(done.annotations, 3);
    assert.deepEqual(done.categories, { lesion: { images: 1, annotations: 2 }, organ: { images: 1, annotations: 1 } });
    assert.equal(done.patients, 1);
    const coco = await readCoco(join(dir, 'out', 'Fake', 'Fake.coco.json'));
    assert.deepEqual(
      coco.categories.map((c) => [c.id, c.name]),
      [
        [1, 'lesion'],
        [2, 'organ'],
      ],
    );
    assert.deepEqual(coco.images[0], {
      id: 1,
      file_name: 'images/Fake__p_1__3.png',
      width: 12,
      height: 8,
      source_file: 'a/one.png',
      patient: 'p 1',
      labels: { class: 'benign', tirads: '4a' },
      official_split: 'test',
    });
    assert.equal(coco.images[1].file_name, 'images/Fake__b.png');
    assert.deepEqual(coco.images[1].pixel_spacing, [0.1, 0.2]);
    const [first, second, third] = coco.annotations;
    assert.deepEqual([first.id, first.image_id, first.category_id, first.area, first.bbox, first.iscrowd], [1, 1, 1, 4, [1, 1, 2, 2], 0]);
    assert.deepEqual([second.area, second.bbox], [6, [6, 5, 3, 2]]);
    assert.deepEqual([third.category_id, third.area, third.bbox], [2, 12, [0, 0, 12, 1]]);
    assert.equal(decodeRle(first.segmentation)[1 * 12 + 1], 1);
    // The PNG holds the pixels as yielded.
    const png = await readRaster(join(dir, 'out', 'Fake', 'images', 'Fake__p_1__3.png'));
    assert.deepEqual([png.width, png.height, png.channels], [12, 8, 1]);
    assert.equal(png.data[13], (13 * 7) % 251);
    assert.ok((await verifyCoco(join(dir, 'out', 'Fake', 'Fake.coco.json'))).ok);
    assert.equal((await readDone(join(dir, 'out'), 'Fake'))?.images, 2);
    assert.deepEqual(readdirSync(join(dir, 'out')), ['Fake']); // no partial folder left
  } finally {
    cleanup();
  }
});

test('a converter that throws midway leaves no dataset, no DONE.json and no partial folder', async () => {
  const { dir, cleanup } = tempDir('corpus-throw');
  try {
    const module = fakeDataset('Broken', ['lesion'], async function* () {
      yield syntheticSample(8, 8, { lesion: [[0, 0, 2, 2]] }, { index: 1 });
      yield syntheticSample(8, 8, { lesion: [[0, 0, 2, 2]] }, { index: 2 });
      throw new Error('disk on fire');
    });
    await assert.rejects(writeDataset(module, dir, join(dir, 'out')), /Broken: conversion failed, nothing written: disk on fire/);
    assert.equal(existsSync(join(dir, 'out')), false, 'the output folder the run created is removed too');
  } finally {
    cleanup();
  }
});

test('non-strict: malformed samples are reported, skipped and listed in DONE.json', async () => {
  const { dir, cleanup } = tempDir('corpus-warn');
  try {
    const warnings: string[] = [];
    const module = fakeDataset('Lenient', ['lesion'], async function* (options) {
      yield syntheticSample(8, 8, { lesion: [[0, 0, 2, 2]] }, { index: 1 });
      options.warn('raw/2_mask.png', 'missing mask');
      const bad = syntheticSample(8, 8, { lesion: [[0, 0, 2, 2]] }, { index: 3, sourceFile: 'raw/3.png' });
      bad.masks[0].mask = new Uint8Array(10); // size mismatch, caught by the writer
      yield bad;
      yield syntheticSample(8, 8, { lesion: [[4, 4, 2, 2]] }, { index: 4 });
    });
    const done = await writeDataset(module, dir, join(dir, 'out'), { onWarning: (file, problem) => warnings.push(`${file}: ${problem}`) });
    assert.equal(done.images, 2);
    assert.deepEqual(
      done.warnings.map((w) => w.file),
      ['raw/2_mask.png', 'raw/3.png'],
    );
    assert.match(warnings[1], /raw\/3\.png: mask "lesion" has 10 pixels but the image is 8×8 \(size mismatch\)/);
    const onDisk = JSON.parse(await readFile(join(dir, 'out', 'Lenient', 'DONE.json'), 'utf8'));
    assert.equal(onDisk.warnings.length, 2);
  } finally {
    cleanup();
  }
});

test('strict: the first malformed file stops the conversion and nothing is written', async () => {
  const { dir, cleanup } = tempDir('corpus-strict');
  try {
    const module = fakeDataset('Strict', ['lesion'], async function* (options) {
      yield syntheticSample(8, 8, { lesion: [[0, 0, 2, 2]] }, { index: 1 });
      try {
        options.warn('raw/2.png', 'unreadable image');
      } catch {
        // A converter that swallows the error must not get past it either.
      }
      yield syntheticSample(8, 8, { lesion: [[0, 0, 2, 2]] }, { index: 2 });
    });
    await assert.rejects(writeDataset(module, dir, join(dir, 'out'), { strict: true }), (error: unknown) => {
      assert.ok(error instanceof MalformedRawError);
      assert.equal(error.message, 'raw/2.png: unreadable image');
      return true;
    });
    assert.equal(existsSync(join(dir, 'out')), false, 'the output folder the run created is removed too');
  } finally {
    cleanup();
  }
});

test('a finished dataset is kept unless forced; stale partial folders are cleaned', async () => {
  const { dir, cleanup } = tempDir('corpus-force');
  try {
    let images = 1;
    const module = fakeDataset('Again', ['lesion'], async function* () {
      for (let i = 0; i < images; i++) yield syntheticSample(8, 8, { lesion: [[0, 0, 2, 2]] }, { index: i });
    });
    const out = join(dir, 'out');
    await writeDataset(module, dir, out);
    await assert.rejects(writeDataset(module, dir, out), /Again is already converted in .*Again \(use --force/);
    await mkdir(join(out, '.Again.partial-999999999')); // left by a killed run (no such process)
    images = 3;
    const done = await writeDataset(module, dir, out, { force: true });
    assert.equal(done.images, 3);
    assert.deepEqual(readdirSync(out), ['Again']);
    assert.equal(readdirSync(join(out, 'Again', 'images')).length, 3);
    await assert.rejects(writeDataset(module, join(dir, 'nope'), out, { force: true }), /raw folder .*nope does not exist/);
  } finally {
    cleanup();
  }
});

test('two samples with one file name are a converter bug', async () => {
  const { dir, cleanup } = tempDir('corpus-dup');
  try {
    const module = fakeDataset('Dup', ['lesion'], async function* () {
      yield syntheticSample(4, 4, {}, { patient: 'a', index: 1, sourceFile: 'x.png' });
      yield syntheticSample(4, 4, {}, { patient: 'a', index: 1, sourceFile: 'y.png' });
    });
    await assert.rejects(writeDataset(module, dir, join(dir, 'out')), /two images named Dup__a__1\.png \(the second from y\.png\)/);
    const unknown = fakeDataset('Unknown', ['lesion'], async function* () {
      yield syntheticSample(4, 4, { tumour: [[0, 0, 1, 1]] });
    });
    await assert.rejects(writeDataset(unknown, dir, join(dir, 'out')), /category "tumour", not among its structures \[lesion\]/);
  } finally {
    cleanup();
  }
});

test('a killed conversion leaves only a hidden partial folder, cleaned by the next run', async () => {
  const { dir, cleanup } = tempDir('corpus-kill');
  try {
    const out = join(dir, 'out');
    const corpus = new URL('../../src/data/corpus.ts', import.meta.url).href;
    const helpers = new URL('./helpers.ts', import.meta.url).href;
    // A child converting an endless dataset; it prints after 5 images and is then killed.
    const script = `
      import { writeDataset } from '${corpus}';
      import { fakeDataset, syntheticSample } from '${helpers}';
      const module = fakeDataset('Slow', ['lesion'], async function* () {
        for (let i = 0; ; i++) {
          if (i === 5) console.log('started');
          await new Promise((r) => setTimeout(r, 5));
          yield syntheticSample(8, 8, { lesion: [[0, 0, 2, 2]] }, { index: i });
        }
      });
      await writeDataset(module, ${JSON.stringify(dir)}, ${JSON.stringify(out)});
    `;
    const tsx = fileURLToPath(import.meta.resolve('tsx'));
    const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const left = readdirSync(out);
    assert.equal(left.length, 1);
    assert.match(left[0], /^\.Slow\.partial-\d+$/);
    assert.equal(existsSync(join(out, 'Slow')), false);
    const quick = fakeDataset('Slow', ['lesion'], async function* () {
      yield syntheticSample(8, 8, { lesion: [[0, 0, 2, 2]] }, { index: 0 });
    });
    await writeDataset(quick, dir, out);
    assert.deepEqual(readdirSync(out), ['Slow']);
  } finally {
    cleanup();
  }
});

test('an image that cannot be written as PNG fails the conversion cleanly', async () => {
  const { dir, cleanup } = tempDir('corpus-png');
  try {
    const module = fakeDataset('Five', ['lesion'], async function* () {
      yield syntheticSample(4, 4, { lesion: [[0, 0, 1, 1]] }, { index: 1 });
      yield { ...syntheticSample(4, 4, {}, { index: 2 }), image: { data: new Uint8Array(80), width: 4, height: 4, channels: 5 } };
      for (let i = 3; i < 8; i++) yield syntheticSample(4, 4, {}, { index: i });
    });
    await assert.rejects(writeDataset(module, dir, join(dir, 'out')), /Five: conversion failed, nothing written: cannot write .*Five__2\.png: .*1 to 4 channels/);
    assert.equal(existsSync(join(dir, 'out')), false, 'the output folder the run created is removed too');
  } finally {
    cleanup();
  }
});
