// `ultrasam segment` as a user runs it: images of every kind and size, DICOM calibration → mm²,
// clear errors for bad prompts, and the message when no weights are given and none are bundled.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { registerModelCommands } from '../../src/cli/segment.js';
import { readImage } from '../../src/image/read.js';
import { EVERYTHING_METADATA_KEY } from '../../src/model/everything.js';
import { LONE_POINT_METADATA_KEY } from '../../src/eval/click_rule.js';
import { exportModel } from '../../src/model/export.js';
import { MASK_THRESHOLD_METADATA_KEY } from '../../src/model/postprocess.js';
import { FLIP_AVERAGE_METADATA_KEY } from '../../src/model/flip.js';
import { SamPredictor, TRAINING_RECORD_KEY } from '../../src/model/predictor.js';
import { readSafetensorsFile } from '../../src/weights/safetensors.js';
import { buildDicom, pixelElements, ultrasoundRegion } from '../image/dicom_writer.js';
import { FIXTURE_DIR, fixtureMissing } from '../model/fixture.js';
import { tempDir } from '../helpers/temp_dir.js';
import { runCli } from './in_process.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/ultrasam.js', import.meta.url));
const WEIGHTS = `${FIXTURE_DIR}sam_weights.pth`;

async function segment(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'segment', ...args], { maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('segment works on grey, 16-bit, 1×1, 4000×3000 and calibrated DICOM images', { skip: fixtureMissing }, async () => {
  const { dir, cleanup } = tempDir('cli');
  try {
    const grey = join(dir, 'grey.png');
    await sharp(Buffer.from(Array.from({ length: 60 * 40 }, (_, i) => (i * 7) % 256)), { raw: { width: 60, height: 40, channels: 1 } })
      .png()
      .toFile(grey);
    const deep = join(dir, 'deep.png');
    const px16 = new Uint16Array(50 * 30).map((_, i) => (i * 997) % 65536);
    await sharp(Buffer.from(px16.buffer), { raw: { width: 50, height: 30, channels: 1, premultiplied: false } })
      .toColourspace('grey16')
      .png()
      .toFile(deep);
    assert.ok((await readImage(deep)).data instanceof Uint16Array, 'the 16-bit file stays 16-bit');
    const tiny = join(dir, 'tiny.png');
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
      .png()
      .toFile(tiny);
    const big = join(dir, 'big.jpg');
    await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#404040' } })
      .jpeg()
      .toFile(big);
    const dcm = join(dir, 'scan.dcm');
    const pixels = new Uint8Array(80 * 64).map((_, i) => (i % 80 > 20 && i % 80 < 60 ? 200 : 30));
    writeFileSync(
      dcm,
      buildDicom({
        ...pixelElements({ rows: 64, columns: 80, photometric: 'MONOCHROME2', bitsAllocated: 8, pixels }),
        '0018,6011': { vr: 'SQ', items: [ultrasoundRegion({ x0: 0, y0: 0, x1: 79, y1: 63, deltaX: 0.02, deltaY: 0.03 })] },
      }),
    );

    const cases: [string, string[]][] = [
      [grey, ['--point', '30,20']],
      [deep, ['--box', '5,5,40,25']],
      [tiny, ['--point', '0.5,0.5']],
      [big, ['--box', '1000,800,3000,2200', '--point', '2000,1500,0']],
      [dcm, ['--box', '20,10,60,50']],
    ];
    for (const [image, prompt] of cases) {
      const out = join(dir, 'mask.png');
      const r = await segment([image, ...prompt, '--weights', WEIGHTS, '--decoder-heads', '4', '--out', out, '--json', '--threads', '2']);
      assert.equal(r.code, 0, `${image}: ${r.stderr}`);
      const summary = JSON.parse(r.stdout);
      const meta = await sharp(out).metadata();
      const source = await readImage(image);
      assert.deepEqual([meta.width, meta.height], [source.width, source.height], `${image}: mask has the image's size`);
      assert.ok(Number.isFinite(summary.score) && summary.area_px >= 0);
      if (image === dcm) {
        // 0.02 cm × 0.03 cm per pixel = 0.2 mm × 0.3 mm.
        assert.deepEqual(summary.pixel_spacing_mm, [0.2, 0.3]);
        assert.ok(Math.abs(summary.area_mm2 - summary.area_px * 0.06) < 1e-9);
      } else assert.equal(summary.area_mm2, undefined);
    }
  } finally {
    cleanup();
  }
});

test('segment explains bad prompts and missing weights', { skip: fixtureMissing }, async () => {
  const image = `${FIXTURE_DIR}image.png`;
  const w = ['--weights', WEIGHTS, '--decoder-heads', '4'];
  const outside = await segment([image, '--point', '900,10', ...w]);
  assert.notEqual(outside.code, 0);
  assert.match(outside.stderr, /point 0 \(900, 10\) lies outside the 500×315 image/);
  const reversed = await segment([image, '--box', '300,10,100,200', ...w]);
  assert.match(reversed.stderr, /x1 < x0/);
  const empty = await segment([image, ...w]);
  assert.match(empty.stderr, /give a prompt/);
  const badLabel = await segment([image, '--point', '10,10,5', ...w]);
  assert.match(badLabel.stderr, /label is 1 \(positive\) or 0 \(negative\)/);
  const notImage = await segment([WEIGHTS, '--point', '1,1', ...w]);
  assert.notEqual(notImage.code, 0);
  assert.match(notImage.stderr, /sam_weights\.pth/);
  if (!existsSync(fileURLToPath(new URL('../../models/ultrasam-tiny.safetensors', import.meta.url)))) {
    const noWeights = await segment([image, '--point', '10,10']);
    assert.match(noWeights.stderr, /bundled model 'ultrasam-tiny' is not in this copy of ultrasam yet.*pass weights explicitly/);
  }
});

test('convert-weights keeps the segment-everything thresholds the input records, and the flags replace them', async () => {
  const { dir, cleanup } = tempDir('convert');
  try {
    const bundled = fileURLToPath(new URL('../../models/ultrasam-tiny.safetensors', import.meta.url));
    const recorded = (path: string) => JSON.parse(readSafetensorsFile(path).metadata[EVERYTHING_METADATA_KEY] ?? 'null') as unknown;
    const half = join(dir, 'half.safetensors');
    const kept = await runCli(registerModelCommands, ['convert-weights', bundled, half, '--half']);
    assert.equal(kept.code, 0);
    assert.deepEqual(recorded(half), recorded(bundled));
    const trainingRecord = (path: string) => readSafetensorsFile(path).metadata[TRAINING_RECORD_KEY];
    assert.ok(trainingRecord(bundled), 'the bundled model records how it was trained');
    assert.equal(trainingRecord(half), trainingRecord(bundled), 'the training record travels with the weights');
    assert.ok(recorded(bundled), 'the bundled model records thresholds');
    const set = join(dir, 'set.safetensors');
    const changed = await runCli(registerModelCommands, ['convert-weights', half, set, '--pred-iou-thresh', '0.5']);
    assert.match(changed.lines.join('\n'), /"predIouThresh":0.5/);
    assert.deepEqual(recorded(set), { ...(recorded(bundled) as object), predIouThresh: 0.5 });
    await assert.rejects(runCli(registerModelCommands, ['convert-weights', half, join(dir, 'bad.safetensors'), '--stability-thresh', '2']), /'2' is not a number in \[0, 1\]/);
    assert.ok(!existsSync(join(dir, 'bad.safetensors')));
  } finally {
    cleanup();
  }
});

test('convert-weights records --lone-point, keeps it, and the predictor and export follow it', async () => {
  const { dir, cleanup } = tempDir('lone-point');
  try {
    const bundled = fileURLToPath(new URL('../../models/ultrasam-tiny.safetensors', import.meta.url));
    const single = join(dir, 'single.safetensors');
    const done = await runCli(registerModelCommands, ['convert-weights', bundled, single, '--lone-point', 'single']);
    assert.match(done.out, /a lone click gives the single-mask output/);
    assert.equal(readSafetensorsFile(single).metadata[LONE_POINT_METADATA_KEY], 'single');
    const kept = join(dir, 'kept.safetensors');
    await runCli(registerModelCommands, ['convert-weights', single, kept]);
    assert.equal(readSafetensorsFile(kept).metadata[LONE_POINT_METADATA_KEY], 'single', 'kept from the input');
    const back = join(dir, 'back.safetensors');
    await runCli(registerModelCommands, ['convert-weights', kept, back, '--lone-point', 'candidates']);
    assert.equal(readSafetensorsFile(back).metadata[LONE_POINT_METADATA_KEY], undefined, "SAM's default is not recorded");
    await assert.rejects(runCli(registerModelCommands, ['convert-weights', bundled, join(dir, 'bad.safetensors'), '--lone-point', 'best']), /Allowed choices are candidates, single/);
    assert.ok(!existsSync(join(dir, 'bad.safetensors')));

    const predictor = await SamPredictor.load(single, { threads: 1 });
    try {
      assert.equal(predictor.lonePoint, 'single');
      await predictor.setImage({ data: new Uint8Array(40 * 30 * 3).fill(80), width: 40, height: 30, channels: 3 });
      assert.equal((await predictor.predict({ points: [[20, 15]], labels: [1] })).masks.length, 1, 'a lone click: the single-mask output');
      assert.equal((await predictor.predict({ points: [[20, 15]], labels: [1], multimask: true })).masks.length, 3);
      const manifest = await exportModel(predictor, join(dir, 'model'));
      assert.equal(manifest.lonePoint, 'single');
    } finally {
      await predictor.release();
    }
    const sam = await SamPredictor.load(back, { threads: 1 });
    assert.equal(sam.lonePoint, 'candidates');
    assert.equal((await exportModel(sam, join(dir, 'model-sam'))).lonePoint, undefined);
    await sam.release();
  } finally {
    cleanup();
  }
});

test('convert-weights records --mask-threshold, keeps it; the predictor, the generator and the export use it', async () => {
  const { dir, cleanup } = tempDir('mask-threshold');
  try {
    const bundled = fileURLToPath(new URL('../../models/ultrasam-tiny.safetensors', import.meta.url));
    const lower = join(dir, 'lower.safetensors');
    const done = await runCli(registerModelCommands, ['convert-weights', bundled, lower, '--mask-threshold', '-2']);
    assert.match(done.out, /masks where the logit exceeds -2/);
    assert.equal(readSafetensorsFile(lower).metadata[MASK_THRESHOLD_METADATA_KEY], '-2');
    const kept = join(dir, 'kept.safetensors');
    await runCli(registerModelCommands, ['convert-weights', lower, kept]);
    assert.equal(readSafetensorsFile(kept).metadata[MASK_THRESHOLD_METADATA_KEY], '-2', 'kept from the input');
    const back = join(dir, 'back.safetensors');
    await runCli(registerModelCommands, ['convert-weights', kept, back, '--mask-threshold', '0']);
    assert.equal(readSafetensorsFile(back).metadata[MASK_THRESHOLD_METADATA_KEY], undefined, "SAM's 0 is not recorded");
    await assert.rejects(runCli(registerModelCommands, ['convert-weights', bundled, join(dir, 'bad.safetensors'), '--mask-threshold', 'low']), /'low' is not a number/);
    assert.ok(!existsSync(join(dir, 'bad.safetensors')));

    const image = await readImage(fileURLToPath(new URL('../../examples/fetal_head.jpg', import.meta.url)));
    const box = { box: [60, 40, 480, 380] as [number, number, number, number] };
    const run = async (weights: string) => {
      const predictor = await SamPredictor.load(weights, { threads: 1 });
      try {
        await predictor.setImage(image);
        const p = await predictor.predict(box);
        const everything = await predictor.generate({ pointsPerSide: 4 });
        return { threshold: predictor.maskThreshold, logits: p.lowResLogits, mask: p.masks[0], everything, manifest: await exportModel(predictor, join(dir, `model-${predictor.maskThreshold}`)) };
      } finally {
        await predictor.release();
      }
    };
    const [sam, low] = [await run(back), await run(lower)];
    assert.deepEqual([sam.threshold, low.threshold], [0, -2]);
    assert.deepEqual(low.logits, sam.logits, 'the same decoder; only the binarization differs');
    const area = (m: Uint8Array) => m.reduce((a, v) => a + v, 0);
    assert.ok(sam.mask.every((v, i) => v <= low.mask[i]) && area(low.mask) > area(sam.mask), 'a lower threshold: a larger mask holding the other');
    const areas = (e: typeof sam.everything) => e.reduce((a, m) => a + m.area, 0);
    assert.notEqual(areas(low.everything), areas(sam.everything), 'the generator binarizes at the threshold too');
    assert.equal(low.manifest.maskThreshold, -2);
    assert.equal(sam.manifest.maskThreshold, undefined);
  } finally {
    cleanup();
  }
});

test('convert-weights records --flip-average, keeps it, --no-flip-average drops it; the predictor and the export read it', async () => {
  const { dir, cleanup } = tempDir('flip-average');
  try {
    const bundled = fileURLToPath(new URL('../../models/ultrasam-tiny.safetensors', import.meta.url));
    assert.equal(readSafetensorsFile(bundled).metadata[FLIP_AVERAGE_METADATA_KEY], 'true', 'the bundled model records it (stage 9)');
    const unflipped = join(dir, 'unflipped.safetensors');
    await runCli(registerModelCommands, ['convert-weights', bundled, unflipped, '--no-flip-average']);
    assert.equal(readSafetensorsFile(unflipped).metadata[FLIP_AVERAGE_METADATA_KEY], undefined);
    const flip = join(dir, 'flip.safetensors');
    const done = await runCli(registerModelCommands, ['convert-weights', unflipped, flip, '--flip-average']);
    assert.match(done.out, /each prompt averaged with its mirror image/);
    assert.equal(readSafetensorsFile(flip).metadata[FLIP_AVERAGE_METADATA_KEY], 'true');
    const kept = join(dir, 'kept.safetensors');
    await runCli(registerModelCommands, ['convert-weights', flip, kept]);
    assert.equal(readSafetensorsFile(kept).metadata[FLIP_AVERAGE_METADATA_KEY], 'true', 'kept from the input');
    const plain = join(dir, 'plain.safetensors');
    await runCli(registerModelCommands, ['convert-weights', kept, plain, '--no-flip-average']);
    assert.equal(readSafetensorsFile(plain).metadata[FLIP_AVERAGE_METADATA_KEY], undefined);
    for (const [weights, want] of [
      [kept, true],
      [plain, false],
    ] as const) {
      const predictor = await SamPredictor.load(weights, { threads: 1 });
      try {
        assert.equal(predictor.flipAverage, want);
        assert.equal((await exportModel(predictor, join(dir, `model-${want}`))).flipAverage, want ? true : undefined);
      } finally {
        await predictor.release();
      }
    }
  } finally {
    cleanup();
  }
});

test('export writes the decoders for fewer slots that --fewer-slots asks for, and refuses bad counts before writing', async () => {
  const { dir, cleanup } = tempDir('export-cli');
  try {
    const out = join(dir, 'model');
    const done = await runCli(registerModelCommands, ['export', '--out', out, '--fewer-slots', '8,4']);
    assert.equal(done.code, 0);
    assert.match(done.out, /decoder_4\.onnx, decoder_8\.onnx/);
    const manifest = JSON.parse(readFileSync(join(out, 'ultrasam.json'), 'utf8')) as { files: { fewerSlots: unknown } };
    assert.deepEqual(manifest.files.fewerSlots, [
      { slots: 4, file: 'decoder_4.onnx' },
      { slots: 8, file: 'decoder_8.onnx' },
    ]);
    for (const file of ['decoder.onnx', 'decoder_4.onnx', 'decoder_8.onnx']) assert.ok(existsSync(join(out, file)), file);
    await assert.rejects(runCli(registerModelCommands, ['export', '--out', join(dir, 'a'), '--fewer-slots', '4,one']), /'one' in '4,one' is not a slot count/);
    await assert.rejects(runCli(registerModelCommands, ['export', '--out', join(dir, 'b'), '--slots', '8', '--fewer-slots', '12']), /from 2 to 7 \(fewer than --slots\), got 12/);
    assert.ok(!existsSync(join(dir, 'a')) && !existsSync(join(dir, 'b')));
  } finally {
    cleanup();
  }
});
