// Messages between the page and the model worker (worker.ts). Every request carries an id; the
// worker answers it with exactly one `done` or `failed`, and may send `progress` before that.
import type { RawImage } from '../../src/image/types.js';
import type { EverythingOptions } from '../../src/model/everything.js';
import type { LonePointOutput } from '../../src/eval/click_rule.js';
import type { EncoderPrecision } from '../../src/model/export_format.js';
import type { Prompt } from '../../src/model/prompts.js';

/**
 * A decode request's prompt: the user's, optionally refined — for a corrective click with the logits
 * of the output shown for the prompt before it (mask_cache.ts) — or a cine frame's (with the previous
 * frame's logits).
 */
export interface DecodePrompt extends Prompt {
  /** UltraSam's test-time refinement (a second pass with the mask's box and logits). */
  refine?: boolean;
  /** Low-resolution logits (L × L) fed back as the mask prompt (the decoder's has_mask_input = 1); none: 0. */
  maskInput?: Float32Array;
}

/** Segment-everything settings the app exposes (the rest stay SAM's defaults; no crop layers). */
export type AppEverythingOptions = Pick<EverythingOptions, 'pointsPerSide' | 'predIouThresh' | 'stabilityScoreThresh' | 'boxNmsThresh'>;

export type WorkerRequest =
  /** encoder: the `?encoder=` URL parameter (fp32 or int8; unset: the export's choice, see chooseEncoder). */
  | { type: 'init'; id: number; modelUrl: string; ortUrl: string; encoder?: string }
  | { type: 'encode'; id: number; key: string; image: RawImage }
  | { type: 'decode'; id: number; key: string; prompt: DecodePrompt }
  | { type: 'everything'; id: number; key: string; image: RawImage; options: AppEverythingOptions };

export interface ModelInfo {
  name: string;
  backend: string;
  /** The image encoder's precision (files.encoder or files.encoderInt8). */
  encoder: EncoderPrecision;
  threads: number;
  ultrasam: boolean;
  slots: number;
  /** The model's recorded segment-everything thresholds (empty: SAM's). */
  everything: EverythingOptions;
  /** What a lone click is decoded into by default (the model's record; SAM's 'candidates' otherwise). */
  lonePoint: LonePointOutput;
  /** Bytes of encoder + decoder. */
  bytes: number;
}

export interface EncodeResult {
  ms: number;
  /** The embedding was in the worker's cache already. */
  cached: boolean;
}

export interface DecodeResult {
  /** Output 0 (single mask) then outputs 1..3 (multimask candidates), row-major at the image size. */
  masks: Uint8Array[];
  scores: number[];
  /** The outputs' low-resolution logits, [outputs, L, L] row-major. */
  lowResLogits: Float32Array;
  /** The whole decode in the worker: the decoder runs, then the masks at the image size. */
  ms: number;
  /** The share of `ms` spent in onnxruntime's decoder runs (both views under flip averaging). */
  decoderMs: number;
}

/** One generated mask: the grid point and which of its candidates (1–3) it is, so an object can re-decode it. */
export interface EverythingMask {
  point: [number, number];
  /** The decoder output (1..3: multimask candidates) that is the mask. */
  output: number;
  predictedIou: number;
  stabilityScore: number;
  area: number;
}

export interface EverythingResult {
  masks: EverythingMask[];
  /** Grid points decoded. */
  points: number;
  ms: number;
}

export type WorkerResponse =
  | { type: 'progress'; id: number; stage: string; fraction?: number }
  | { type: 'done'; id: number; result: ModelInfo | EncodeResult | DecodeResult | EverythingResult }
  | { type: 'failed'; id: number; message: string };
