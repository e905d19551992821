// The app's model: the chosen weights exported once (the encoder's and decoder's files + ultrasam.json,
// and the int8 encoder's when asked for) into a cache folder keyed by the weights file, its size and time
// and the export settings, so that the next `ultrasam app` with the same weights starts at once.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXPORT_FORMAT_VERSION, exportModel } from '../model/export.js';
import { SamPredictor, bundledModelPath } from '../model/predictor.js';

export const APP_DECODER_SLOTS = 16;
/**
 * The page also gets the decoder for these fewer slots and runs the smallest that holds the prompt:
 * a box with up to two clicks, or three clicks, fit 4; a click costs about half the 16-slot
 * decoder's time at ViT-B size, and each slot fewer ≈ 2.5 ms in WASM (docs/benchmarks.md). A size
 * costs a download of its graph only: the decoder files share their weights (decoder_weights.bin).
 */
export const APP_FEWER_SLOTS = [4, 6, 8];

/**
 * A revision of the exported graphs' insides, part of the cache key: the files' format is unchanged
 * (EXPORT_FORMAT_VERSION), but an export made before a change to how a graph computes keeps the old
 * graph until exported again. 2: the encoder takes its heads in groups (image_encoder.ts), which
 * lowers ViT-B's peak memory and the page's first encoder run (docs/benchmarks.md). 3: the prompt
 * encoder has no Cast (prompt_encoder.ts), whose kernel slowed the page's first clicks. 4: the
 * windowed blocks project q, k, v and the output for the real tokens only (image_encoder.ts); the
 * decoders' LayerNormalizations are written as primitive ops (layer_norm_primitives.ts).
 */
const GRAPH_REVISION = 4;

export interface ModelCacheOptions {
  /** Weights file; default the bundled model. */
  weights?: string;
  decoderHeads?: number;
  /**
   * Also export the int8 encoder (listed in the manifest, so the page runs it unless its URL asks
   * for ?encoder=fp32). Its own cache folder: an fp32-only export is never mistaken for one with it.
   */
  int8Encoder?: boolean;
  /** Default $XDG_CACHE_HOME/ultrasam/app or ~/.cache/ultrasam/app. */
  cacheDir?: string;
  /** Told what is happening (the export of a large model takes a while). */
  log?: (line: string) => void;
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ultrasam', 'app');
}

/** The folder name for a weights file: changes when the file or the export settings change. */
export function modelCacheKey(weightsPath: string, decoderHeads: number | undefined, int8Encoder = false): string {
  const stat = statSync(weightsPath);
  // int8Encoder only when set: fp32-only exports keep the folders they had before the option existed.
  const settings = {
    path: resolve(weightsPath),
    size: stat.size,
    mtime: stat.mtimeMs,
    decoderHeads: decoderHeads ?? null,
    slots: APP_DECODER_SLOTS,
    fewerSlots: APP_FEWER_SLOTS,
    format: EXPORT_FORMAT_VERSION,
    graphs: GRAPH_REVISION,
  };
  const hash = createHash('sha256')
    .update(JSON.stringify(int8Encoder ? { ...settings, int8Encoder } : settings))
    .digest('hex')
    .slice(0, 16);
  return `model-${hash}`;
}

/** Exports the weights unless the cache has them already; returns the model folder. */
export async function ensureExportedModel(options: ModelCacheOptions = {}): Promise<string> {
  const weights = options.weights ? resolve(options.weights) : bundledModelPath('ultrasam-tiny');
  if (!existsSync(weights)) throw new Error(`weights file not found: ${weights}`);
  const dir = join(options.cacheDir ?? defaultCacheDir(), modelCacheKey(weights, options.decoderHeads, options.int8Encoder));
  if (existsSync(join(dir, 'ultrasam.json'))) {
    options.log?.(`model: ${weights} (exported earlier to ${dir})`);
    return dir;
  }
  options.log?.(`model: exporting ${weights} to ${dir} …`);
  const predictor = await SamPredictor.load(weights, { decoderHeads: options.decoderHeads });
  try {
    await exportModel(predictor, dir, { slots: APP_DECODER_SLOTS, fewerSlots: APP_FEWER_SLOTS, int8Encoder: options.int8Encoder, force: true });
  } finally {
    await predictor.release();
  }
  return dir;
}
