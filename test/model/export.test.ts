// The exported encoder (encoder_strip.onnx + encoder_tail.onnx, run as the page runs them:
// strip_encoder.ts), decoder_image.onnx and decoder.onnx, run by onnxruntime-web (WASM) under
// Node, reproduce the predictor: embedding and low-res logits within 1e-4, identical masks, for every
// fixture prompt (one decoder file serves every prompt through its empty slots), and with a mask
// input (decoder.onnx run with has_mask_input 1 on the same per-image part); a model with a pixel
// branch likewise, its encoder's second output fed to the decoder as the page feeds it. The fp32
// graphs carry no Cast node, the decoders no LayerNormalization and no weights of their own, and the
// strip graphs of each precision share one copy of theirs (why: the test's name).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import onnxProto from 'onnx-proto';
import * as ortWeb from 'onnxruntime-web';
import { readImage } from '../../src/image/read.js';
import { EXPORT_FORMAT_VERSION, type ExportManifest, exportModel } from '../../src/model/export.js';
import { chooseDecoder, chooseEncoder, decoderFiles, perImageFeeds } from '../../src/model/export_format.js';
import { postprocessMasks } from '../../src/model/postprocess.js';
import { SamPredictor } from '../../src/model/predictor.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { encodePrompt } from '../../src/model/prompts.js';
import { encodeInStrips, encoderSessions, stripsReached } from '../../src/model/strip_encoder.js';
import { FIXTURE_DIR, fixtureMissing, readCases } from './fixture.js';
import { tempDir } from '../helpers/temp_dir.js';
import { Rng } from '../../src/graph/random.js';
import type { SamConfig } from '../../src/model/config.js';
import { FINE_FEATURES, weightValues } from '../../src/model/sam.js';
import { randomWeights, tinyConfig } from './tiny.js';

/** A reader of an export folder's files, for encoderSessions. */
const readExported = (dir: string) => (file: string) => Promise.resolve(new Uint8Array(readFileSync(join(dir, file))));

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test('exported ONNX pair in onnxruntime-web matches the predictor', { skip: fixtureMissing }, async () => {
  const cases = readCases();
  const { dir, cleanup } = tempDir('export');
  try {
    const predictor = await SamPredictor.load(`${FIXTURE_DIR}ultrasam_weights.pth`, { decoderHeads: cases.decoder.num_heads, threads: 2 });
    const out = join(dir, 'model');
    await exportModel(predictor, out, { slots: 8, fewerSlots: [4] });
    const manifest = JSON.parse(readFileSync(join(out, 'ultrasam.json'), 'utf8')) as ExportManifest;
    assert.equal(manifest.ultrasam, true);
    assert.equal(manifest.version, EXPORT_FORMAT_VERSION);
    await assert.rejects(exportModel(predictor, out), /exists already/);
    assert.deepEqual(manifest.files.fewerSlots, [{ slots: 4, file: 'decoder_4.onnx' }]);
    await assert.rejects(exportModel(predictor, join(dir, 'bad'), { slots: 8, fewerSlots: [8] }), /from 2 to 7 \(fewer than --slots\), got 8/);

    ortWeb.env.wasm.numThreads = 1;
    const opts = { executionProviders: ['wasm'] };
    const encoder = await encoderSessions(manifest.files.encoder, readExported(out), (graph, externalData) => ortWeb.InferenceSession.create(graph, { ...opts, externalData }));
    // The decoder files read their weights from decoder_weights.bin (external data), as the page passes it.
    const decoderOpts = { ...opts, externalData: [{ path: manifest.files.decoderWeights, data: readFileSync(join(out, manifest.files.decoderWeights)) }] };
    const decoderImage = await ortWeb.InferenceSession.create(readFileSync(join(out, manifest.files.decoderImage)), decoderOpts);
    // Every decoder file: decoder.onnx (8 slots) and decoder_4.onnx, each run on the prompts it holds.
    const decoders = decoderFiles(manifest);
    assert.deepEqual(decoders, [
      { slots: 4, file: 'decoder_4.onnx' },
      { slots: 8, file: 'decoder.onnx' },
    ]);
    const sessions = new Map<string, ortWeb.InferenceSession>();
    for (const { file } of decoders) sessions.set(file, await ortWeb.InferenceSession.create(readFileSync(join(out, file)), decoderOpts));

    // An image that reaches every strip (the short last one too; the fixture image below reaches three).
    const rng = new Rng(3);
    const square = { width: 40, height: 40, channels: 3 as const, data: Uint8Array.from({ length: 40 * 40 * 3 }, () => Math.floor(256 * rng.next())) };
    await predictor.setImage(square);
    const squareEmb = (await encodeInStrips(ortWeb, encoder.strips, encoder.tail, preprocessImage(square, manifest.config).tensor, manifest.config.imageEncoder.imgSize, manifest.config.imageEncoder))
      .embedding;
    const squareErr = maxAbs(squareEmb.data as Float32Array, predictor.embedding);
    console.log(`exported encoder (web, every strip) vs predictor: max abs ${squareErr.toExponential(2)}`);
    assert.ok(squareErr <= 1e-4);

    const image = await readImage(`${FIXTURE_DIR}image.png`);
    await predictor.setImage(image);
    const pre = preprocessImage(image, manifest.config);
    const s = manifest.config.imageEncoder.imgSize;
    const emb = (await encodeInStrips(ortWeb, encoder.strips, encoder.tail, pre.tensor, pre.inputSize[0], manifest.config.imageEncoder)).embedding;
    const embErr = maxAbs(emb.data as Float32Array, predictor.embedding);
    const strips = `${stripsReached(manifest.config.imageEncoder, pre.inputSize[0])} of ${manifest.encoder.strips} strips`;
    console.log(`exported encoder (web, ${strips}) vs predictor: max abs ${embErr.toExponential(2)}`);
    assert.ok(embErr <= 1e-4);

    const side = manifest.decoder.lowResSize;
    const imageSide = await decoderImage.run({ image_embedding: emb });
    assert.deepEqual(Object.keys(imageSide).sort(), [...manifest.decoderImage.outputs].sort());
    for (const c of cases.cases) {
      const prompt = { points: c.points, labels: c.labels, box: c.box };
      const first = await predictor.predict({ ...prompt, multimask: c.multimask });
      // The refinement pass: the best candidate's logits as the mask input, single-mask output.
      const best = first.scores.indexOf(Math.max(...first.scores));
      const maskInput = first.lowResLogits.slice(best * side * side, (best + 1) * side * side);
      const refined = await predictor.predict({ ...prompt, multimask: false, maskInput });
      const enc = encodePrompt(prompt, pre.originalSize, s);
      for (const [pass, ours, mask, multimask, { slots, file }] of [
        ['first', first, null, c.multimask, chooseDecoder(manifest, enc.count)],
        ['refined', refined, maskInput, false, chooseDecoder(manifest, enc.count)],
        ['first, full decoder', first, null, c.multimask, decoders[1]],
      ] as const) {
        const coords = new Float32Array(slots * 2);
        const labels = new Float32Array(slots).fill(manifest.decoder.emptySlotLabel);
        coords.set(enc.coords);
        labels.set(enc.labels);
        const result = await sessions.get(file)!.run({
          ...perImageFeeds(imageSide, sessions.get(file)!.inputNames),
          point_coords: new ortWeb.Tensor('float32', coords, [1, slots, 2]),
          point_labels: new ortWeb.Tensor('float32', labels, [1, slots]),
          mask_input: new ortWeb.Tensor('float32', mask ?? new Float32Array(side * side), [1, 1, side, side]),
          has_mask_input: new ortWeb.Tensor('float32', new Float32Array([mask ? 1 : 0]), [1]),
        });
        const all = result.low_res_logits.data as Float32Array;
        const plane = side * side;
        const [from, to] = multimask ? [1, result.low_res_logits.dims[1]] : [0, 1];
        const picked = all.slice(from * plane, to * plane);
        const err = maxAbs(picked, ours.lowResLogits);
        const iouErr = maxAbs((result.iou_predictions.data as Float32Array).slice(from, to), ours.scores);
        const masks = postprocessMasks(picked, to - from, [side, side], { imgSize: s, inputSize: pre.inputSize, originalSize: pre.originalSize });
        const identical = masks.every((m, k) => m.every((v, i) => v === ours.masks[k][i]));
        console.log(`exported ${file} (web) ${c.name}, ${pass}: low-res max abs ${err.toExponential(2)}, IoU ${iouErr.toExponential(2)}, masks identical: ${identical}`);
        assert.ok(err <= 1e-4, `${c.name} ${pass}: ${err}`);
        assert.ok(iouErr <= 1e-4, `${c.name} ${pass}: IoU ${iouErr}`);
        assert.ok(identical, `${c.name} ${pass}: masks differ`);
      }
    }
    await predictor.release();
  } finally {
    cleanup();
  }
});

test('the encoder a reader runs: int8 where the export has it unless fp32 is asked, clear errors otherwise', () => {
  const fp32 = { strip: 'encoder_strip.onnx', tail: 'encoder_tail.onnx' };
  const int8 = { strip: 'encoder_strip.int8.onnx', tail: 'encoder_tail.int8.onnx' };
  const fp32Only = { files: { encoder: fp32, decoderImage: 'decoder_image.onnx', decoder: 'decoder.onnx', decoderWeights: 'decoder_weights.bin' } };
  const both = { files: { ...fp32Only.files, encoderInt8: int8 } };
  assert.deepEqual(chooseEncoder(fp32Only), { precision: 'fp32', files: fp32 });
  assert.deepEqual(chooseEncoder(fp32Only, null), { precision: 'fp32', files: fp32 });
  assert.deepEqual(chooseEncoder(fp32Only, 'fp32'), { precision: 'fp32', files: fp32 });
  assert.deepEqual(chooseEncoder(both), { precision: 'int8', files: int8 });
  assert.deepEqual(chooseEncoder(both, 'int8'), { precision: 'int8', files: int8 });
  assert.deepEqual(chooseEncoder(both, 'fp32'), { precision: 'fp32', files: fp32 });
  assert.throws(() => chooseEncoder(fp32Only, 'int8'), /exported without the int8 encoder .*ultrasam app --int8/);
  assert.throws(() => chooseEncoder(both, 'fp16'), /fp32 or int8, not 'fp16'/);
});

test('the decoder a reader runs: the smallest that holds the prompt, decoder.onnx otherwise, a clear error past its slots', () => {
  const files = { decoderImage: 'decoder_image.onnx', decoder: 'decoder.onnx' };
  const decoder = { slots: 16 } as { slots: number } & Record<string, never>;
  const plain = { files, decoder } as unknown as Parameters<typeof chooseDecoder>[0];
  const several = {
    files: {
      ...files,
      fewerSlots: [
        { slots: 4, file: 'decoder_4.onnx' },
        { slots: 8, file: 'decoder_8.onnx' },
      ],
    },
    decoder,
  } as unknown as Parameters<typeof chooseDecoder>[0];
  assert.deepEqual(chooseDecoder(plain, 2), { slots: 16, file: 'decoder.onnx' });
  assert.deepEqual(chooseDecoder(several, 2), { slots: 4, file: 'decoder_4.onnx' });
  assert.deepEqual(chooseDecoder(several, 4), { slots: 4, file: 'decoder_4.onnx' });
  assert.deepEqual(chooseDecoder(several, 5), { slots: 8, file: 'decoder_8.onnx' });
  assert.deepEqual(chooseDecoder(several, 9), { slots: 16, file: 'decoder.onnx' });
  assert.deepEqual(chooseDecoder(several, 16), { slots: 16, file: 'decoder.onnx' });
  assert.throws(() => chooseDecoder(several, 17), /too many prompts: the model takes 14 points with a box or 15 without/);
});

test('a model with a pixel branch exports: the page recipe (encoder outputs beside decoder_image.onnx outputs) reproduces the predictor', async () => {
  const base = tinyConfig();
  const config: SamConfig = { ...base, maskDecoder: { ...base.maskDecoder, fineChans: 4 } };
  const values = weightValues(config, randomWeights(config, 21, 0.2));
  const predictor = SamPredictor.fromValues(config, values, false, { threads: 1 });
  const { dir, cleanup } = tempDir('export-fine');
  try {
    const out = join(dir, 'model');
    const manifest = await exportModel(predictor, out, { slots: 6, fewerSlots: [] });
    const opts = { executionProviders: ['wasm'], externalData: [{ path: manifest.files.decoderWeights, data: readFileSync(join(out, manifest.files.decoderWeights)) }] };
    const session = (file: string) => ortWeb.InferenceSession.create(readFileSync(join(out, file)), opts);
    const [decoderImage, decoder] = await Promise.all([session(manifest.files.decoderImage), session('decoder.onnx')]);
    const encoder = await encoderSessions(manifest.files.encoder, readExported(out), (graph, externalData) => ortWeb.InferenceSession.create(graph, { executionProviders: ['wasm'], externalData }));
    const rng = new Rng(22);
    const image = { width: 70, height: 50, channels: 3 as const, data: Uint8Array.from({ length: 70 * 50 * 3 }, () => Math.floor(256 * rng.next())) };
    await predictor.setImage(image);
    const pre = preprocessImage(image, config);
    const s = config.imageEncoder.imgSize;
    const { embedding, ...encoded } = await encodeInStrips(ortWeb, encoder.strips, encoder.tail, pre.tensor, pre.inputSize[0], config.imageEncoder);
    assert.deepEqual(Object.keys(encoded), [FINE_FEATURES]);
    const perImage = { ...(await decoderImage.run({ image_embedding: embedding })), ...encoded };
    const side = manifest.decoder.lowResSize;
    const prompt = { box: [8, 6, 40, 30] as const, points: [[20, 15]] as [number, number][], labels: [0] };
    const [ours] = await predictor.decodeLowRes([{ ...prompt, multimask: false }]);
    const enc = encodePrompt(prompt, pre.originalSize, s);
    const coords = new Float32Array(6 * 2);
    const labels = new Float32Array(6).fill(manifest.decoder.emptySlotLabel);
    coords.set(enc.coords);
    labels.set(enc.labels);
    const result = await decoder.run({
      ...perImageFeeds(perImage, decoder.inputNames),
      point_coords: new ortWeb.Tensor('float32', coords, [1, 6, 2]),
      point_labels: new ortWeb.Tensor('float32', labels, [1, 6]),
      mask_input: new ortWeb.Tensor('float32', new Float32Array(side * side), [1, 1, side, side]),
      has_mask_input: new ortWeb.Tensor('float32', new Float32Array([0]), [1]),
    });
    assert.ok(decoder.inputNames.includes(FINE_FEATURES), 'the decoder takes the pixel features');
    const err = maxAbs((result.low_res_logits.data as Float32Array).slice(0, side * side), ours.lowResLogits);
    console.log(`pixel branch, exported decoder (web) vs predictor: low-res max abs ${err.toExponential(2)}`);
    assert.ok(err <= 1e-4, `logits differ by ${err}`);
  } finally {
    await predictor.release();
    cleanup();
  }
});

test("the exported fp32 graphs have no Cast (onnxruntime-web's Cast kernel is one very large WebAssembly function the page would compile during its first clicks), the decoders no LayerNormalization (its WASM kernel is slower than the primitives) and no weights of their own (decoder_weights.bin); the strip graphs of each precision share one copy of theirs", async () => {
  const config = tinyConfig();
  const predictor = SamPredictor.fromValues(config, weightValues(config, randomWeights(config, 23, 0.2)), false, { threads: 1 });
  const { dir, cleanup } = tempDir('export-no-cast');
  try {
    const out = join(dir, 'model');
    const manifest = await exportModel(predictor, out, { slots: 6, fewerSlots: [4], int8Encoder: true });
    // The tiny model's 4 × 4 grid in strips of 3 rows: a short last strip, its own graph, the strip weights shared.
    const { strip, lastStrip, stripWeights, tail } = manifest.files.encoder;
    assert.ok(lastStrip && stripWeights, JSON.stringify(manifest.files.encoder));
    const int8 = manifest.files.encoderInt8!;
    assert.ok(int8.lastStrip && int8.stripWeights && int8.stripWeights !== stripWeights, JSON.stringify(int8));
    const encoderFiles = [strip, lastStrip, tail];
    const files = [...encoderFiles, manifest.files.decoderImage, ...decoderFiles(manifest).map((d) => d.file)];
    for (const file of files) {
      const ops = new Set(onnxProto.onnx.ModelProto.decode(readFileSync(join(out, file))).graph!.node!.map((n) => n.opType));
      assert.ok(ops.has('MatMul') || ops.has('Gemm'), `${file} was read (ops: ${[...ops].join(' ')})`);
      assert.ok(!ops.has('Cast'), `${file} has a Cast node`);
      if (!encoderFiles.includes(file)) assert.ok(!ops.has('LayerNormalization') && (file === manifest.files.decoderImage || ops.has('ReduceMean')), `${file}: ${[...ops].join(' ')}`);
    }
    // The decoder files keep their weights in decoder_weights.bin and the two strip files of each
    // precision theirs in that precision's strip weights (stored once), each within the file.
    const sharing: [string, string][] = [
      ...files.slice(encoderFiles.length).map((file): [string, string] => [file, manifest.files.decoderWeights]),
      [strip, stripWeights],
      [lastStrip, stripWeights],
      [int8.strip, int8.stripWeights],
      [int8.lastStrip, int8.stripWeights],
    ];
    for (const [file, weightsFile] of sharing) {
      const weightsSize = readFileSync(join(out, weightsFile)).length;
      const initializers = onnxProto.onnx.ModelProto.decode(readFileSync(join(out, file))).graph!.initializer!;
      const external = initializers.filter((t) => t.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL);
      assert.ok(external.length > 0, `${file} has no external weights`);
      for (const t of external) {
        const entry = Object.fromEntries(t.externalData!.map((e) => [e.key, e.value]));
        assert.equal(entry.location, weightsFile, `${file}: ${t.name}`);
        assert.ok(Number(entry.offset) + Number(entry.length) <= weightsSize, `${file}: ${t.name} ends past the weights file`);
      }
      const inside = initializers.filter((t) => (t.rawData?.length ?? 0) >= 1024).map((t) => t.name);
      assert.deepEqual(inside, [], `${file} holds weights itself`);
    }
    // Each strip weights file holds the full strips' weights once: the last strip's graph reads the same ranges.
    for (const precision of [manifest.files.encoder, int8]) {
      const ranges = (file: string) =>
        onnxProto.onnx.ModelProto.decode(readFileSync(join(out, file)))
          .graph!.initializer!.filter((t) => t.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL)
          .map((t) => Object.fromEntries(t.externalData!.map((e) => [e.key, e.value])).offset)
          .sort();
      assert.deepEqual(ranges(precision.lastStrip!), ranges(precision.strip), `${precision.lastStrip} and ${precision.strip}`);
    }
  } finally {
    cleanup();
  }
});
