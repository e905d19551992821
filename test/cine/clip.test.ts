// Reading cine clips: a multi-frame DICOM with its frame timing and calibration, a folder of frames
// in natural order, and the errors for frames that do not fit together.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readClip } from '../../src/cine/clip.js';
import { readDicomInfo } from '../../src/image/dicom.js';
import { encodePng } from '../../src/image/write.js';
import { type DicomElements, buildDicom, pixelElements } from '../image/dicom_writer.js';
import { tempDir } from '../helpers/temp_dir.js';

/** A multi-frame 8-bit DICOM whose frame k is filled with the value 10·k. */
export function cineDicom(frames: number, timing: DicomElements, width = 8, height = 6): Uint8Array {
  const pixels = new Uint8Array(width * height * frames);
  for (let f = 0; f < frames; f++) pixels.fill(10 * f, f * width * height, (f + 1) * width * height);
  return buildDicom({ ...pixelElements({ rows: height, columns: width, photometric: 'MONOCHROME2', bitsAllocated: 8, frames, pixels }), '0028,0030': { vr: 'DS', value: '0.5\\0.25' }, ...timing });
}

test('frame times: Frame Time Vector, else Frame Time, else Cine Rate; none for a still image', () => {
  assert.deepEqual(readDicomInfo(cineDicom(4, { '0018,1065': { vr: 'DS', value: '0\\33.3\\40\\50' } })).frameTimesMs, [0, 33.3, 73.3, 123.3]);
  assert.deepEqual(readDicomInfo(cineDicom(3, { '0018,1063': { vr: 'DS', value: '40' } })).frameTimesMs, [0, 40, 80]);
  assert.deepEqual(readDicomInfo(cineDicom(3, { '0018,0040': { vr: 'IS', value: '25' } })).frameTimesMs, [0, 40, 80]);
  assert.equal(readDicomInfo(cineDicom(3, {})).frameTimesMs, undefined);
  assert.equal(readDicomInfo(cineDicom(1, { '0018,1063': { vr: 'DS', value: '40' } })).frameTimesMs, undefined);
  // A vector of the wrong length is not trusted; the Frame Time is used instead.
  assert.deepEqual(readDicomInfo(cineDicom(3, { '0018,1065': { vr: 'DS', value: '0\\20' }, '0018,1063': { vr: 'DS', value: '10' } })).frameTimesMs, [0, 10, 20]);
});

test('readClip: a multi-frame DICOM, a folder in natural order, and frames of different sizes', async () => {
  const { dir: work, cleanup: removeWork } = tempDir('clip');
  try {
    const dcm = join(work, 'cine.dcm');
    writeFileSync(dcm, cineDicom(5, { '0018,1063': { vr: 'DS', value: '20' } }));
    const clip = await readClip(dcm);
    assert.equal(clip.kind, 'dicom');
    assert.equal(clip.frames.length, 5);
    assert.deepEqual(
      clip.frames.map((f) => f.data[0]),
      [0, 10, 20, 30, 40],
    );
    assert.deepEqual(clip.timesMs, [0, 20, 40, 60, 80]);
    assert.deepEqual(clip.pixelSpacingMm, [0.25, 0.5]);
    assert.deepEqual(clip.frameNames.slice(0, 2), ['cine.dcm#0', 'cine.dcm#1']);

    const folder = join(work, 'frames');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(folder);
    for (const k of [1, 2, 10, 9]) {
      writeFileSync(join(folder, `frame${k}.png`), await encodePng({ data: new Uint8Array(12).fill(k), width: 4, height: 3, channels: 1 }));
    }
    writeFileSync(join(folder, 'notes.txt'), 'not a frame');
    const frames = await readClip(folder);
    assert.equal(frames.kind, 'folder');
    assert.deepEqual(frames.frameNames, ['frame1.png', 'frame2.png', 'frame9.png', 'frame10.png']);
    assert.equal(frames.timesMs, undefined);
    writeFileSync(join(folder, 'frame11.png'), await encodePng({ data: new Uint8Array(20), width: 5, height: 4, channels: 1 }));
    await assert.rejects(readClip(folder), /frame 4 \(frame11\.png\) is 5×4, the first frame 4×3/);
    await assert.rejects(readClip(join(work, 'missing')), /missing: no such file or folder/);
    mkdirSync(join(work, 'empty'));
    await assert.rejects(readClip(join(work, 'empty')), /holds no image files/);
  } finally {
    removeWork();
  }
});
