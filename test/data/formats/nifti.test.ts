import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readNifti, readNiftiHeader, streamNiftiFrames } from '../../../src/data/formats/nifti.js';
import { frameToImage, sagittalSlice, volumeFrames } from '../../../src/data/formats/volume.js';
import { niftiBytes, writeNifti, type TestVoxelType } from './synthetic_writers.js';
import { tempDir } from '../../helpers/temp_dir.js';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir('nifti');
  try {
    await run(dir);
  } finally {
    cleanup();
  }
}

/** value at (x, y, z) = 100·z + 10·y + x, stored x fastest */
function ramp(nx: number, ny: number, nz: number): number[] {
  const out: number[] = [];
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) out.push(100 * z + 10 * y + x);
  return out;
}

test('3-D .nii.gz: frames are x-by-y images numbered over z, pixel (x, y) at x + y·width', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'vol.nii.gz');
    await writeNifti(path, { dims: [4, 3, 2], type: 'int16', values: ramp(4, 3, 2), pixdim: [0.5, 0.25, 2] });
    const header = await readNiftiHeader(path);
    assert.deepEqual(header.dims, [4, 3, 2]);
    assert.equal(header.gzipped, true);
    assert.deepEqual(header.spacing, [0.5, 0.25, 2]);
    const frames = [];
    for await (const frame of streamNiftiFrames(path)) frames.push(frame);
    assert.equal(frames.length, 2);
    assert.equal(frames[1].width, 4);
    assert.equal(frames[1].height, 3);
    assert.equal(frames[1].values[2 + 1 * 4], 112); // x=2, y=1, z=1
    assert.deepEqual(frames[0].spacing, [0.5, 0.25]);
    const image = frameToImage(frames[0]);
    assert.deepEqual(image.pixelSpacingMm, [0.5, 0.25]);
  });
});

test('every supported datatype decodes, in both byte orders', async () => {
  await withDir(async (dir) => {
    const types: TestVoxelType[] = ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'];
    for (const type of types) {
      for (const littleEndian of [true, false]) {
        const path = join(dir, `${type}-${littleEndian}.nii`);
        const values = type === 'int8' ? [-3, 0, 5, 100] : [0, 7, 42, 120];
        await writeNifti(path, { dims: [2, 2], type, values, littleEndian });
        const volume = await readNifti(path);
        assert.deepEqual(Array.from(volume.data), values, `${type} ${littleEndian ? 'LE' : 'BE'}`);
        assert.deepEqual(volume.dims, [2, 2]);
      }
    }
  });
});

test('scl_slope and scl_inter are applied; metre units become millimetres', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'scaled.nii');
    await writeNifti(path, { dims: [2, 1], type: 'int16', values: [10, 20], slope: 0.5, intercept: 3, pixdim: [0.001, 0.002], units: 1 });
    const volume = await readNifti(path);
    assert.deepEqual(Array.from(volume.data), [8, 13]);
    assert.ok(Math.abs(volume.spacing[0] - 1) < 1e-6);
    assert.ok(Math.abs(volume.spacing[1] - 2) < 1e-6);
  });
});

test('2D+t: frames run over z then t; sagittal slices are y-by-z images', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'seq.nii.gz');
    // dims x=3, y=2, z=1, t=4: frame t has every value = t
    const values: number[] = [];
    for (let t = 0; t < 4; t++) for (let i = 0; i < 6; i++) values.push(t);
    await writeNifti(path, { dims: [3, 2, 1, 4], type: 'uint8', values });
    const volume = await readNifti(path);
    const frames = [...volumeFrames(volume)];
    assert.equal(frames.length, 4);
    assert.deepEqual(
      frames.map((f) => f.values[0]),
      [0, 1, 2, 3],
    );

    const cube = join(dir, 'cube.nii');
    await writeNifti(cube, { dims: [4, 3, 2], type: 'int16', values: ramp(4, 3, 2), pixdim: [1, 0.5, 3] });
    const slice = sagittalSlice(await readNifti(cube), 2);
    assert.equal(slice.width, 3); // y
    assert.equal(slice.height, 2); // z
    assert.equal(slice.values[1 * 3 + 2], 122); // row z=1, column y=2, x=2
    assert.deepEqual(slice.spacing, [0.5, 3]);
  });
});

test('truncated, non-NIfTI and unsupported-datatype files fail naming the file', async () => {
  await withDir(async (dir) => {
    const truncated = join(dir, 'truncated.nii');
    const full = niftiBytes({ dims: [8, 8, 4], type: 'uint8', values: new Array(256).fill(1) });
    await writeFile(truncated, full.subarray(0, full.length - 10));
    await assert.rejects(readNifti(truncated), /truncated\.nii: voxel data: expected 256 bytes/);
    const frames: number[] = [];
    await assert.rejects(async () => {
      for await (const f of streamNiftiFrames(truncated)) frames.push(f.index);
    }, /truncated\.nii: frame 3 of 4/);
    assert.deepEqual(frames, [0, 1, 2]);

    const text = join(dir, 'text.nii');
    await writeFile(text, 'hello'.repeat(100));
    await assert.rejects(readNiftiHeader(text), /text\.nii: not a NIfTI file/);

    const complex = join(dir, 'complex.nii');
    const bytes = niftiBytes({ dims: [1, 1], type: 'float64', values: [0] });
    bytes.writeInt16LE(32, 70); // COMPLEX64
    await writeFile(complex, bytes);
    await assert.rejects(readNiftiHeader(complex), /complex\.nii: unsupported NIfTI datatype 32/);
  });
});
