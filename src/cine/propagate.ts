// Cine propagation: segment one frame from the user's prompt, then walk forward and backward through
// the clip, each frame prompted by the previous frame's mask — its box and its low-resolution logits
// as the mask input — and stop in a direction where the predicted IoU falls below a threshold (or
// the mask vanishes). Runtime-agnostic: the CLI drives a SamPredictor, the browser app its worker.
import { maskBox } from '../model/amg.js';
import type { Prompt } from '../model/prompts.js';

/** A decoder answer for one frame: candidate masks (row-major, frame size), scores, low-res logits. */
export interface FramePrediction {
  masks: Uint8Array[];
  scores: ArrayLike<number>;
  /** K × L × L, row-major. */
  lowResLogits: Float32Array;
}

/** The prompt of one frame: the user's, or the previous mask's box and logits. */
export interface FramePrompt extends Prompt {
  maskInput?: Float32Array;
  multimask?: boolean;
}

export interface PropagateBackend {
  /** Makes `frame` the frame that `predict` decodes against (embedding it as needed). */
  setFrame(frame: number): Promise<void>;
  predict(prompt: FramePrompt): Promise<FramePrediction>;
}

export interface PropagateOptions {
  frameCount: number;
  width: number;
  height: number;
  /** The prompted frame, from 0. */
  frame: number;
  prompt: Prompt;
  /** Stop a direction at the first frame whose predicted IoU is below this (default 0.5). */
  minScore?: number;
  /**
   * What a frame takes from its neighbour's mask: its box and low-resolution logits (default), or
   * the box alone — for models whose mask-input path was never trained (see PropagationCarry).
   */
  carry?: PropagationCarry;
  /** Frames never overwritten: a direction stops before reaching one (the app's corrected frames). */
  stopAt?: (frame: number) => boolean;
  /** Called with each frame's mask as it is found. */
  onFrame?: (mask: FrameMask) => void;
}

export const DEFAULT_MIN_SCORE = 0.5;

/**
 * 'box+logits': the previous mask's box and its logits as the mask input (SAM's way of carrying a
 * mask); 'box': the box only. A model trained without mask prompts (ultrasam train without
 * `refine`) reads the logits through untrained weights, and does better with 'box'.
 */
export type PropagationCarry = 'box+logits' | 'box';
export const PROPAGATION_CARRIES: readonly PropagationCarry[] = ['box+logits', 'box'];

export interface FrameMask {
  frame: number;
  /** Row-major width × height, 1 = object. */
  mask: Uint8Array;
  area: number;
  /** Predicted IoU of the mask. */
  score: number;
  /** The low-resolution logits of the mask (L × L), fed to the next frame. */
  lowResLogits: Float32Array;
  /** How the frame was prompted. */
  source: 'prompt' | 'forward' | 'backward';
}

export interface PropagationStop {
  direction: 'forward' | 'backward';
  /** The frame that was not kept. */
  frame: number;
  score: number;
  message: string;
}

export interface Propagation {
  /** One entry per frame; undefined where no mask was kept. */
  masks: (FrameMask | undefined)[];
  stops: PropagationStop[];
}

function best(prediction: FramePrediction, lowSide: number): { mask: Uint8Array; score: number; logits: Float32Array } {
  let k = 0;
  for (let i = 1; i < prediction.masks.length; i++) if (prediction.scores[i] > prediction.scores[k]) k = i;
  const per = lowSide * lowSide;
  return { mask: prediction.masks[k], score: prediction.scores[k], logits: prediction.lowResLogits.slice(k * per, (k + 1) * per) };
}

const areaOf = (mask: Uint8Array) => mask.reduce((a, v) => a + (v ? 1 : 0), 0);

/** The prompt a frame gets from its neighbour's mask: the mask's box (one past the last pixel) and, by default, its logits. */
export function promptFromMask(previous: FrameMask, width: number, height: number, carry: PropagationCarry = 'box+logits'): FramePrompt {
  const [x0, y0, x1, y1] = maskBox(previous.mask, width, height);
  return { box: [x0, y0, x1 + 1, y1 + 1], ...(carry === 'box+logits' ? { maskInput: previous.lowResLogits } : {}), multimask: false };
}

export async function propagate(backend: PropagateBackend, options: PropagateOptions): Promise<Propagation> {
  const { frameCount, width, height, frame: start } = options;
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
  if (!Number.isInteger(start) || start < 0 || start >= frameCount) {
    throw new Error(`frame ${start} does not exist: the clip has ${frameCount} frame(s), numbered from 0`);
  }
  if (!(minScore >= 0 && minScore <= 1)) throw new Error(`the minimum score must be in [0, 1], got ${minScore}`);
  const carry = options.carry ?? 'box+logits';
  if (!PROPAGATION_CARRIES.includes(carry)) throw new Error(`carry must be ${PROPAGATION_CARRIES.join(' or ')}, got '${carry}'`);
  const masks: (FrameMask | undefined)[] = new Array(frameCount).fill(undefined);
  const stops: PropagationStop[] = [];
  await backend.setFrame(start);
  const first = await backend.predict(options.prompt);
  const lowSide = Math.round(Math.sqrt(first.lowResLogits.length / first.masks.length));
  const chosen = best(first, lowSide);
  const seed: FrameMask = { frame: start, mask: chosen.mask, area: areaOf(chosen.mask), score: chosen.score, lowResLogits: chosen.logits, source: 'prompt' };
  masks[start] = seed;
  options.onFrame?.(seed);
  for (const direction of ['forward', 'backward'] as const) {
    const step = direction === 'forward' ? 1 : -1;
    let previous = seed;
    for (let f = start + step; f >= 0 && f < frameCount; f += step) {
      if (options.stopAt?.(f)) break;
      if (previous.area === 0) {
        stops.push({ direction, frame: f, score: 0, message: `${direction}: stopped before frame ${f}: the mask of frame ${previous.frame} is empty` });
        break;
      }
      await backend.setFrame(f);
      const answer = best(await backend.predict(promptFromMask(previous, width, height, carry)), lowSide);
      if (!(answer.score >= minScore)) {
        stops.push({
          direction,
          frame: f,
          score: answer.score,
          message: `${direction}: stopped at frame ${f}: predicted IoU ${answer.score.toFixed(3)} < ${minScore} (frames ${direction === 'forward' ? `${f}–${frameCount - 1}` : `0–${f}`} have no mask)`,
        });
        break;
      }
      const found: FrameMask = { frame: f, mask: answer.mask, area: areaOf(answer.mask), score: answer.score, lowResLogits: answer.logits, source: direction };
      masks[f] = found;
      options.onFrame?.(found);
      previous = found;
    }
  }
  return { masks, stops };
}
