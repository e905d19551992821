// The annotation document of one image: objects with their prompts, as immutable snapshots in an
// undo/redo history. Masks are not part of it: they follow from the prompts (see mask_cache.ts), so
// undo and redo bring back the mask of the restored prompt without running the decoder again.
import { type LonePointOutput, defaultOutput } from '../../src/eval/click_rule.js';
import type { Prompt } from '../../src/model/prompts.js';

export type Point = readonly [number, number];
export type Box = readonly [number, number, number, number];

export interface ObjectPrompt {
  points: readonly Point[];
  /** 1 positive, 0 negative, one per point. */
  labels: readonly number[];
  box?: Box;
  /**
   * The corrective clicks: the last `corrections.length` points, in the order they were given (the
   * points before them belong to the first prompt). Entry i is the candidate (0–3) that was shown
   * for the prompt before click i when it was made, null for SAM's default; that candidate's
   * low-resolution logits are the click's mask input (see `edits` for when a point is one).
   */
  corrections: readonly (number | null)[];
}

export interface AnnotatedObject {
  id: number;
  name: string;
  /** Index into OBJECT_COLOURS. */
  colour: number;
  prompt: ObjectPrompt;
  /** Candidate the user picked (0 single, 1..3 multimask); undefined = SAM's default for the prompt. */
  chosen?: number;
}

export interface AnnotationState {
  objects: readonly AnnotatedObject[];
  activeId: number;
  nextId: number;
}

export const OBJECT_COLOURS: readonly (readonly [number, number, number])[] = [
  [255, 196, 0],
  [0, 190, 255],
  [255, 64, 160],
  [90, 220, 90],
  [180, 120, 255],
  [255, 120, 40],
  [0, 220, 200],
  [240, 240, 90],
];

export const EMPTY_PROMPT: ObjectPrompt = { points: [], labels: [], corrections: [] };

export function newObject(id: number): AnnotatedObject {
  return { id, name: `object ${id}`, colour: (id - 1) % OBJECT_COLOURS.length, prompt: EMPTY_PROMPT };
}

export function initialState(): AnnotationState {
  return { objects: [newObject(1)], activeId: 1, nextId: 2 };
}

export function isEmptyPrompt(prompt: ObjectPrompt): boolean {
  return prompt.points.length === 0 && !prompt.box;
}

/** The decoder's prompt (points in image pixels). */
export function toModelPrompt(prompt: ObjectPrompt): Prompt {
  return { points: prompt.points, labels: prompt.labels, box: prompt.box };
}

/** Identifies a prompt for the mask cache: with its corrective clicks, hence with the mask inputs of its decode. */
export function promptKey(prompt: ObjectPrompt): string {
  return JSON.stringify([prompt.points, prompt.labels, prompt.box ?? null, prompt.corrections]);
}

/**
 * The prompt before a prompt's last corrective click, with the candidate kept of it (null: SAM's
 * default); undefined for a first prompt, which is decoded with no mask input.
 */
export function previousPrompt(prompt: ObjectPrompt): { prompt: ObjectPrompt; kept: number | null } | undefined {
  const n = prompt.corrections.length;
  if (n === 0) return undefined;
  const points = prompt.points.length;
  if (n > points || (n === points && !prompt.box)) {
    throw new Error(`a prompt of ${points} point(s)${prompt.box ? ' and a box' : ''} cannot have ${n} corrective click(s): its first prompt would be empty`);
  }
  return {
    prompt: { points: prompt.points.slice(0, -1), labels: prompt.labels.slice(0, -1), box: prompt.box, corrections: prompt.corrections.slice(0, -1) },
    kept: prompt.corrections[n - 1],
  };
}

/**
 * The candidate shown for a prompt. An explicit choice wins; otherwise SAM's default
 * (src/eval/click_rule.ts): the best-scored of the three candidates for a lone point (unless the
 * model records `lonePoint` 'single'), else the single-mask output. A refined prediction (UltraSam's second pass) shows the best-scored
 * candidate, as the reference does. `scores` are all four outputs'.
 */
export function chosenCandidate(object: Pick<AnnotatedObject, 'prompt' | 'chosen'>, scores: readonly number[], refined = false, lonePoint: LonePointOutput = 'candidates'): number {
  if (object.chosen !== undefined) return object.chosen;
  // A prompt with corrective clicks has two points or more, or a box: never a lone point.
  return defaultOutput(scores, { points: object.prompt.points, box: object.prompt.box, multimask: refined ? true : undefined }, lonePoint);
}

export function activeObject(state: AnnotationState): AnnotatedObject {
  const found = state.objects.find((o) => o.id === state.activeId);
  if (!found) throw new Error(`no object ${state.activeId}`);
  return found;
}

function updateActive(state: AnnotationState, change: (o: AnnotatedObject) => AnnotatedObject): AnnotationState {
  return { ...state, objects: state.objects.map((o) => (o.id === state.activeId ? change(o) : o)) };
}

/*
 * SAM's interactive rule in the app (src/eval/click_rule.ts, the rule of `eval clicks:K` and of
 * training), decided here by what each edit makes of the active object's prompt:
 * - A point on an empty prompt is the first prompt, decoded with no mask input.
 * - A point on a prompt that has points or a box is a corrective click: the prompt with it is
 *   decoded with the low-resolution logits of the output shown for the prompt before it (the
 *   candidate the user picked for that prompt, or SAM's default) as the mask input. The pick is
 *   recorded with the click (`corrections`), so the mask follows from the prompt alone.
 * - A box — on an empty prompt, after points, or redrawn — starts a new first prompt: the box with
 *   every point so far, decoded with no mask input. The rule feeds a mask only to a prompt that
 *   grew by one click, and a box changes the whole prompt. Later points are corrective clicks on it.
 * - Choosing a candidate changes the mask shown for the prompt as it is (nothing is decoded); the
 *   next click takes that candidate's logits. A new prompt starts at SAM's default again.
 * - Clear empties the prompt; points are removed one by one only by undo.
 * - Undo and redo restore a snapshot, the prompt with its corrections and the candidate chosen, so
 *   the mask shown is the one shown before for it: from the cache, or — where the cache lacks it
 *   (Refine toggled since) — decoded again, the prompts before it first (mask_cache.ts).
 * - Objects of Segment everything start as a first prompt (their grid point) showing the generated
 *   candidate; a click on one takes that candidate's logits.
 */
export const edits = {
  addPoint: (state: AnnotationState, point: Point, label: 0 | 1): AnnotationState =>
    updateActive(state, (o) => ({
      ...o,
      chosen: undefined,
      prompt: {
        ...o.prompt,
        points: [...o.prompt.points, point],
        labels: [...o.prompt.labels, label],
        corrections: isEmptyPrompt(o.prompt) ? [] : [...o.prompt.corrections, o.chosen ?? null],
      },
    })),
  setBox: (state: AnnotationState, box: Box): AnnotationState => updateActive(state, (o) => ({ ...o, chosen: undefined, prompt: { ...o.prompt, box, corrections: [] } })),
  clearPrompt: (state: AnnotationState): AnnotationState => updateActive(state, (o) => ({ ...o, chosen: undefined, prompt: EMPTY_PROMPT })),
  choose: (state: AnnotationState, candidate: number): AnnotationState => updateActive(state, (o) => ({ ...o, chosen: candidate })),
  rename: (state: AnnotationState, id: number, name: string): AnnotationState => ({
    ...state,
    objects: state.objects.map((o) => (o.id === id ? { ...o, name } : o)),
  }),
  /**
   * Adds one object per prompt (segment everything: each mask's grid point and candidate), named
   * `<prefix> 1..n`; a lone empty object (a fresh image) is replaced. The first new one is active.
   */
  addObjects: (state: AnnotationState, found: readonly { prompt: ObjectPrompt; chosen: number }[], prefix: string): AnnotationState => {
    if (found.length === 0) return state;
    const kept = state.objects.length === 1 && isEmptyPrompt(state.objects[0].prompt) ? [] : state.objects;
    const added = found.map((f, i) => ({ ...newObject(state.nextId + i), name: `${prefix} ${i + 1}`, prompt: f.prompt, chosen: f.chosen }));
    return { objects: [...kept, ...added], activeId: added[0].id, nextId: state.nextId + found.length };
  },
  addObject: (state: AnnotationState): AnnotationState => ({
    objects: [...state.objects, newObject(state.nextId)],
    activeId: state.nextId,
    nextId: state.nextId + 1,
  }),
  removeObject: (state: AnnotationState, id: number): AnnotationState => {
    const objects = state.objects.filter((o) => o.id !== id);
    if (objects.length === 0) return { objects: [newObject(state.nextId)], activeId: state.nextId, nextId: state.nextId + 1 };
    return { ...state, objects, activeId: state.activeId === id ? objects[objects.length - 1].id : state.activeId };
  },
  select: (state: AnnotationState, id: number): AnnotationState => (state.objects.some((o) => o.id === id) ? { ...state, activeId: id } : state),
};

/** Undo/redo over snapshots. Selecting an object is not an edit, so it is not recorded. */
export class History {
  private past: AnnotationState[] = [];
  private future: AnnotationState[] = [];

  constructor(private present: AnnotationState = initialState()) {}

  get state(): AnnotationState {
    return this.present;
  }
  get canUndo(): boolean {
    return this.past.length > 0;
  }
  get canRedo(): boolean {
    return this.future.length > 0;
  }

  /** Records an edit; an edit that changes nothing is not recorded. */
  apply(next: AnnotationState): void {
    if (next === this.present) return;
    this.past.push(this.present);
    this.future = [];
    this.present = next;
  }

  /** Changes the present without a history step (selection). */
  replace(next: AnnotationState): void {
    this.present = next;
  }

  undo(): boolean {
    const previous = this.past.pop();
    if (!previous) return false;
    this.future.push(this.present);
    this.present = { ...previous, activeId: previous.objects.some((o) => o.id === this.present.activeId) ? this.present.activeId : previous.activeId };
    return true;
  }

  redo(): boolean {
    const next = this.future.pop();
    if (!next) return false;
    this.past.push(this.present);
    this.present = next;
    return true;
  }
}
