import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { readMetaImage, readMetaImageHeader, streamMetaImageFrames } from '../../../src/data/formats/mha.js';
import { writeMetaImage } from './synthetic_writers.js';
import { tempDir } from '../../helpers/temp_dir.js';
import { sharedPath, skipWithoutShared } from '../../helpers/shared.js';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir('mha');
  try {
    await run(dir);
  } finally {
    cleanup();
  }
}

function ramp(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

test('.mha 3-D MET_SHORT: header fields, spacing and frame layout', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'a.mha');
    await writeMetaImage(path, { dims: [4, 3, 2], type: 'int16', values: ramp(24).map((v) => v - 5), spacing: [0.2, 0.3, 1.5] });
    const header = await readMetaImageHeader(path);
    assert.deepEqual(header.dims, [4, 3, 2]);
    assert.equal(header.voxelType, 'int16');
    assert.deepEqual(header.spacing, [0.2, 0.3, 1.5]);
    const frames = [];
    for await (const frame of streamMetaImageFrames(path)) frames.push(frame);
    assert.equal(frames.length, 2);
    assert.equal(frames[1].values[1 + 2 * 4], 12 + 9 - 5); // x=1, y=2, z=1
    assert.deepEqual(frames[0].spacing, [0.2, 0.3]);
  });
});

test('.mhd + .zraw (zlib CompressedData) and .mhd + .raw big-endian read the same voxels', async () => {
  await withDir(async (dir) => {
    const values = ramp(30).map((v) => v * 1.5);
    await writeMetaImage(join(dir, 'z.mhd'), { dims: [5, 6], type: 'float32', values, compressed: true });
    await writeMetaImage(join(dir, 'b.mhd'), { dims: [5, 6], type: 'float32', values, bigEndian: true });
    assert.ok(existsSync(join(dir, 'z.zraw')));
    assert.ok(existsSync(join(dir, 'b.raw')));
    const z = await readMetaImage(join(dir, 'z.mhd'));
    const b = await readMetaImage(join(dir, 'b.mhd'));
    assert.deepEqual(Array.from(z.data), values);
    assert.deepEqual(Array.from(b.data), values);
    assert.equal(z.header.compressed, true);
  });
});

test('MET_UCHAR / MET_USHORT and ElementNumberOfChannels interleave per voxel', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'rgb.mha');
    await writeMetaImage(path, { dims: [2, 2], type: 'uint8', channels: 3, values: ramp(12) });
    const volume = await readMetaImage(path);
    assert.equal(volume.channels, 3);
    assert.deepEqual(Array.from(volume.data.subarray(3, 6)), [3, 4, 5]);
    const u16 = join(dir, 'u16.mha');
    await writeMetaImage(u16, { dims: [2, 1], type: 'uint16', values: [0, 65535] });
    assert.deepEqual(Array.from((await readMetaImage(u16)).data), [0, 65535]);
  });
});

test('broken MetaImages fail naming the file and the field', async () => {
  await withDir(async (dir) => {
    const noData = join(dir, 'nodata.mhd');
    await writeFile(noData, 'ObjectType = Image\nNDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = missing.raw\n');
    await assert.rejects(readMetaImageHeader(noData), /nodata\.mhd: data file .*missing\.raw/);
    const badType = join(dir, 'type.mha');
    await writeFile(badType, 'NDims = 2\nDimSize = 1 1\nElementType = MET_LONG_LONG\nElementDataFile = LOCAL\n\0\0\0\0\0\0\0\0');
    await assert.rejects(readMetaImageHeader(badType), /type\.mha: unsupported ElementType "MET_LONG_LONG"/);
    const short = join(dir, 'short.mha');
    await writeFile(short, 'NDims = 2\nDimSize = 4 4\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n\x01\x02');
    await assert.rejects(readMetaImage(short), /short\.mha: voxel data: expected 16 bytes/);
    const notMeta = join(dir, 'x.mha');
    await writeFile(notMeta, 'just text');
    await assert.rejects(readMetaImageHeader(notMeta), /x\.mha: not a MetaImage header/);
  });
});

test('the PSFHS copy in ../shared reads as 256×256 MET_UCHAR', { skip: skipWithoutShared('the PSFHS copy', 'data/ultrasound/psfhs/label_mha') }, async () => {
  const { readdir } = await import('node:fs/promises');
  const names = (await readdir(sharedPath('data/ultrasound/psfhs/label_mha'))).filter((n) => n.endsWith('.mha')).sort();
  const label = await readMetaImage(sharedPath(`data/ultrasound/psfhs/label_mha/${names[0]}`));
  assert.deepEqual(label.dims, [256, 256]);
  const values = new Set(label.data);
  assert.ok([...values].every((v) => v === 0 || v === 1 || v === 2));
  const image = await readMetaImage(sharedPath(`data/ultrasound/psfhs/image_mha/${names[0]}`));
  assert.deepEqual(image.dims, [256, 256, 3]);
});
