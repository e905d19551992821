// UltraSam's test-time refinement (the reference's `use_mask_refinement` evaluation): the prompt is
// decoded once with a single-mask output; then decoded again with that mask's low-resolution logits
// as the mask input, prompted by a box — the given box for box prompts, the box of the first mask
// for point prompts (the reference replaces the points by it) — and the last pass has the multimask
// outputs, of which the best-scored is used.
import { maskBox } from './amg.js';
import type { Prediction, PredictInput } from './prediction.js';

/** The first pass of a prompt: itself, or with refinement its single-mask decode. */
export function firstPassInput(input: PredictInput): PredictInput {
  return input.refine ? { ...input, refine: false, multimask: false } : input;
}

/**
 * The second pass of a refined prompt, from its first pass. The box of the first mask is taken as
 * mmdet's mask2bbox (right/bottom one past the last pixel). A first mask that is empty has no box:
 * the prompt is then repeated as given, with the mask input.
 */
export function refinementInput(input: PredictInput, first: Prediction, lowResSide: number): PredictInput {
  let best = 0;
  for (let k = 1; k < first.scores.length; k++) if (first.scores[k] > first.scores[best]) best = k;
  const per = lowResSide * lowResSide;
  const maskInput = first.lowResLogits.slice(best * per, (best + 1) * per);
  const multimask = input.multimask ?? true;
  if (input.box) return { points: input.points, labels: input.labels, box: input.box, maskInput, multimask };
  const mask = first.masks[best];
  if (!mask.some((v) => v !== 0)) return { points: input.points, labels: input.labels, maskInput, multimask };
  const [x0, y0, x1, y1] = maskBox(mask, first.width, first.height);
  return { box: [x0, y0, x1 + 1, y1 + 1], maskInput, multimask };
}
