// Running prompts through an EvalPredictor in bounded batches, and picking the output to score.
import type { PredictInput, Prediction } from '../model/predictor.js';
import { highestScore } from './click_rule.js';
import type { EvalPredictor, MultimaskMode } from './types.js';

/** The output kept from a prediction: the highest predicted IoU (the first on ties), as UltraSam's test head. */
export interface ChosenOutput {
  mask: Uint8Array;
  score: number;
  /** That output's low-resolution logits, to feed back as the next mask prompt. */
  logits: Float32Array;
}

export function bestOutput(prediction: Prediction, where: string): ChosenOutput {
  const k = prediction.masks.length;
  if (k === 0 || prediction.scores.length !== k) {
    throw new Error(`${where}: the predictor returned ${k} mask(s) and ${prediction.scores.length} score(s)`);
  }
  const best = highestScore(prediction.scores);
  const per = prediction.lowResLogits.length / k;
  if (!Number.isInteger(per)) throw new Error(`${where}: ${prediction.lowResLogits.length} low-resolution logits do not split into ${k} outputs`);
  return { mask: prediction.masks[best], score: prediction.scores[best], logits: prediction.lowResLogits.slice(best * per, (best + 1) * per) };
}

/** The `multimask` field for a prompt under a mode ('auto' leaves SAM's default to the predictor). */
export function multimaskFlag(mode: MultimaskMode): boolean | undefined {
  return mode === 'auto' ? undefined : mode === 'always';
}

/** predictBatch over chunks of at most `batchSize` prompts (bounds memory and the batch shapes compiled). */
export async function predictInChunks(predictor: EvalPredictor, inputs: readonly PredictInput[], batchSize: number): Promise<Prediction[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const out: Prediction[] = [];
  for (let i = 0; i < inputs.length; i += batchSize) {
    const chunk = inputs.slice(i, i + batchSize);
    const predictions = await predictor.predictBatch(chunk);
    if (predictions.length !== chunk.length) {
      throw new Error(`the predictor returned ${predictions.length} predictions for ${chunk.length} prompts`);
    }
    out.push(...predictions);
  }
  return out;
}
