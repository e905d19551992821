// `ultrasam everything` as a user runs it (in process): the files it writes agree with each other
// and with the printed summary, the output folder is never half-written or silently replaced, and
// bad options are named. Uses the parity fixture's small random SAM with its filters lowered.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { registerEverythingCommand } from '../../src/cli/everything.js';
import { decodeRle, rleArea, type Rle } from '../../src/data/rle.js';
import { readImage } from '../../src/image/read.js';
import { FIXTURE_DIR, fixtureMissing } from '../model/fixture.js';
import { runCli } from './in_process.js';
import { tempDir } from '../helpers/temp_dir.js';

const IMAGE = `${FIXTURE_DIR}image.png`;
const MODEL = ['--weights', `${FIXTURE_DIR}sam_weights.pth`, '--decoder-heads', '4', '--threads', '2'];
// No NMS and min-region cleanup: the random model's masks become many distinct blobs.
const LOW = ['--points-per-side', '3', '--pred-iou-thresh', '0', '--stability-thresh', '0', '--box-nms-thresh', '1', '--min-region-area', '400'];

test('everything writes one PNG per mask, a COCO file and an overlay, and --json counts them', { skip: fixtureMissing, timeout: 600_000 }, async () => {
  const { dir: work, cleanup: removeWork } = tempDir('everything');
  try {
    const out = join(work, 'd');
    const run = await runCli(registerEverythingCommand, ['everything', IMAGE, '--out-dir', out, '--json', ...MODEL, ...LOW]);
    assert.equal(run.code, 0);
    const summary = JSON.parse(run.lines.at(-1)!) as { masks: number; mask_files: string[]; coco: string; overlay: string; areas_px: number[] };
    assert.equal(summary.masks, 27, '3 × 3 points × 3 outputs, nothing filtered');
    const files = readdirSync(out).sort();
    assert.deepEqual(files, [...summary.mask_files, 'masks.coco.json', 'overlay.png'].sort());
    const coco = JSON.parse(readFileSync(summary.coco, 'utf8')) as {
      images: { width: number; height: number; file_name: string }[];
      annotations: { segmentation: Rle; area: number; bbox: number[]; predicted_iou: number }[];
    };
    assert.deepEqual(
      coco.images.map((i) => [i.file_name, i.width, i.height]),
      [['image.png', 500, 315]],
    );
    assert.equal(coco.annotations.length, summary.masks);
    for (const [i, a] of coco.annotations.entries()) {
      assert.equal(rleArea(a.segmentation), a.area);
      assert.equal(a.area, summary.areas_px[i]);
      const png = await readImage(join(out, summary.mask_files[i]));
      const rle = decodeRle(a.segmentation);
      let same = 0;
      for (let p = 0; p < rle.length; p++) if ((png.data[p * png.channels] > 0 ? 1 : 0) === rle[p]) same++;
      assert.equal(same, rle.length, `mask ${i}: the PNG and the COCO RLE agree`);
    }
    const overlay = await readImage(summary.overlay);
    assert.deepEqual([overlay.width, overlay.height, overlay.channels], [500, 315, 3]);

    // A second run into the same folder must not replace it silently; --force does, whole.
    await assert.rejects(runCli(registerEverythingCommand, ['everything', IMAGE, '--out-dir', out, ...MODEL, ...LOW]), /exists and is not empty \(use --force/);
    const again = await runCli(registerEverythingCommand, ['everything', IMAGE, '--out-dir', out, '--force', ...MODEL, '--points-per-side', '2', '--pred-iou-thresh', '0', '--stability-thresh', '0']);
    assert.equal(again.code, 0);
    assert.equal(readdirSync(out).filter((f) => f.startsWith('mask_')).length, 1, 'the old masks are gone');
    assert.ok(!readdirSync(work).some((f) => f.includes('partial')), 'no partial folder is left');
  } finally {
    removeWork();
  }
});

test('everything names bad options and leaves no folder after a failure', { skip: fixtureMissing }, async () => {
  const { dir: work, cleanup: removeWork } = tempDir('everything');
  try {
    const out = join(work, 'd');
    await assert.rejects(runCli(registerEverythingCommand, ['everything', IMAGE, '--out-dir', out, '--pred-iou-thresh', '1.5', ...MODEL]), /'1.5' is not a number in \[0, 1\]/);
    await assert.rejects(runCli(registerEverythingCommand, ['everything', IMAGE, '--out-dir', out, '--points-per-side', '0', ...MODEL]), /'0' is not a positive integer/);
    const notImage = join(work, 'notes.txt');
    writeFileSync(notImage, 'not an image');
    await assert.rejects(runCli(registerEverythingCommand, ['everything', notImage, '--out-dir', out, ...MODEL]), /notes\.txt.*unsupported image format/);
    assert.equal(existsSync(out), false);
    mkdirSync(out);
    await runCli(registerEverythingCommand, ['everything', IMAGE, '--out-dir', out, '--points-per-side', '1', '--pred-iou-thresh', '0', '--stability-thresh', '0', ...MODEL]);
    assert.equal(readdirSync(out).length, 3, 'an empty existing folder is used');
  } finally {
    removeWork();
  }
});

test('the bundled model brings its own generator thresholds: masks on a shipped example with no flags; flags still win', { timeout: 600_000 }, async () => {
  const example = join(import.meta.dirname, '../../examples/fetal_head.jpg');
  const { dir: work, cleanup } = tempDir('everything');
  try {
    const run = async (dir: string, flags: string[]) => {
      const { out } = await runCli(registerEverythingCommand, ['everything', example, '--out-dir', join(work, dir), '--points-per-side', '16', '--json', ...flags]);
      return JSON.parse(out.trim().split('\n').pop()!) as { masks: number; options: { predIouThresh: number; stabilityScoreThresh: number } };
    };
    const recorded = await run('recorded', []);
    assert.ok(recorded.masks >= 1, `${recorded.masks} masks with the bundled model's thresholds`);
    assert.deepEqual([recorded.options.predIouThresh, recorded.options.stabilityScoreThresh], [0.6, 0.3]);
    const sam = await run('sam', ['--pred-iou-thresh', '0.88', '--stability-thresh', '0.95']);
    assert.deepEqual([sam.options.predIouThresh, sam.options.stabilityScoreThresh], [0.88, 0.95]);
    assert.ok(sam.masks < recorded.masks, `SAM's thresholds keep fewer masks (${sam.masks}) than the model's (${recorded.masks})`);
  } finally {
    cleanup();
  }
});
