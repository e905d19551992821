// The app and `eval clicks:K` follow one click rule (src/eval/click_rule.ts): the clicks eval places
// on an instance, given to the app one by one, make the app send the decoder the same prompts and
// mask inputs, and show the same final mask. One fake decoder stands behind both: a deterministic
// function of the prompt and mask input with all four outputs (as the app's exported decoder gives
// them); eval sees the outputs SamPredictor would return (the candidates for a lone point, else the
// single mask). Masks are the logits > 0 (low-resolution grid = image, no upscaling).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LonePointOutput, multimaskByDefault } from '../../src/eval/click_rule.js';
import { runClicks } from '../../src/eval/interactive.js';
import type { EvalPredictor } from '../../src/eval/types.js';
import type { PredictInput, Prediction } from '../../src/model/predictor.js';
import { activeObject, chosenCandidate, edits, initialState } from '../../web/src/annotations.js';
import { MaskCache } from '../../web/src/mask_cache.js';
import type { DecodeResult } from '../../web/src/protocol.js';

const SIDE = 24;
const RADII = [6, 3, 5, 8];

/** All four outputs for a prompt: blobs around the points (positive adds, negative removes), the mask input mixed in. */
function fullDecode(input: PredictInput): { logits: Float32Array; scores: number[] } {
  const logits = new Float32Array(4 * SIDE * SIDE);
  const points = input.points ?? [];
  const labels = input.labels ?? [];
  for (let k = 0; k < 4; k++) {
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        let v = -1;
        points.forEach(([px, py], i) => {
          const bump = 2.5 * Math.exp(-((x - px) ** 2 + (y - py) ** 2) / (2 * RADII[k] ** 2));
          v += labels[i] ? bump : -bump;
        });
        if (input.maskInput) v += 0.9 * Math.tanh(input.maskInput[y * SIDE + x]);
        logits[k * SIDE * SIDE + y * SIDE + x] = v;
      }
    }
  }
  let seed = points.reduce((a, [px, py], i) => a + px * 0.37 + py * 0.11 + (labels[i] ?? 0), 0);
  if (input.maskInput) seed += input.maskInput.reduce((a, v) => a + v, 0) * 0.001;
  const scores = [0, 1, 2, 3].map((k) => Math.fround(Math.abs(Math.sin(seed * (k + 1.3)))));
  return { logits, scores };
}

function masksOf(logits: Float32Array, outputs: readonly number[]): Uint8Array[] {
  const plane = SIDE * SIDE;
  return outputs.map((k) => Uint8Array.from(logits.subarray(k * plane, (k + 1) * plane), (v) => (v > 0 ? 1 : 0)));
}

/** What eval's predictor is asked for, in order; each prediction as SamPredictor would return it. */
function evalPredictor(asked: PredictInput[], lonePoint: LonePointOutput): EvalPredictor {
  return {
    setImage: async () => undefined,
    predictBatch: async (inputs) =>
      inputs.map((input): Prediction => {
        asked.push(input);
        const { logits, scores } = fullDecode(input);
        const outputs = (input.multimask ?? multimaskByDefault(input, lonePoint)) ? [1, 2, 3] : [0];
        const plane = SIDE * SIDE;
        const lowResLogits = new Float32Array(outputs.length * plane);
        outputs.forEach((k, i) => lowResLogits.set(logits.subarray(k * plane, (k + 1) * plane), i * plane));
        return { masks: masksOf(logits, outputs), scores: Float32Array.from(outputs.map((k) => scores[k])), lowResLogits, width: SIDE, height: SIDE };
      }),
  };
}

const ellipse = (cx: number, cy: number, rx: number, ry: number) =>
  Uint8Array.from({ length: SIDE * SIDE }, (_, i) => ((((i % SIDE) - cx) / rx) ** 2 + ((Math.floor(i / SIDE) - cy) / ry) ** 2 <= 1 ? 1 : 0));

for (const lonePoint of ['candidates', 'single'] as const)
  test(`the clicks of eval clicks:K, made in the app, give the same decoder inputs and the same mask (lone point: ${lonePoint})`, async () => {
    const gts = [ellipse(11, 12, 9, 5), ellipse(8, 8, 4, 7)];
    const asked: PredictInput[] = [];
    const outcomes = await runClicks(evalPredictor(asked, lonePoint), gts, SIDE, SIDE, { clicks: 5, batchSize: 8, multimask: 'auto', where: 'test' });
    for (const [n, outcome] of outcomes.entries()) {
      assert.ok(outcome.clicks.length >= 3, `instance ${n}: the test needs corrective clicks (got ${outcome.clicks.length} clicks)`);
      const evalInputs = asked.filter((input) => input.points![0][0] === outcome.clicks[0].x && input.points![0][1] === outcome.clicks[0].y);
      assert.equal(evalInputs.length, outcome.clicks.length);

      const sent: PredictInput[] = [];
      const decode = async (input: PredictInput): Promise<DecodeResult> => {
        sent.push(input);
        const { logits, scores } = fullDecode(input);
        return { masks: masksOf(logits, [0, 1, 2, 3]), scores, lowResLogits: logits, ms: 0, decoderMs: 0 };
      };
      const cache = new MaskCache(() => lonePoint);
      let state = initialState();
      for (const click of outcome.clicks) state = edits.addPoint(state, [click.x, click.y], click.label);
      const object = activeObject(state);
      const shown = await cache.resolve(object.prompt, false, decode);

      assert.equal(sent.length, evalInputs.length, `instance ${n}: one decode per click`);
      sent.forEach((input, i) => {
        const expected = evalInputs[i];
        assert.deepEqual(input.points, expected.points, `instance ${n}, click ${i + 1}: points`);
        assert.deepEqual(input.labels, expected.labels, `instance ${n}, click ${i + 1}: labels`);
        assert.equal(!!input.maskInput, i > 0, `instance ${n}, click ${i + 1}: a mask input from the second click on`);
        if (i > 0) assert.deepEqual(input.maskInput, expected.maskInput, `instance ${n}, click ${i + 1}: the mask input is eval's`);
      });
      const k = chosenCandidate(object, shown.scores, false, lonePoint);
      assert.deepEqual(shown.masks[k], outcome.final.mask, `instance ${n}: the app shows eval's final mask`);
      assert.equal(shown.scores[k], outcome.final.score);
    }
  });
