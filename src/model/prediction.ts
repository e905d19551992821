// What the predictor takes for one prompt and gives back: apart from predictor.ts so that the
// helpers it calls (refine.ts) can name them without importing the predictor.
import type { Prompt } from './prompts.js';

export interface PredictInput extends Prompt {
  /** Low-resolution logits [1, 4h, 4w] of an earlier prediction, fed back as the mask prompt. */
  maskInput?: Float32Array;
  /** Three candidate masks (outputs 1–3) instead of one (output 0). Default: true for a single point. */
  multimask?: boolean;
  /**
   * UltraSam's test-time refinement: decode once (single mask), then again prompted with the box of
   * that mask (or the given box) and its low-resolution logits as the mask input; the second pass
   * is returned, with three candidates unless `multimask` is false (see refine.ts).
   */
  refine?: boolean;
}

/** The decoder's own outputs for one prompt, before postprocessing. */
export interface LowResPrediction {
  /** Predicted IoU of each output. */
  scores: Float32Array;
  /** C × h × w low-resolution logits (h = w = 4 × the embedding grid), row-major. */
  lowResLogits: Float32Array;
  /** Outputs C. */
  count: number;
}

export interface Prediction {
  /** One mask per output, row-major height × width of the image given to setImage; 1 = object. */
  masks: Uint8Array[];
  /** Predicted IoU of each mask. */
  scores: Float32Array;
  /** C × h × w low-resolution logits (h = w = 4 × the embedding grid), row-major. */
  lowResLogits: Float32Array;
  width: number;
  height: number;
}
