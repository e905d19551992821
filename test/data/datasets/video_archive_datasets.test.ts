/**
 * Converters that need a system tool: EchoNet-Dynamic, EchoNet-Pediatric and brachial_plexus
 * (videos through ffmpeg), Fast-U-Net (RAR archives). Without the tool the conversion must stop at
 * once with the install hint; with it (when installed here) the synthetic raw folders convert.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dataset as brachialPlexus } from '../../../src/data/datasets/brachial_plexus.js';
import { dataset as echonetDynamic } from '../../../src/data/datasets/echonet_dynamic.js';
import { dataset as echonetPediatric } from '../../../src/data/datasets/echonet_pediatric.js';
import { dataset as fastUNet } from '../../../src/data/datasets/fast_u_net.js';
import { findRarExtractor } from '../../../src/data/formats/rar.js';
import { findExecutable } from '../../../src/data/formats/system_tool.js';
import type { DatasetModule } from '../../../src/data/types.js';
import { rarBytes, writeVideo } from '../formats/synthetic_writers.js';
import { blank, convertAll, countIn, maskOf, paint, scan, strictError, writeRaster, writeText } from './raw_fixtures.js';
import { tempDir } from '../../helpers/temp_dir.js';

const ffmpeg = await findExecutable('ffmpeg');
const rarTool = await findRarExtractor();

/** Frames whose every pixel is 30·k (grey), so a decoded frame tells its number. */
function levelFrames(count: number, width: number, height: number): Uint8Array[] {
  return Array.from({ length: count }, (_, k) => new Uint8Array(width * height * 3).fill(30 * k));
}

async function video(path: string, frames: Uint8Array[], width: number, height: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeVideo(ffmpeg!, path, frames, width, height);
}

/** Runs `convert` with an empty PATH, as on a machine without the tool. */
async function withoutTools<T>(run: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  const { dir: empty, cleanup: removeEmpty } = tempDir('empty-path');
  process.env.PATH = empty;
  try {
    return await run();
  } finally {
    process.env.PATH = saved;
    removeEmpty();
  }
}

async function firstError(module: DatasetModule, rawDir: string): Promise<Error> {
  return withoutTools(() => strictError(module, rawDir));
}

test('without ffmpeg / a RAR tool, the video and archive converters stop with the install hint', async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('no-tools');
  try {
    await writeText(join(raw, 'EchoNet-Dynamic/VolumeTracings.csv'), 'FileName,X1,Y1,X2,Y2,Frame\n');
    await writeText(join(raw, 'A4C/VolumeTracings.csv'), 'FileName,X,Y,Frame\n');
    await writeText(join(raw, 'Dataset/AC/AC_mask.rar'), 'Rar!');
    assert.equal((await firstError(echonetDynamic, raw)).message, 'ffmpeg not found: install it (apt-get install ffmpeg) to convert EchoNet-Dynamic');
    assert.equal((await firstError(echonetPediatric, raw)).message, 'ffmpeg not found: install it (apt-get install ffmpeg) to convert EchoNet-Pediatric');
    assert.equal((await firstError(brachialPlexus, raw)).message, 'ffmpeg not found: install it (apt-get install ffmpeg) to convert brachial_plexus');
    assert.match((await firstError(fastUNet, raw)).message, /^no RAR extractor found \(looked for unrar, unar, 7z, 7zz, bsdtar\): install one \(apt-get install unar\) to convert Fast-U-Net$/);
  } finally {
    removeRaw();
  }
});

test('EchoNet-Dynamic: traced frames only, chord polygons filled, FileList split and EF kept, missing video reported', { skip: !ffmpeg && 'ffmpeg is not installed' }, async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('echonet-dynamic');
  try {
    const root = join(raw, 'EchoNet-Dynamic');
    await video(join(root, 'Videos/0X1A.avi'), levelFrames(6, 32, 32), 32, 32);
    const rows = ['FileName,X1,Y1,X2,Y2,Frame'];
    for (const frame of [1, 4]) {
      rows.push(`0X1A.avi,16.2,4.1,16.5,28.3,${frame}`); // long axis: not part of the outline
      for (let y = 8; y <= 24; y += 4) rows.push(`0X1A.avi,10.7,${y}.4,22.2,${y}.9,${frame}`);
    }
    rows.push('0X2B.avi,1,1,5,5,3', '0X2B.avi,1,2,5,2,3', '0X2B.avi,1,4,5,4,3');
    await writeText(join(root, 'VolumeTracings.csv'), rows.join('\n') + '\n');
    await writeText(join(root, 'FileList.csv'), 'FileName,EF,ESV,EDV,FrameHeight,FrameWidth,FPS,NumberOfFrames,Split\n0X1A,55.5,1,2,32,32,50,6,TEST\n');
    const { samples, warnings } = await convertAll(echonetDynamic, raw);
    assert.equal(samples.length, 2);
    assert.deepEqual(
      samples.map((s) => s.index),
      ['1', '4'],
    );
    assert.deepEqual(
      samples.map((s) => s.patient),
      ['0X1A', '0X1A'],
    );
    assert.deepEqual(
      samples.map((s) => s.officialSplit),
      ['test', 'test'],
    );
    assert.equal(samples[0].labels?.ejection_fraction, 55.5);
    assert.ok(Math.abs(samples[1].image.data[0] - 120) <= 3, `frame 4 decoded as level ${samples[1].image.data[0]}`);
    // chords from (10, y) to (22, y), y = 8..24 (coordinates truncated): the filled box 10..22 × 8..24
    assert.deepEqual(countIn(maskOf(samples[0], 'left_ventricle'), 32, 10, 8, 23, 25), { inside: 13 * 17, total: 13 * 17 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].problem, /missing video: EchoNet-Dynamic\/Videos\/0X2B\.avi/);
    assert.match((await strictError(echonetDynamic, raw)).message, /VolumeTracings\.csv: missing video/);
  } finally {
    removeRaw();
  }
});

test('EchoNet-Pediatric: A4C and PSAX point outlines, 1-based frames, "No Systolic" rows skipped, bad rows reported', { skip: !ffmpeg && 'ffmpeg is not installed' }, async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('echonet-pediatric');
  try {
    const root = join(raw, 'pediatric_echo_avi/pediatric_echo_avi');
    await video(join(root, 'A4C/Videos/CR32.avi'), levelFrames(4, 24, 24), 24, 24);
    await video(join(root, 'PSAX/Videos/CR33.avi'), levelFrames(4, 24, 24), 24, 24);
    const square = (file: string, frame: number | string) => [`${file},4,4,${frame}`, `${file},12,4,${frame}`, `${file},12,10,${frame}`, `${file},4,10,${frame}`];
    await writeText(join(root, 'A4C/VolumeTracings.csv'), ['FileName,X,Y,Frame', ...square('CR32.avi', 3), 'CR32.avi,0,0,No Systolic'].join('\n'));
    await writeText(join(root, 'PSAX/VolumeTracings.csv'), ['FileName,X,Y,Frame', ...square('CR33.avi', 1), 'CR33.avi,abc,1,2'].join('\n'));
    const { samples, warnings } = await convertAll(echonetPediatric, raw);
    assert.equal(samples.length, 2);
    assert.deepEqual(
      samples.map((s) => `${s.patient}:${s.index}:${s.labels?.view}`),
      ['CR32:A4C_2:A4C', 'CR33:PSAX_0:PSAX'],
    );
    assert.ok(Math.abs(samples[0].image.data[0] - 60) <= 3);
    assert.deepEqual(countIn(maskOf(samples[0], 'left_ventricle'), 24, 4, 4, 13, 11), { inside: 63, total: 63 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].problem, /line 6: not a tracing row/);
    assert.match((await strictError(echonetPediatric, raw)).message, /PSAX\/VolumeTracings\.csv: line 6/);
  } finally {
    removeRaw();
  }
});

test('brachial_plexus: masks matched by frame number, needle when present, videos without masks reported', { skip: !ffmpeg && 'ffmpeg is not installed' }, async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('brachial');
  try {
    const [w, h] = [32, 24];
    await video(join(raw, 'data/Butterfly/videos/b240.mp4'), levelFrames(4, w, h), w, h);
    await video(join(raw, 'data/Sonosite/videos/s005.mp4'), levelFrames(2, w, h), w, h);
    await writeRaster(join(raw, 'data/Butterfly/ac_masks/b240/b240_000.jpg'), paint(blank(w, h), 4, 4, 12, 12, [255]));
    await writeRaster(join(raw, 'data/Butterfly/ac_masks/b240/b240_002.jpg'), paint(blank(w, h), 16, 8, 24, 16, [255]));
    await writeRaster(join(raw, 'data/Butterfly/needle/needle_masks/b240/b240_002.jpg'), paint(blank(w, h), 0, 20, 32, 22, [255]));
    const { samples, warnings } = await convertAll(brachialPlexus, raw);
    assert.equal(samples.length, 2);
    assert.deepEqual(
      samples.map((s) => s.index),
      [0, 2],
    );
    assert.deepEqual(
      samples.map((s) => s.labels?.device),
      ['Butterfly', 'Butterfly'],
    );
    assert.ok(Math.abs(samples[1].image.data[0] - 60) <= 4);
    assert.deepEqual(
      samples[0].masks.map((m) => m.category),
      ['nerve_plexus'],
    );
    assert.deepEqual(countIn(maskOf(samples[1], 'nerve_plexus'), w, 16, 8, 24, 16), { inside: 64, total: 64 });
    assert.deepEqual(countIn(maskOf(samples[1], 'needle'), w, 0, 20, 32, 22), { inside: 64, total: 64 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].file, /s005\.mp4/);
    assert.match((await strictError(brachialPlexus, raw)).message, /s005\.mp4: missing mask/);
  } finally {
    removeRaw();
  }
});

test('Fast-U-Net: RAR archives extracted, AC/HC pairing, masks opened to the largest region, missing mask reported', { skip: !rarTool && 'no unrar, unar, 7z or bsdtar installed' }, async () => {
  const { dir: raw, cleanup: removeRaw } = tempDir('fast-u-net');
  const { dir: pngs, cleanup: removePngs } = tempDir('fast-u-net-png');
  try {
    const [w, h] = [48, 40];
    const png = async (name: string, raster: Parameters<typeof writeRaster>[1]) => {
      await writeRaster(join(pngs, name), raster);
      return { name, data: await readFile(join(pngs, name)) };
    };
    const image = scan(w, h, 3);
    // a 20×20 region and a 3×3 speck: the opening keeps the region only
    const region = paint(paint(blank(w, h), 4, 4, 24, 24, [255]), 40, 30, 43, 33, [255]);
    const speck = paint(blank(w, h), 30, 30, 35, 35, [255]);
    const write = async (rel: string, files: { name: string; data: Buffer }[]) => {
      await mkdir(dirname(join(raw, rel)), { recursive: true });
      await writeFile(join(raw, rel), rarBytes(files));
    };
    await write('Dataset/AC/AC_image1.rar', [await png('001.png', image), await png('002.png', image)]);
    await write('Dataset/AC/AC_image2.rar', [await png('003.png', image)]);
    await write('Dataset/AC/AC_mask.rar', [await png('001.png', region), await png('002.png', speck)]);
    await write('Dataset/HC/HC_image1.rar', [await png('010_HC.png', image)]);
    await write('Dataset/HC/HC_image2.rar', [await png('011_HC.png', image)]);
    await write('Dataset/HC/HC_image3.rar', [await png('012_HC.png', image)]);
    const hcMasks = [];
    for (const n of ['010', '011', '012']) hcMasks.push(await png(`${n}_HC_Annotation.png`, region));
    await write('Dataset/HC/HC_mask.rar', hcMasks);
    const { samples, warnings } = await convertAll(fastUNet, raw);
    assert.deepEqual(
      samples.map((s) => s.index),
      ['AC_001', 'HC_010_HC', 'HC_011_HC', 'HC_012_HC'],
    );
    assert.deepEqual(
      samples.map((s) => s.masks[0].category),
      ['abdomen', 'fetal_head', 'fetal_head', 'fetal_head'],
    );
    assert.equal(samples[0].sourceFile, 'Dataset/AC/AC_image1.rar:001.png');
    assert.deepEqual(countIn(maskOf(samples[0], 'abdomen'), w, 4, 4, 24, 24), { inside: 400, total: 400 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].file, /AC_image2\.rar:003\.png/);
    assert.match(warnings[0].problem, /missing mask/);
    assert.match((await strictError(fastUNet, raw)).message, /003\.png: missing mask/);
  } finally {
    removeRaw();
    removePngs();
  }
});
