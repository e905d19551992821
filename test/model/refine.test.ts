// UltraSam's test-time refinement in the predictor: the two passes it stands for, done by hand, on
// the parity fixture's model; for a box prompt with a single output the second pass is also the
// PyTorch reference's recorded `refined` case (same box, best first-pass logits as mask input).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskBox } from '../../src/model/amg.js';
import { SamPredictor } from '../../src/model/predictor.js';
import { refinementInput } from '../../src/model/refine.js';
import { readNpyFile } from '../../src/weights/npy.js';
import { FIXTURE_DIR, fixtureMissing, maxAbsDiff, readCases } from './fixture.js';

test('refinement input: box prompts keep their box, point prompts become the mask box, an empty mask keeps the prompt', () => {
  const w = 6;
  const h = 4;
  const mask = new Uint8Array(w * h);
  mask[1 * w + 2] = mask[2 * w + 4] = 1;
  const first = { masks: [new Uint8Array(w * h), mask], scores: Float32Array.from([0.1, 0.8]), lowResLogits: Float32Array.from([0, 0, 0, 0, 1, 2, 3, 4]), width: w, height: h };
  const point = refinementInput({ points: [[3, 2]], labels: [1], refine: true }, first, 2);
  assert.deepEqual(point, { box: [2, 1, 5, 3], maskInput: Float32Array.from([1, 2, 3, 4]), multimask: true });
  assert.deepEqual(maskBox(mask, w, h), [2, 1, 4, 2]);
  const box = refinementInput({ box: [0, 0, 5, 3], refine: true, multimask: false }, first, 2);
  assert.deepEqual(box, { points: undefined, labels: undefined, box: [0, 0, 5, 3], maskInput: Float32Array.from([1, 2, 3, 4]), multimask: false });
  const empty = refinementInput({ points: [[3, 2]], labels: [1], refine: true }, { ...first, masks: [mask, new Uint8Array(w * h)] }, 2);
  assert.deepEqual(empty, { points: [[3, 2]], labels: [1], maskInput: Float32Array.from([1, 2, 3, 4]), multimask: true });
});

test('predict({ refine }) is the single-mask pass then the box + logits pass', { skip: fixtureMissing, timeout: 300_000 }, async () => {
  const cases = readCases();
  const predictor = await SamPredictor.load(`${FIXTURE_DIR}sam_weights.pth`, { decoderHeads: cases.decoder.num_heads, threads: 2 });
  try {
    await predictor.setImage(`${FIXTURE_DIR}image.png`);
    const side = 256;
    // A box, single output: the reference's refined case.
    const box = cases.cases.find((c) => c.name === 'box')!.box!;
    const refined = await predictor.predict({ box, multimask: false, refine: true });
    const reference = readNpyFile(`${FIXTURE_DIR}sam_box_refined_lowres.npy`).data as Float32Array;
    const err = maxAbsDiff(refined.lowResLogits, reference);
    console.log(`box + refine vs the PyTorch refined case: low-res logits within ${err.toExponential(2)}`);
    assert.ok(err < 1e-3);
    // A point: by hand.
    const point = cases.cases.find((c) => c.name === 'one_positive_point')!;
    const first = await predictor.predict({ points: point.points, labels: point.labels, multimask: false });
    const [x0, y0, x1, y1] = maskBox(first.masks[0], first.width, first.height);
    const byHand = await predictor.predict({ box: [x0, y0, x1 + 1, y1 + 1], maskInput: first.lowResLogits.slice(0, side * side), multimask: true });
    const [auto] = await predictor.predictBatch([{ points: point.points, labels: point.labels, refine: true }]);
    assert.equal(auto.masks.length, 3, 'the refined pass gives three candidates by default');
    // onnxruntime's threaded reductions may differ in the last bits from one run to the next.
    assert.ok(maxAbsDiff(auto.lowResLogits, byHand.lowResLogits) < 1e-5);
    assert.ok(maxAbsDiff(auto.scores, byHand.scores) < 1e-5);
    // Mixed in one batch with unrefined prompts, each keeps its own path.
    const [plain, again] = await predictor.predictBatch([
      { box, multimask: false },
      { box, multimask: false, refine: true },
    ]);
    assert.ok(maxAbsDiff(again.lowResLogits, refined.lowResLogits) < 1e-5);
    assert.ok(maxAbsDiff(plain.lowResLogits, again.lowResLogits) > 1e-3, 'the unrefined prompt is not refined');
  } finally {
    await predictor.release();
  }
});
