// The app's mask cache under SAM's interactive rule: which mask input each prompt is decoded with
// (none for a first prompt; for a corrective click, the logits of the output shown for the prompt
// before it), that the prompt before is decoded first when it is not cached, and that undo/redo and
// repeated requests never run the decoder again. The decoder is a recording fake: output k of call c
// has logits filled with 10·c + k, so a mask input tells which call and output it came from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { History, activeObject, edits, initialState, type AnnotationState } from '../../web/src/annotations.js';
import { MaskCache, outputLogits } from '../../web/src/mask_cache.js';
import type { DecodePrompt, DecodeResult } from '../../web/src/protocol.js';

const PLANE = 4;

/** Candidate 2 scores best (the default for a lone point); a box or several points show output 0. */
const SCORES = [0.5, 0.2, 0.9, 0.4];

function recordingDecoder(scores: readonly number[] = SCORES) {
  const calls: DecodePrompt[] = [];
  let failNext = false;
  const decode = async (prompt: DecodePrompt): Promise<DecodeResult> => {
    await Promise.resolve();
    if (failNext) {
      failNext = false;
      throw new Error('decoder failed');
    }
    const c = calls.push(prompt);
    const lowResLogits = new Float32Array(4 * PLANE);
    for (let k = 0; k < 4; k++) lowResLogits.fill(10 * c + k, k * PLANE, (k + 1) * PLANE);
    return { masks: [0, 1, 2, 3].map((k) => new Uint8Array([k % 2, 1, 0, 0])), scores: [...scores], lowResLogits, ms: 1, decoderMs: 1 };
  };
  return { calls, decode, failOnce: () => (failNext = true) };
}

/** Which call and output a mask input came from: [call (from 1), output], or undefined for none. */
const source = (prompt: DecodePrompt): [number, number] | undefined => (prompt.maskInput ? [Math.floor(prompt.maskInput[0] / 10), prompt.maskInput[0] % 10] : undefined);

const promptOf = (s: AnnotationState) => activeObject(s).prompt;

test('a first prompt has no mask input; a corrective click gets the default candidate of the prompt before it', async () => {
  const cache = new MaskCache();
  const { calls, decode } = recordingDecoder();
  let s = edits.addPoint(initialState(), [5, 5], 1);
  await cache.resolve(promptOf(s), false, decode);
  s = edits.addPoint(s, [6, 6], 0);
  await cache.resolve(promptOf(s), false, decode);
  s = edits.addPoint(s, [7, 7], 1);
  const third = await cache.resolve(promptOf(s), false, decode);
  assert.equal(calls.length, 3);
  assert.equal(source(calls[0]), undefined);
  assert.deepEqual(calls[0].points, [[5, 5]]);
  assert.deepEqual(source(calls[1]), [1, 2], 'a lone point shows its best-scored candidate (2)');
  assert.deepEqual(calls[1].points, [
    [5, 5],
    [6, 6],
  ]);
  assert.deepEqual(calls[1].labels, [1, 0]);
  assert.deepEqual(source(calls[2]), [2, 0], 'two points show the single-mask output');
  assert.equal(
    calls.every((c) => c.refine === false),
    true,
  );
  assert.deepEqual(Array.from(outputLogits(third, 3)), [33, 33, 33, 33]);
});

test('a corrective click after a picked candidate gets that candidate; a Segment-everything object its generated one', async () => {
  const cache = new MaskCache();
  const { calls, decode } = recordingDecoder();
  let s = edits.addPoint(initialState(), [5, 5], 1);
  await cache.resolve(promptOf(s), false, decode);
  s = edits.choose(s, 3);
  s = edits.addPoint(s, [6, 6], 0);
  await cache.resolve(promptOf(s), false, decode);
  assert.deepEqual(source(calls[1]), [1, 3]);

  let auto = edits.addObjects(initialState(), [{ prompt: { points: [[4, 4]], labels: [1], corrections: [] }, chosen: 1 }], 'auto');
  auto = edits.addPoint(auto, [9, 9], 0);
  await cache.resolve(promptOf(auto), false, decode);
  assert.equal(source(calls[2]), undefined, 'the grid point, decoded first');
  assert.deepEqual(source(calls[3]), [3, 1]);
});

test('box then point: the box is the first prompt; a box after points is decoded with no mask input', async () => {
  const cache = new MaskCache();
  const { calls, decode } = recordingDecoder();
  let s = edits.setBox(initialState(), [0, 0, 9, 9]);
  s = edits.addPoint(s, [2, 2], 0);
  await cache.resolve(promptOf(s), false, decode);
  assert.deepEqual(
    calls.map((c) => [c.box, c.points?.length, source(c)]),
    [
      [[0, 0, 9, 9], 0, undefined],
      [[0, 0, 9, 9], 1, [1, 0]],
    ],
  );
  s = edits.setBox(s, [1, 1, 8, 8]);
  await cache.resolve(promptOf(s), false, decode);
  assert.equal(calls.length, 3);
  assert.deepEqual(calls[2].points, [[2, 2]]);
  assert.equal(source(calls[2]), undefined);
});

test('undo and redo bring masks back from the cache; a prompt not cached has the one before it decoded first', async () => {
  const cache = new MaskCache();
  const { calls, decode } = recordingDecoder();
  const h = new History();
  h.apply(edits.addPoint(h.state, [5, 5], 1));
  const first = await cache.resolve(promptOf(h.state), false, decode);
  h.apply(edits.addPoint(h.state, [6, 6], 0));
  const second = await cache.resolve(promptOf(h.state), false, decode);
  h.undo();
  assert.equal(cache.get(promptOf(h.state), false), first);
  assert.equal(await cache.resolve(promptOf(h.state), false, decode), first);
  h.redo();
  assert.equal(cache.get(promptOf(h.state), false), second);
  assert.equal(calls.length, 2, 'undo and redo decode nothing');

  // Refine toggled: other cache entries; the corrected prompt needs its first prompt, refined, first.
  assert.equal(cache.get(promptOf(h.state), true), undefined);
  await cache.resolve(promptOf(h.state), true, decode);
  assert.equal(calls.length, 4);
  assert.deepEqual(calls[2].points, [[5, 5]]);
  assert.equal(calls[2].refine, true);
  assert.equal(source(calls[2]), undefined);
  assert.deepEqual(source(calls[3]), [3, 2]);
  assert.equal(calls[3].refine, true);
});

test('a refined prompt shows its best candidate, and the next click follows it', async () => {
  const cache = new MaskCache();
  const { calls, decode } = recordingDecoder([0.9, 0.1, 0.3, 0.2]);
  let s = edits.setBox(initialState(), [0, 0, 9, 9]);
  s = edits.addPoint(s, [2, 2], 0);
  await cache.resolve(promptOf(s), false, decode);
  await cache.resolve(promptOf(s), true, decode);
  assert.deepEqual(source(calls[1]), [1, 0], 'unrefined box: the single mask');
  assert.deepEqual(source(calls[3]), [3, 2], 'refined box: the best candidate');
});

test('a prompt is decoded once however often it is asked for; a failed decode is tried again', async () => {
  const cache = new MaskCache();
  const { calls, decode, failOnce } = recordingDecoder();
  let s = edits.addPoint(initialState(), [5, 5], 1);
  s = edits.addPoint(s, [6, 6], 0);
  const parent = edits.addPoint(initialState(), [5, 5], 1);
  // The corrected prompt and its parent asked for together: the parent is decoded once, and first.
  const [a, b, c] = await Promise.all([cache.resolve(promptOf(s), false, decode), cache.resolve(promptOf(parent), false, decode), cache.resolve(promptOf(s), false, decode)]);
  assert.equal(a, c);
  assert.notEqual(a, b);
  assert.equal(calls.length, 2);
  assert.equal(source(calls[0]), undefined);

  const other = edits.addPoint(s, [7, 7], 1);
  failOnce();
  assert.equal(cache.isPending(promptOf(other), false), false);
  const failing = cache.resolve(promptOf(other), false, decode);
  assert.equal(cache.isPending(promptOf(other), false), true);
  await assert.rejects(failing, /decoder failed/);
  assert.equal(cache.isPending(promptOf(other), false), false);
  assert.equal(cache.get(promptOf(other), false), undefined);
  await cache.resolve(promptOf(other), false, decode);
  assert.equal(calls.length, 3);
  assert.deepEqual(source(calls[2]), [2, 0]);
});

test('outputLogits: one output plane; an output that does not exist is an error', () => {
  const result: DecodeResult = { masks: [new Uint8Array(1), new Uint8Array(1)], scores: [0, 0], lowResLogits: Float32Array.from([1, 2, 3, 4]), ms: 0, decoderMs: 0 };
  assert.deepEqual(Array.from(outputLogits(result, 1)), [3, 4]);
  assert.throws(() => outputLogits(result, 2), /output 2 does not exist: the decoder gave 2/);
});
