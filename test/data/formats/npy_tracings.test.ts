import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dictEntry, isNpyArray, npyFrame, npyFrameCount, readNpyArray, readNpyDict } from '../../../src/data/formats/npy_dict.js';
import { readVolumeTracings, tracingMask } from '../../../src/data/formats/volume_tracings.js';
import { npyBytes, pickledNpy, type PyValue } from './synthetic_writers.js';
import { tempDir } from '../../helpers/temp_dir.js';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir('npy');
  try {
    await run(dir);
  } finally {
    cleanup();
  }
}

test('.npy frames: (N, H, W, C) arrays give N frames of W×H with C interleaved channels, C order', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'frames.npy');
    await writeFile(
      path,
      npyBytes(
        [2, 3, 4, 2],
        'int16',
        Array.from({ length: 48 }, (_, i) => i - 10),
      ),
    );
    const array = readNpyArray(path);
    assert.equal(npyFrameCount(array, path), 2);
    const frame = npyFrame(array, 1, path);
    assert.deepEqual([frame.width, frame.height, frame.channels], [4, 3, 2]);
    assert.deepEqual([...frame.values.subarray(0, 4)], [14, 15, 16, 17]);
    assert.throws(() => npyFrame(array, 2, path), /frame 2 out of range 0\.\.1/);
    const flat = join(dir, 'flat.npy');
    await writeFile(flat, npyBytes([5], 'uint8', [1, 2, 3, 4, 5]));
    assert.throws(() => npyFrameCount(readNpyArray(flat), flat), /flat\.npy: array of shape \(5\) is not \(H, W\)/);
    const broken = join(dir, 'broken.npy');
    await writeFile(broken, npyBytes([4, 4], 'uint8', new Array(16).fill(0)).subarray(0, 100));
    assert.throws(() => readNpyArray(broken), /broken\.npy/);
  });
});

test('pickled dicts of arrays (np.save of a dict) read back as Maps; wrong shapes name the file and key', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'dict.npy');
    const value: PyValue = new Map<string, PyValue>([
      ['structures', new Map<string, PyValue>([['liver', { shape: [2, 2], uint8: new Uint8Array([0, 1, 1, 0]) }]])],
      ['patient', 'P7'],
    ]);
    await writeFile(path, pickledNpy(value));
    const dict = readNpyDict(path);
    assert.equal(dict.get('patient'), 'P7');
    const liver = dictEntry(dict, 'structures', path).get('liver');
    assert.ok(isNpyArray(liver));
    assert.deepEqual(liver.shape, [2, 2]);
    assert.deepEqual([...liver.data], [0, 1, 1, 0]);
    assert.throws(() => dictEntry(dict, 'masks', path), /dict\.npy: entry "masks" is missing, expected a dict \(keys: structures, patient\)/);
    assert.throws(() => dictEntry(dict, 'patient', path), /entry "patient" is a string/);
    const numeric = join(dir, 'numeric.npy');
    await writeFile(numeric, npyBytes([2], 'uint8', [1, 2]));
    assert.throws(() => readNpyDict(numeric), /numeric\.npy/);
  });
});

test('VolumeTracings.csv: Dynamic chords and Pediatric points become outlines; bad rows are reported', async () => {
  await withDir(async (dir) => {
    const dynamic = join(dir, 'dynamic.csv');
    await writeFile(dynamic, ['FileName,X1,Y1,X2,Y2,Frame', 'a.avi,5,0,5,9,3', 'a.avi,2,2,8,2,3', 'a.avi,2,6,8,6,3', 'a.avi,x,1,1,1,4'].join('\n'));
    const bad: string[] = [];
    const tracings = await readVolumeTracings(dynamic, (line, problem) => bad.push(`${line}: ${problem}`));
    // chords (2,2)-(8,2) and (2,6)-(8,6): outline (2,2), (2,6), (8,6), (8,2); the long axis row is left out
    assert.deepEqual(tracings.get('a.avi'), [
      {
        frame: 3,
        outline: [
          [2, 2],
          [2, 6],
          [8, 6],
          [8, 2],
        ],
      },
    ]);
    assert.equal(bad.length, 1);
    assert.match(bad[0], /^5: not a tracing row/);
    const mask = tracingMask(
      [
        [2.9, 2.2],
        [2.9, 6.7],
        [8.1, 6.7],
        [8.1, 2.2],
      ],
      10,
      10,
    );
    assert.equal(
      mask.reduce((a, b) => a + b, 0),
      7 * 5,
    ); // x 2..8, y 2..6 (truncated, edges included)

    const pediatric = join(dir, 'pediatric.csv');
    await writeFile(pediatric, ['FileName,X,Y,Frame', 'p.avi,1,1,10', 'p.avi,4,1,10', 'p.avi,4,3,10', 'p.avi,0,0,No Diastolic'].join('\n'));
    const points = await readVolumeTracings(pediatric, () => assert.fail('no bad rows expected'));
    assert.deepEqual(points.get('p.avi'), [
      {
        frame: 10,
        outline: [
          [1, 1],
          [4, 1],
          [4, 3],
        ],
      },
    ]);

    const wrong = join(dir, 'wrong.csv');
    await writeFile(wrong, 'FileName,A,B,Frame\nq.avi,1,2,3\n');
    await assert.rejects(
      readVolumeTracings(wrong, () => undefined),
      /wrong\.csv: expected columns X1,Y1,X2,Y2 or X,Y/,
    );
  });
});
