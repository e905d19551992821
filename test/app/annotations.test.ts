// The app's annotation history: edits, undo/redo, candidate choice, and what each edit makes of the
// prompt under SAM's interactive rule (first prompt or corrective click, the candidate it follows).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_PROMPT, History, activeObject, chosenCandidate, edits, initialState, isEmptyPrompt, previousPrompt, promptKey } from '../../web/src/annotations.js';

test('points, box, undo and redo', () => {
  const h = new History();
  h.apply(edits.setBox(h.state, [10, 20, 30, 40]));
  h.apply(edits.addPoint(h.state, [15, 25], 0));
  assert.deepEqual(activeObject(h.state).prompt, { points: [[15, 25]], labels: [0], box: [10, 20, 30, 40], corrections: [null] });
  assert.ok(h.undo());
  assert.deepEqual(activeObject(h.state).prompt, { points: [], labels: [], box: [10, 20, 30, 40], corrections: [] });
  assert.ok(h.undo());
  assert.ok(isEmptyPrompt(activeObject(h.state).prompt));
  assert.equal(h.undo(), false);
  assert.ok(h.redo());
  assert.ok(h.redo());
  assert.equal(activeObject(h.state).prompt.points.length, 1);
  assert.equal(h.redo(), false);
});

test('a new edit drops the redo branch; selecting is not an edit', () => {
  const h = new History();
  h.apply(edits.addPoint(h.state, [1, 1], 1));
  h.apply(edits.addObject(h.state));
  h.undo();
  assert.ok(h.canRedo);
  h.apply(edits.addPoint(h.state, [2, 2], 1));
  assert.equal(h.canRedo, false);
  const before = h.state;
  h.replace(edits.select(h.state, 1));
  assert.notEqual(h.state, before);
  h.undo();
  assert.equal(activeObject(h.state).prompt.points.length, 1);
});

test('several objects with names and colours; deleting the last one leaves a fresh one', () => {
  let s = initialState();
  s = edits.addObject(s);
  s = edits.rename(s, 2, 'nodule');
  assert.deepEqual(
    s.objects.map((o) => o.name),
    ['object 1', 'nodule'],
  );
  assert.notEqual(s.objects[0].colour, s.objects[1].colour);
  assert.equal(s.activeId, 2);
  s = edits.removeObject(s, 2);
  assert.equal(s.activeId, 1);
  s = edits.removeObject(s, 1);
  assert.equal(s.objects.length, 1);
  assert.equal(s.objects[0].id, 3);
});

test("SAM's default candidate: best multimask output for a lone point, else the single mask; a choice wins", () => {
  let s = edits.addPoint(initialState(), [5, 5], 1);
  const scores = [0.5, 0.2, 0.9, 0.4];
  assert.equal(chosenCandidate(activeObject(s), scores), 2);
  s = edits.addPoint(s, [6, 6], 0);
  assert.equal(chosenCandidate(activeObject(s), scores), 0);
  s = edits.choose(s, 3);
  assert.equal(chosenCandidate(activeObject(s), scores), 3);
  s = edits.addPoint(s, [7, 7], 1);
  assert.equal(chosenCandidate(activeObject(s), scores), 0, 'a new prompt resets the choice');
});

test('prompt keys tell prompts apart, the mask inputs of their corrective clicks included', () => {
  const a = promptKey({ points: [[1, 2]], labels: [1], corrections: [] });
  assert.equal(a, promptKey({ points: [[1, 2]], labels: [1], corrections: [] }));
  assert.notEqual(a, promptKey({ points: [[1, 2]], labels: [0], corrections: [] }));
  assert.notEqual(a, promptKey({ points: [[1, 2]], labels: [1], box: [0, 0, 1, 1], corrections: [] }));
  const two = {
    points: [
      [1, 2],
      [3, 4],
    ] as const,
    labels: [1, 0],
  };
  const keys = [promptKey({ ...two, corrections: [] }), promptKey({ ...two, corrections: [null] }), promptKey({ ...two, corrections: [2] })];
  assert.equal(new Set(keys).size, 3, 'same points, decoded with no mask input, after the default candidate, after candidate 2');
});

test('click rule: the first point is the first prompt; each later point is a corrective click after the candidate shown', () => {
  let s = edits.addPoint(initialState(), [5, 5], 1);
  assert.deepEqual(activeObject(s).prompt.corrections, []);
  assert.equal(previousPrompt(activeObject(s).prompt), undefined, 'a first prompt has no mask input');
  s = edits.addPoint(s, [6, 6], 0);
  assert.deepEqual(activeObject(s).prompt.corrections, [null], "after SAM's default candidate");
  s = edits.choose(s, 3);
  s = edits.addPoint(s, [7, 7], 1);
  const prompt = activeObject(s).prompt;
  assert.deepEqual(prompt.corrections, [null, 3], 'after the candidate the user picked');
  assert.equal(activeObject(s).chosen, undefined);
  const before = previousPrompt(prompt)!;
  assert.deepEqual(before, {
    prompt: {
      points: [
        [5, 5],
        [6, 6],
      ],
      labels: [1, 0],
      box: undefined,
      corrections: [null],
    },
    kept: 3,
  });
  const first = previousPrompt(before.prompt)!;
  assert.deepEqual(first, { prompt: { points: [[5, 5]], labels: [1], box: undefined, corrections: [] }, kept: null });
  assert.equal(previousPrompt(first.prompt), undefined);
});

test('click rule: a box alone is a first prompt; points after it are corrective clicks', () => {
  let s = edits.setBox(initialState(), [0, 0, 9, 9]);
  s = edits.addPoint(s, [2, 2], 0);
  const prompt = activeObject(s).prompt;
  assert.deepEqual(prompt.corrections, [null]);
  assert.deepEqual(previousPrompt(prompt), { prompt: { points: [], labels: [], box: [0, 0, 9, 9], corrections: [] }, kept: null });
});

test('click rule: a box drawn after points, or redrawn, starts a new first prompt with every point', () => {
  let s = edits.addPoint(initialState(), [5, 5], 1);
  s = edits.addPoint(s, [6, 6], 0);
  s = edits.setBox(s, [0, 0, 9, 9]);
  assert.deepEqual(activeObject(s).prompt, {
    points: [
      [5, 5],
      [6, 6],
    ],
    labels: [1, 0],
    box: [0, 0, 9, 9],
    corrections: [],
  });
  assert.equal(previousPrompt(activeObject(s).prompt), undefined);
  s = edits.addPoint(s, [7, 7], 1);
  assert.deepEqual(activeObject(s).prompt.corrections, [null]);
  assert.deepEqual(previousPrompt(activeObject(s).prompt)!.prompt.points, [
    [5, 5],
    [6, 6],
  ]);
  s = edits.setBox(s, [1, 1, 8, 8]);
  assert.deepEqual(activeObject(s).prompt.corrections, []);
});

test('click rule: clear starts over; undo and redo restore the corrections with the prompt', () => {
  const h = new History();
  h.apply(edits.addPoint(h.state, [5, 5], 1));
  h.apply(edits.choose(h.state, 2));
  h.apply(edits.addPoint(h.state, [6, 6], 0));
  const corrected = activeObject(h.state).prompt;
  assert.deepEqual(corrected.corrections, [2]);
  h.apply(edits.clearPrompt(h.state));
  assert.equal(activeObject(h.state).prompt, EMPTY_PROMPT);
  h.apply(edits.addPoint(h.state, [6, 6], 0));
  assert.deepEqual(activeObject(h.state).prompt.corrections, [], 'the first point after clear is a first prompt');
  h.undo();
  h.undo();
  assert.equal(promptKey(activeObject(h.state).prompt), promptKey(corrected));
  h.undo();
  assert.equal(activeObject(h.state).chosen, 2, 'undo brings back the candidate chosen for the earlier prompt');
  h.redo();
  assert.equal(promptKey(activeObject(h.state).prompt), promptKey(corrected));
});

test('click rule: a click on a Segment-everything object follows its generated candidate', () => {
  let s = edits.addObjects(initialState(), [{ prompt: { points: [[4, 4]], labels: [1], corrections: [] }, chosen: 2 }], 'auto');
  s = edits.addPoint(s, [8, 8], 0);
  assert.deepEqual(activeObject(s).prompt.corrections, [2]);
});

test('a prompt whose corrective clicks leave no first prompt is refused', () => {
  assert.throws(() => previousPrompt({ points: [[1, 1]], labels: [1], corrections: [null] }), /1 point\(s\) cannot have 1 corrective click/);
  assert.ok(previousPrompt({ points: [[1, 1]], labels: [1], box: [0, 0, 3, 3], corrections: [null] }));
});

test('a refined prediction shows its best candidate; scores of all four outputs are needed', () => {
  const box = { prompt: { points: [], labels: [], box: [0, 0, 9, 9] as const, corrections: [] } };
  assert.equal(chosenCandidate(box, [0.9, 0.1, 0.3, 0.2]), 0);
  assert.equal(chosenCandidate(box, [0.9, 0.1, 0.3, 0.2], true), 2);
  assert.throws(() => chosenCandidate(box, [0.9]), /1 score/);
});
