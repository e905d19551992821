// `ultrasam propagate` on a multi-frame DICOM built here (the synthetic clip, calibrated, 40 ms per
// frame) with the bundled model: per-frame masks, COCO, area CSV (mm² and seconds) and the plot.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { registerPropagateCommand } from '../../src/cli/propagate.js';
import { decodeRle, type Rle } from '../../src/data/rle.js';
import { readImage } from '../../src/image/read.js';
import { dice, maskBoxOf, syntheticClip } from '../cine/synthetic_clip.js';
import { buildDicom, pixelElements } from '../image/dicom_writer.js';
import { runCli } from './in_process.js';
import { tempDir } from '../helpers/temp_dir.js';

test('propagate on a multi-frame DICOM writes per-frame masks, COCO, area.csv and area.png', { timeout: 600_000 }, async () => {
  const clip = syntheticClip({ frames: 8 });
  const [w, h] = [256, 256];
  const pixels = new Uint8Array(w * h * clip.frames.length);
  clip.frames.forEach((f, k) => pixels.set(f.data as Uint8Array, k * w * h));
  const dicom = buildDicom({
    ...pixelElements({ rows: h, columns: w, photometric: 'MONOCHROME2', bitsAllocated: 8, frames: clip.frames.length, pixels }),
    '0028,0030': { vr: 'DS', value: '0.2\\0.3' },
    '0018,1063': { vr: 'DS', value: '40' },
  });
  const { dir: work, cleanup: removeWork } = tempDir('propagate');
  try {
    const path = join(work, 'cine.dcm');
    writeFileSync(path, dicom);
    const out = join(work, 'out');
    const start = 3;
    const box = maskBoxOf(clip.masks[start], w).join(',');
    const run = await runCli(registerPropagateCommand, ['propagate', path, '--frame', String(start), '--box', box, '--out', out, '--carry', 'box', '--json', '--threads', '2']);
    const summary = JSON.parse(run.lines.at(-1)!) as { frames: number; masked_frames: number; kind: string; stops: unknown[]; mask_files: string[]; pixel_spacing_mm: number[] };
    assert.equal(summary.kind, 'dicom');
    assert.equal(summary.frames, 8);
    assert.equal(summary.masked_frames, 8);
    assert.deepEqual(summary.stops, []);
    assert.deepEqual(summary.pixel_spacing_mm, [0.3, 0.2]);
    assert.deepEqual(readdirSync(out).sort(), ['area.csv', 'area.png', 'masks', 'masks.coco.json']);
    assert.deepEqual(
      readdirSync(join(out, 'masks')),
      clip.frames.map((_, k) => `frame_000${k}.png`),
    );

    const coco = JSON.parse(readFileSync(join(out, 'masks.coco.json'), 'utf8')) as {
      images: { id: number; frame: number; time_s: number }[];
      annotations: { image_id: number; segmentation: Rle; area: number; area_mm2: number; score: number; source: string }[];
    };
    assert.deepEqual(
      coco.images.map((i) => i.time_s),
      [0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24, 0.28],
    );
    const csv = readFileSync(join(out, 'area.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'frame,time_s,area_px,area_mm2,score,source');
    const dices: string[] = [];
    for (const a of coco.annotations) {
      const k = a.image_id - 1;
      const mask = decodeRle(a.segmentation);
      const png = await readImage(join(out, 'masks', `frame_000${k}.png`));
      assert.ok(
        mask.every((v, p) => v === (png.data[p] ? 1 : 0)),
        `frame ${k}: PNG and RLE agree`,
      );
      assert.ok(Math.abs(a.area_mm2 - a.area * 0.06) < 1e-9);
      const [frame, time, areaPx, areaMm2, score, source] = csv[k + 1].split(',');
      assert.deepEqual([Number(frame), Number(time), Number(areaPx), Number(areaMm2), source], [k, Number((k * 0.04).toFixed(6)), a.area, Number(a.area_mm2.toFixed(6)), a.source]);
      assert.ok(Math.abs(Number(score) - a.score) < 1e-6);
      assert.equal(a.source, k === start ? 'prompt' : k > start ? 'forward' : 'backward');
      const d = dice(mask, clip.masks[k]);
      dices.push(d.toFixed(3));
      assert.ok(d >= 0.9, `frame ${k}: Dice ${d}`);
    }
    console.log(`propagate on the DICOM (carry box): Dice per frame ${dices.join(' ')}`);
    const plot = await readImage(join(out, 'area.png'));
    assert.deepEqual([plot.width, plot.height], [800, 400]);

    // The default carry on the same clip: whatever it keeps is written, and its stops are reported.
    const out2 = join(work, 'out2');
    const second = await runCli(registerPropagateCommand, ['propagate', path, '--frame', String(start), '--box', box, '--out', out2, '--json', '--threads', '2']);
    const s2 = JSON.parse(second.lines.at(-1)!) as { masked_frames: number; stops: { message: string }[]; carry: string };
    assert.equal(s2.carry, 'box+logits');
    assert.equal(readdirSync(join(out2, 'masks')).length, s2.masked_frames);
    console.log(`propagate on the DICOM (carry box+logits): ${s2.masked_frames} of 8 frames; ${s2.stops.map((s) => s.message).join('; ') || 'no stop'}`);

    await assert.rejects(runCli(registerPropagateCommand, ['propagate', path, '--frame', '8', '--box', box, '--out', join(work, 'x')]), /--frame 8: .* has 8 frame\(s\), numbered from 0/);
    await assert.rejects(runCli(registerPropagateCommand, ['propagate', path, '--frame', '0', '--out', join(work, 'x')]), /give a prompt for the frame/);
    await assert.rejects(runCli(registerPropagateCommand, ['propagate', path, '--frame', '0', '--box', box, '--out', out]), /exists and is not empty/);
    assert.equal(existsSync(join(work, 'x')), false);
  } finally {
    removeWork();
  }
});
