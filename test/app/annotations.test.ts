// The app's annotation history: edits, undo/redo, candidate choice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { History, activeObject, chosenCandidate, edits, initialState, isEmptyPrompt, promptKey } from '../../web/src/annotations.js';

test('points, box, undo and redo', () => {
  const h = new History();
  h.apply(edits.setBox(h.state, [10, 20, 30, 40]));
  h.apply(edits.addPoint(h.state, [15, 25], 0));
  assert.deepEqual(activeObject(h.state).prompt, { points: [[15, 25]], labels: [0], box: [10, 20, 30, 40] });
  assert.ok(h.undo());
  assert.deepEqual(activeObject(h.state).prompt, { points: [], labels: [], box: [10, 20, 30, 40] });
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
  assert.deepEqual(s.objects.map((o) => o.name), ['object 1', 'nodule']);
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

test('prompt keys tell prompts apart', () => {
  const a = promptKey({ points: [[1, 2]], labels: [1] });
  assert.equal(a, promptKey({ points: [[1, 2]], labels: [1] }));
  assert.notEqual(a, promptKey({ points: [[1, 2]], labels: [0] }));
  assert.notEqual(a, promptKey({ points: [[1, 2]], labels: [1], box: [0, 0, 1, 1] }));
});
