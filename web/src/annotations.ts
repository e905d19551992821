// The annotation document of one image: objects with their prompts, as immutable snapshots in an
// undo/redo history. Masks are not part of it: they follow from the prompts (see MaskCache), so undo
// and redo bring back the mask of the restored prompt without running the decoder again.
import type { Prompt } from '../../src/model/prompts.js';

export type Point = readonly [number, number];
export type Box = readonly [number, number, number, number];

export interface ObjectPrompt {
  points: readonly Point[];
  /** 1 positive, 0 negative, one per point. */
  labels: readonly number[];
  box?: Box;
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

export const EMPTY_PROMPT: ObjectPrompt = { points: [], labels: [] };

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

/** Identifies a prompt for the mask cache. */
export function promptKey(prompt: ObjectPrompt): string {
  return JSON.stringify([prompt.points, prompt.labels, prompt.box ?? null]);
}

/**
 * SAM's default: three candidates for a lone point (ambiguous), the best-scored one shown; otherwise
 * the single-mask output. A refined prediction (UltraSam's second pass) shows the best-scored
 * candidate, as the reference does. An explicit choice wins.
 */
export function chosenCandidate(object: AnnotatedObject, scores: readonly number[], refined = false): number {
  if (object.chosen !== undefined) return object.chosen;
  const ambiguous = refined || (object.prompt.points.length === 1 && !object.prompt.box);
  if (!ambiguous || scores.length < 4) return 0;
  let best = 1;
  for (let k = 2; k < scores.length; k++) if (scores[k] > scores[best]) best = k;
  return best;
}

export function activeObject(state: AnnotationState): AnnotatedObject {
  const found = state.objects.find((o) => o.id === state.activeId);
  if (!found) throw new Error(`no object ${state.activeId}`);
  return found;
}

function updateActive(state: AnnotationState, change: (o: AnnotatedObject) => AnnotatedObject): AnnotationState {
  return { ...state, objects: state.objects.map((o) => (o.id === state.activeId ? change(o) : o)) };
}

export const edits = {
  addPoint: (state: AnnotationState, point: Point, label: 0 | 1): AnnotationState =>
    updateActive(state, (o) => ({ ...o, chosen: undefined, prompt: { ...o.prompt, points: [...o.prompt.points, point], labels: [...o.prompt.labels, label] } })),
  setBox: (state: AnnotationState, box: Box): AnnotationState =>
    updateActive(state, (o) => ({ ...o, chosen: undefined, prompt: { ...o.prompt, box } })),
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
