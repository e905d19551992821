// The public predictor end to end on the parity fixture: image file → preprocessing → encoder →
// prompts → decoder → masks, in both checkpoint layouts, against the PyTorch reference outputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SamPredictor } from '../../src/model/predictor.js';
import { inferConfig } from '../../src/model/infer_config.js';
import { loadSamWeights } from '../../src/weights/checkpoint.js';
import { readNpyFile } from '../../src/weights/npy.js';
import { FIXTURE_DIR, fixtureConfig, fixtureMissing, readCases } from './fixture.js';

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

test('prompts are checked before anything runs', { skip: fixtureMissing }, async () => {
  const cases = readCases();
  const predictor = await SamPredictor.load(`${FIXTURE_DIR}sam_weights.pth`, { decoderHeads: cases.decoder.num_heads, threads: 1 });
  await assert.rejects(predictor.predict({ points: [[10, 10]], labels: [1] }), /no image set: call setImage/);
  await predictor.setImage(`${FIXTURE_DIR}image.png`);
  await assert.rejects(predictor.predict({ points: [[600, 10]], labels: [1] }), /point 0 \(600, 10\) lies outside the 500×315 image/);
  await assert.rejects(predictor.predict({ box: [300, 10, 100, 200] }), /box \[300, 10, 100, 200\] has x1 < x0/);
  await assert.rejects(predictor.predict({ points: [[10, 10]], labels: [1, 0] }), /1 point\(s\) but 2 label\(s\)/);
  await assert.rejects(predictor.predict({}), /empty prompt/);
  await assert.rejects(predictor.predict({ box: [0, 0, 10, 10], maskInput: new Float32Array(5) }), /maskInput has 5 values, expected 256×256/);
  // Several boxes decode as one batch and match decoding them one at a time.
  const boxes: [number, number, number, number][] = [
    [125, 63, 350, 236.25],
    [10, 20, 200, 150],
  ];
  const batch = await predictor.predictBatch(boxes.map((box) => ({ box })));
  for (let i = 0; i < boxes.length; i++) {
    const single = await predictor.predict({ box: boxes[i] });
    assert.ok(maxAbs(batch[i].lowResLogits, single.lowResLogits) < 1e-5);
  }
  await predictor.release();
});
