import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hdf5File, loadH5wasm } from '../../../src/data/formats/hdf5.js';
import { tempDir } from '../../helpers/temp_dir.js';

test('HDF5: lists datasets, reads frames one index at a time, and string ids', async () => {
  const { dir, cleanup } = tempDir('h5');
  try {
    const path = join(dir, 'clips.hdf5');
    const h5 = await loadH5wasm();
    const out = new h5.File(path, 'w');
    const frames = new Uint8Array(3 * 2 * 4);
    for (let i = 0; i < frames.length; i++) frames[i] = i;
    out.create_dataset({ name: 'image', data: frames, shape: [3, 2, 4], dtype: '<B' });
    out.create_group('meta');
    (out.get('meta') as InstanceType<typeof h5.Group>).create_dataset({ name: 'frame_num', data: new Int32Array([0, 1, 2]) });
    out.create_dataset({ name: 'annot_id', data: ['12_', '12_', '7_'] });
    out.close();

    const file = await Hdf5File.open(path);
    try {
      const listed = file
        .listDatasets()
        .map((d) => `${d.path}:${d.shape.join('x')}`)
        .sort();
      assert.deepEqual(listed, ['annot_id:3', 'image:3x2x4', 'meta/frame_num:3']);
      const frame = file.readFrame('image', 2);
      assert.equal(frame.width, 4);
      assert.equal(frame.height, 2);
      assert.deepEqual(Array.from(frame.values), [16, 17, 18, 19, 20, 21, 22, 23]);
      assert.deepEqual(file.readStrings('annot_id'), ['12_', '12_', '7_']);
      assert.deepEqual(Array.from(file.readAll('meta/frame_num')), [0, 1, 2]);
      assert.throws(() => file.readFrame('mask', 0), /clips\.hdf5: no dataset "mask" \(datasets: .*image/);
      assert.throws(() => file.readItem('image', 3), /index 3 out of range/);
    } finally {
      file.close();
    }

    const bogus = join(dir, 'bogus.hdf5');
    await writeFile(bogus, 'not hdf5 at all');
    await assert.rejects(Hdf5File.open(bogus), /bogus\.hdf5: cannot open as HDF5/);
  } finally {
    cleanup();
  }
});
