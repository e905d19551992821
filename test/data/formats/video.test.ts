import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findExecutable, MissingToolError } from '../../../src/data/formats/system_tool.js';
import { readVideoFrames, requireFfmpeg } from '../../../src/data/formats/video.js';
import { writeVideo } from './synthetic_writers.js';
import { tempDir } from '../../helpers/temp_dir.js';

const ffmpeg = await findExecutable('ffmpeg');

test('without ffmpeg on the search path the error says how to install it and names the dataset', async () => {
  const { dir: emptyDir, cleanup: removeEmptyDir } = tempDir('nopath');
  try {
    await assert.rejects(requireFfmpeg('EchoNet-Dynamic', { searchPath: [emptyDir] }), (error: unknown) => {
      assert.ok(error instanceof MissingToolError);
      assert.equal(error.message, 'ffmpeg not found: install it (apt-get install ffmpeg) to convert EchoNet-Dynamic');
      return true;
    });
    const frames = readVideoFrames('/nonexistent.avi', { datasetName: 'brachial_plexus', searchPath: [emptyDir] });
    await assert.rejects(frames.next(), /ffmpeg not found: install it \(apt-get install ffmpeg\) to convert brachial_plexus/);
  } finally {
    removeEmptyDir();
  }
});

test('decodes the asked-for frames of an AVI and an MP4', { skip: !ffmpeg && 'ffmpeg is not installed' }, async () => {
  const { dir, cleanup } = tempDir('video');
  try {
    const width = 32;
    const height = 16;
    // frame k: a flat grey level 40·k, so decoded values identify the frame even through colour conversion
    const frames = Array.from({ length: 5 }, (_, k) => new Uint8Array(width * height * 3).fill(40 * k));
    for (const name of ['clip.avi', 'clip.mp4']) {
      const path = join(dir, name);
      await writeVideo(ffmpeg!, path, frames, width, height);
      const got: { index: number; level: number }[] = [];
      for await (const frame of readVideoFrames(path, { datasetName: 'test', frames: [1, 3] })) {
        assert.equal(frame.image.width, width);
        assert.equal(frame.image.height, height);
        assert.equal(frame.image.channels, 3);
        got.push({ index: frame.index, level: frame.image.data[(8 * width + 16) * 3] });
      }
      assert.deepEqual(
        got.map((g) => g.index),
        [1, 3],
        name,
      );
      assert.ok(Math.abs(got[0].level - 40) <= 3 && Math.abs(got[1].level - 120) <= 3, `${name}: levels ${got.map((g) => g.level)}`);
      let count = 0;
      for await (const _frame of readVideoFrames(path, { datasetName: 'test' })) count++;
      assert.equal(count, 5);
      await assert.rejects(async () => {
        for await (const _frame of readVideoFrames(path, { datasetName: 'test', frames: [9] })) count++;
      }, /the video has 5 frames, frame 9 does not exist/);
    }
    const corrupt = join(dir, 'corrupt.avi');
    await writeFile(corrupt, 'RIFF not really a video');
    await assert.rejects(readVideoFrames(corrupt, { datasetName: 'test' }).next(), /corrupt\.avi: no video stream found by ffmpeg/);
  } finally {
    cleanup();
  }
});
