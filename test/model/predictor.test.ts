// The public predictor end to end on the parity fixture: image file → preprocessing → encoder →
// prompts → decoder → masks, in both checkpoint layouts, against the PyTorch reference outputs;
// its prompt checks and batching on the bundled model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lowResSize } from '../../src/model/config.js';
import { type PredictInput, SamPredictor } from '../../src/model/predictor.js';
import { inferConfig } from '../../src/model/infer_config.js';
import { parameterShapes } from '../../src/model/sam.js';
import { loadSamWeights } from '../../src/weights/checkpoint.js';
import { readNpyFile } from '../../src/weights/npy.js';
import { FIXTURE_DIR, fixtureConfig, fixtureMissing, readCases } from './fixture.js';
import { tinyConfig } from './tiny.js';

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test('the config read off the fixture weights equals the fixture config', { skip: fixtureMissing }, () => {
  const cases = readCases();
  const weights = loadSamWeights(`${FIXTURE_DIR}sam_weights.pth`);
  const inferred = inferConfig(weights.tensors, { decoderHeads: cases.decoder.num_heads, name: 'sam-parity-fixture' });
  assert.deepEqual(inferred, fixtureConfig(cases));
});

test('the config read off the weights records wider upscaled features and their convolution, and SAM has neither', () => {
  const sam = tinyConfig();
  const wide = { ...sam, maskDecoder: { ...sam.maskDecoder, upscaleChans: 5, upscaleConv: true } };
  const shapesOf = (config: typeof sam) => new Map([...parameterShapes(config)].map(([k, shape]) => [k, { shape }]));
  assert.deepEqual(inferConfig(shapesOf(wide), { decoderHeads: 2 }).maskDecoder, wide.maskDecoder);
  assert.deepEqual(inferConfig(shapesOf(sam), { decoderHeads: 2 }).maskDecoder, sam.maskDecoder);
});

for (const layout of ['sam', 'ultrasam'] as const) {
  test(`SamPredictor reproduces the reference from image.png (${layout} layout)`, { skip: fixtureMissing }, async () => {
    const cases = readCases();
    const predictor = await SamPredictor.load(`${FIXTURE_DIR}${layout}_weights.pth`, { decoderHeads: cases.decoder.num_heads, threads: 2 });
    assert.equal(predictor.ultrasam, layout === 'ultrasam');
    await predictor.setImage(`${FIXTURE_DIR}image.png`);
    const embeddingErr = maxAbs(predictor.embedding, readNpyFile(`${FIXTURE_DIR}embedding.npy`).data as Float32Array);
    console.log(`${layout}: embedding from image.png max abs error ${embeddingErr.toExponential(2)}`);
    assert.ok(embeddingErr <= 1e-3);
    for (const c of cases.cases) {
      const ref = (what: string) => readNpyFile(`${FIXTURE_DIR}${layout}_${c.name}_${what}.npy`).data as Float32Array | Uint8Array;
      const first = await predictor.predict({ points: c.points, labels: c.labels, box: c.box, multimask: c.multimask });
      const lowErr = maxAbs(first.lowResLogits, ref('lowres'));
      const iouErr = maxAbs(first.scores, ref('iou'));
      const refMasks = ref('masks');
      const [h, w] = cases.image_size;
      let agree = 0;
      first.masks.forEach((m, k) => {
        for (let i = 0; i < h * w; i++) if (m[i] === refMasks[k * h * w + i]) agree++;
      });
      const agreement = agree / refMasks.length;
      // The refinement pass: the best first-pass logits as mask prompt, single output.
      const best = first.scores.indexOf(Math.max(...first.scores));
      const side = 256;
      const refined = await predictor.predict({
        points: c.points,
        labels: c.labels,
        box: c.box,
        multimask: false,
        maskInput: first.lowResLogits.slice(best * side * side, (best + 1) * side * side),
      });
      const refinedErr = maxAbs(refined.lowResLogits, ref('refined_lowres'));
      const refinedIouErr = maxAbs(refined.scores, ref('refined_iou'));
      console.log(
        `${layout} ${c.name}: low-res ${lowErr.toExponential(2)}, IoU ${iouErr.toExponential(2)}, masks agree ${(100 * agreement).toFixed(3)} %, refined ${refinedErr.toExponential(2)} / ${refinedIouErr.toExponential(2)}`,
      );
      assert.ok(lowErr <= 1e-3 && iouErr <= 1e-3 && refinedErr <= 1e-3 && refinedIouErr <= 1e-3);
      assert.ok(agreement >= 0.995, `masks agree on ${agreement}`);
    }
    await predictor.release();
  });
}

// Prompt checks and batching need no reference outputs: they run on the bundled model, always.
const EXAMPLE = fileURLToPath(new URL('../../examples/fetal_head.jpg', import.meta.url)); // 800×540

test('prompts are checked before anything runs (bundled model)', async () => {
  const predictor = await SamPredictor.load('ultrasam-tiny', { threads: 1 });
  await assert.rejects(predictor.predict({ points: [[10, 10]], labels: [1] }), /no image set: call setImage/);
  await predictor.setImage(EXAMPLE);
  const side = lowResSize(predictor.config);
  await assert.rejects(predictor.predict({ points: [[800, 10]], labels: [1] }), /^Error: prompt 0: point 0 \(800, 10\) lies outside the 800×540 image/);
  await assert.rejects(predictor.predict({ box: [300, 10, 100, 200] }), /prompt 0: box \[300, 10, 100, 200\] has x1 < x0/);
  await assert.rejects(predictor.predict({ box: [10, 10, 10, 200] }), /box \[10, 10, 10, 200\] has no area/);
  await assert.rejects(predictor.predict({ box: [0, 0, 801, 540] }), /box \[0, 0, 801, 540\] reaches outside the 800×540 image/);
  await assert.rejects(predictor.predict({ points: [[10, NaN]], labels: [1] }), /point 0 has a non-finite coordinate/);
  await assert.rejects(predictor.predict({ points: [[10, 10]], labels: [1, 0] }), /1 point\(s\) but 2 label\(s\)/);
  await assert.rejects(predictor.predict({ points: [[10, 10]], labels: [2] }), /label 0 is 2; point labels are 1 \(positive\) or 0 \(negative\)/);
  await assert.rejects(predictor.predict({}), /prompt 0: empty prompt/);
  await assert.rejects(predictor.predict({ box: [0, 0, 10, 10], maskInput: new Float32Array(5) }), new RegExp(`maskInput has 5 values, expected ${side}×${side} low-resolution logits`));
  // A bad prompt anywhere in a batch is named by its index, and nothing of the batch is decoded.
  await assert.rejects(predictor.predictBatch([{ box: [10, 20, 200, 150] }, { points: [[900, 10]], labels: [1] }]), /^Error: prompt 1: point 0 \(900, 10\)/);
  await assert.rejects(predictor.predictBatch([]), /no prompts given/);
  await predictor.release();
});

test('a batch of mixed prompts decodes as decoding each alone, in the order given (bundled model)', async () => {
  const predictor = await SamPredictor.load('ultrasam-tiny', { threads: 1 });
  await predictor.setImage(EXAMPLE);
  const first = await predictor.predict({ box: [170, 95, 590, 395] });
  const inputs: PredictInput[] = [
    { box: [170, 95, 590, 395] },
    { points: [[380, 240]], labels: [1], multimask: true }, // one point, three candidates (the bundled model's default for it is its record: lonePoint)
    { box: [10, 20, 200, 150] }, // same kind as the first: one batch of two
    {
      points: [
        [380, 240],
        [100, 100],
      ],
      labels: [1, 0],
      multimask: true,
    },
    { box: [170, 95, 590, 395], maskInput: first.lowResLogits, multimask: false },
    { points: [[380, 240]], labels: [1], refine: true },
  ];
  const batch = await predictor.predictBatch(inputs);
  assert.deepEqual(
    batch.map((p) => p.scores.length),
    [1, 3, 1, 3, 1, 3],
  );
  for (const [i, input] of inputs.entries()) {
    const single = await predictor.predict(input);
    const err = maxAbs(batch[i].lowResLogits, single.lowResLogits);
    assert.ok(err < 1e-5, `prompt ${i}: batch vs alone, low-res logits differ by ${err}`);
    assert.ok(maxAbs(batch[i].scores, single.scores) < 1e-5, `prompt ${i}: scores`);
    assert.deepEqual([batch[i].width, batch[i].height], [800, 540]);
  }
  // Different prompts give different answers (the batch is not one prompt repeated).
  assert.ok(maxAbs(batch[0].lowResLogits, batch[2].lowResLogits) > 1e-2);
  await predictor.release();
});
