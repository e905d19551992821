// The clicks:K protocol on one image: every instance gets its first click, then K − 1 corrective
// clicks (see clicks.ts), all instances of the image decoded together each round. From the second
// click on, the prompt is all clicks so far plus the previous round's low-resolution logits (of the
// output that was kept) as the mask prompt, as SAM's interactive evaluation does (click_rule.ts, the
// rule the app follows too). An instance whose prediction equals its ground truth gets no more
// clicks and keeps its IoU (1) for the later rounds.
import type { PredictInput } from '../model/predictor.js';
import { clickRoundInput } from './click_rule.js';
import { firstClick, nextClick, type Click } from './clicks.js';
import { maskOverlap } from './metrics.js';
import { bestOutput, multimaskFlag, predictInChunks, type ChosenOutput } from './predict.js';
import type { EvalPredictor, MultimaskMode } from './types.js';

export interface ClickOutcome {
  /** The prediction after the last click made. */
  final: ChosenOutput;
  /** IoU after click 1..K. */
  ious: number[];
  clicks: Click[];
}

export interface ClickOptions {
  clicks: number;
  batchSize: number;
  multimask: MultimaskMode;
  /** For error messages: the image. */
  where: string;
}

export async function runClicks(predictor: EvalPredictor, gts: readonly Uint8Array[], width: number, height: number, options: ClickOptions): Promise<ClickOutcome[]> {
  const states = gts.map((gt) => ({
    gt,
    clicks: [firstClick(gt, width, height)],
    ious: [] as number[],
    last: undefined as ChosenOutput | undefined,
    done: false,
  }));
  for (let round = 1; round <= options.clicks; round++) {
    const active = states.filter((s) => !s.done);
    if (active.length === 0) break;
    const inputs: PredictInput[] = active.map((s) =>
      clickRoundInput({ points: s.clicks.map((c) => [c.x, c.y] as [number, number]), labels: s.clicks.map((c) => c.label), multimask: multimaskFlag(options.multimask) }, s.last?.logits),
    );
    const predictions = await predictInChunks(predictor, inputs, options.batchSize);
    active.forEach((s, i) => {
      const chosen = bestOutput(predictions[i], `${options.where}, click ${round}`);
      if (chosen.mask.length !== width * height) {
        throw new Error(`${options.where}: the prediction has ${chosen.mask.length} pixels, the image ${width}×${height}`);
      }
      s.last = chosen;
      s.ious.push(maskOverlap(chosen.mask, s.gt).iou);
      if (round === options.clicks) return;
      const click = nextClick(s.gt, chosen.mask, width, height);
      if (click) s.clicks.push(click);
      else s.done = true;
    });
  }
  return states.map((s) => {
    const ious = [...s.ious];
    while (ious.length < options.clicks) ious.push(ious[ious.length - 1]);
    return { final: s.last!, ious, clicks: s.clicks };
  });
}
