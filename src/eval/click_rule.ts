// SAM's interactive rule, in one place for `eval clicks:K` (interactive.ts) and the browser app
// (web/src/mask_cache.ts); training's batched click simulation (src/train/clicks.ts) follows the same
// rule on its decoder slots, with the run's lone-point output (RunConfig.lonePoint, recorded in the
// weights it writes). For one object:
// - its first prompt (points and/or a box) is decoded with no mask input;
// - each corrective click is added to the prompt so far, and that prompt is decoded with the
//   low-resolution logits of the output kept for the prompt before it as the mask input;
// - the output kept is SAM's default — the highest predicted IoU (the first on ties) among the
//   outputs the decoder gives for the prompt: the multimask candidates for a lone point with no box
//   and no mask input, otherwise the single-mask output — unless the user of the app picked another,
//   or the weights record that a lone point is better served by the single-mask output too
//   (LONE_POINT_METADATA_KEY, chosen on validation data).
// Where the clicks go is a separate rule: clicks.ts for simulated ones, the user's hand in the app.
import type { PredictInput } from '../model/prediction.js';

/**
 * What a lone point (no box, no mask input) is decoded into by default: SAM's three candidates
 * ('candidates', the best-scored kept) or the single-mask output ('single'), as the weights record.
 */
export type LonePointOutput = 'candidates' | 'single';

/** safetensors metadata key with the weights' LonePointOutput (absent: SAM's 'candidates'). */
export const LONE_POINT_METADATA_KEY = 'ultrasam.lone_point';

/** A recorded LonePointOutput, checked; `where` names the weights file in the error. */
export function parseLonePointOutput(value: unknown, where: string): LonePointOutput {
  if (value === undefined) return 'candidates';
  if (value === 'candidates' || value === 'single') return value;
  throw new Error(`${where}: metadata '${LONE_POINT_METADATA_KEY}' is ${JSON.stringify(value)}; expected 'candidates' or 'single'`);
}

/** Whether a prompt is decoded into its multimask candidates by default (SamPredictor's default too). */
export function multimaskByDefault(input: Pick<PredictInput, 'points' | 'box' | 'maskInput'>, lonePoint: LonePointOutput = 'candidates'): boolean {
  return lonePoint === 'candidates' && !input.box && (input.points?.length ?? 0) === 1 && !input.maskInput;
}

/** The index of the highest score in [from, to), the first on ties. */
export function highestScore(scores: ArrayLike<number>, from = 0, to = scores.length): number {
  if (!(from >= 0 && from < to && to <= scores.length)) throw new Error(`highest score: no scores in [${from}, ${to}) of ${scores.length}`);
  let best = from;
  for (let i = from + 1; i < to; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

/**
 * SAM's default output among all of a decoder's outputs as the exported decoder gives them (0 the
 * single mask, 1..M the multimask candidates): the best candidate when the prompt is decoded into
 * candidates (`multimask`, by default multimaskByDefault with the weights' lone-point rule), else
 * the single mask.
 */
export function defaultOutput(scores: ArrayLike<number>, input: Pick<PredictInput, 'points' | 'box' | 'maskInput' | 'multimask'>, lonePoint: LonePointOutput = 'candidates'): number {
  if (scores.length < 2) throw new Error(`default output: ${scores.length} score(s); the decoder gives the single mask and its candidates`);
  return (input.multimask ?? multimaskByDefault(input, lonePoint)) ? highestScore(scores, 1) : 0;
}

/**
 * The decoder input of one round: the prompt so far, with the low-resolution logits of the output
 * kept for the prompt before it as the mask input (a corrective click), or alone (a first prompt).
 */
export function clickRoundInput(prompt: Omit<PredictInput, 'maskInput'>, previousKept: Float32Array | undefined): PredictInput {
  return previousKept ? { ...prompt, maskInput: previousKept } : { ...prompt };
}
