// Messages between the page and the model worker (worker.ts). Every request carries an id; the
// worker answers it with exactly one `done` or `failed`, and may send `progress` before that.
import type { RawImage } from '../../src/image/types.js';
import type { Prompt } from '../../src/model/prompts.js';

export type WorkerRequest =
  | { type: 'init'; id: number; modelUrl: string; ortUrl: string }
  | { type: 'encode'; id: number; key: string; image: RawImage }
  | { type: 'decode'; id: number; key: string; prompt: Prompt };

export interface ModelInfo {
  name: string;
  backend: string;
  threads: number;
  ultrasam: boolean;
  slots: number;
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
  ms: number;
}

export type WorkerResponse =
  | { type: 'progress'; id: number; stage: string; fraction?: number }
  | { type: 'done'; id: number; result: ModelInfo | EncodeResult | DecodeResult }
  | { type: 'failed'; id: number; message: string };
