// SAM's interactive rule shared by eval clicks:K and the app: the multimask default (checked against
// what SamPredictor returns, on a tiny random model), the kept output, and a round's decoder input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clickRoundInput, defaultOutput, highestScore, multimaskByDefault, parseLonePointOutput } from '../../src/eval/click_rule.js';
import { SamPredictor, type PredictInput } from '../../src/model/predictor.js';
import { randomWeights, tinyConfig } from '../model/tiny.js';

test('highestScore: the first of the best, within a range', () => {
  assert.equal(highestScore([0.1, 0.7, 0.7, 0.2]), 1);
  assert.equal(highestScore([0.9, 0.1, 0.3, 0.3], 1), 2);
  assert.equal(highestScore(Float32Array.from([0.2, 0.5]), 0, 1), 0);
  assert.throws(() => highestScore([]), /no scores in \[0, 0\) of 0/);
  assert.throws(() => highestScore([1, 2], 2), /no scores/);
});

test('defaultOutput: the best candidate for a lone point, the single mask otherwise; multimask forces either', () => {
  const scores = [0.95, 0.2, 0.6, 0.4];
  const logits = new Float32Array(4);
  assert.equal(defaultOutput(scores, { points: [[1, 1]] }), 2);
  assert.equal(defaultOutput(scores, { points: [[1, 1]], maskInput: logits }), 0, 'a corrective round (mask input) is not ambiguous');
  assert.equal(
    defaultOutput(scores, {
      points: [
        [1, 1],
        [2, 2],
      ],
    }),
    0,
  );
  assert.equal(defaultOutput(scores, { box: [0, 0, 3, 3] }), 0);
  assert.equal(defaultOutput(scores, { points: [[1, 1]], box: [0, 0, 3, 3] }), 0);
  assert.equal(defaultOutput(scores, { box: [0, 0, 3, 3], multimask: true }), 2);
  assert.equal(defaultOutput(scores, { points: [[1, 1]], multimask: false }), 0);
  assert.throws(() => defaultOutput([0.5], { points: [[1, 1]] }), /1 score/);
});

test("a model that records 'single' for a lone point keeps the single mask for it; the record is checked", () => {
  const scores = [0.2, 0.95, 0.6, 0.4];
  assert.equal(multimaskByDefault({ points: [[1, 1]] }, 'single'), false);
  assert.equal(multimaskByDefault({ points: [[1, 1]] }, 'candidates'), true);
  assert.equal(defaultOutput(scores, { points: [[1, 1]] }, 'single'), 0);
  assert.equal(defaultOutput(scores, { points: [[1, 1]], multimask: true }, 'single'), 1, 'an explicit multimask still wins');
  assert.equal(parseLonePointOutput(undefined, 'w.safetensors'), 'candidates');
  assert.equal(parseLonePointOutput('single', 'w.safetensors'), 'single');
  assert.throws(() => parseLonePointOutput('best', 'w.safetensors'), /w\.safetensors: metadata 'ultrasam\.lone_point' is "best"; expected 'candidates' or 'single'/);
});

test('clickRoundInput: the mask input only from the second round on; the prompt is not changed', () => {
  const prompt = { points: [[1, 2]] as [number, number][], labels: [1], multimask: false };
  assert.deepEqual(clickRoundInput(prompt, undefined), prompt);
  assert.equal('maskInput' in clickRoundInput(prompt, undefined), false);
  const kept = Float32Array.from([1, -1]);
  const next = clickRoundInput(prompt, kept);
  assert.equal(next.maskInput, kept);
  assert.deepEqual({ ...next, maskInput: undefined }, { ...prompt, maskInput: undefined });
  assert.equal('maskInput' in prompt, false);
});

test("multimaskByDefault is SamPredictor's default: it returns three candidates exactly then", async () => {
  const config = tinyConfig();
  const values = new Map([...randomWeights(config)].map(([key, v]) => [key, v.data]));
  const predictor = SamPredictor.fromValues(config, values, false, { threads: 1 });
  try {
    const data = Uint8Array.from({ length: 40 * 30 * 3 }, (_, i) => (i * 37) % 251);
    await predictor.setImage({ data, width: 40, height: 30, channels: 3 });
    const side = 4 * 4;
    const maskInput = new Float32Array(side * side).fill(0.5);
    const prompts: PredictInput[] = [
      { points: [[10, 10]], labels: [1] },
      { points: [[10, 10]], labels: [1], maskInput },
      {
        points: [
          [10, 10],
          [20, 15],
        ],
        labels: [1, 0],
      },
      { box: [5, 5, 30, 25] },
      { points: [[10, 10]], labels: [0], box: [5, 5, 30, 25] },
    ];
    for (const prompt of prompts) {
      const out = await predictor.predict(prompt);
      assert.equal(out.masks.length, multimaskByDefault(prompt) ? 3 : 1, JSON.stringify({ ...prompt, maskInput: !!prompt.maskInput }));
    }
    assert.deepEqual(
      prompts.map((p) => multimaskByDefault(p)),
      [true, false, false, false, false],
    );
  } finally {
    await predictor.release();
  }
});
