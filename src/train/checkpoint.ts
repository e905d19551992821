// What a run leaves in its output folder, written atomically (temporary file, then rename), so a
// kill at any moment leaves the previous complete checkpoint:
//   state.safetensors   parameters, Adam moments, step, and the run's config and data identity
//                       (everything --resume needs; the data order is a function of seed and step);
//   weights.safetensors the model in our weights format (canonical SAM keys, the config in its
//                       metadata, the layout that says which decoder math it uses), loadable with
//                       SamPredictor.load(path) and `ultrasam segment --weights`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type TrainingState, loadState, saveState } from '../graph/state.js';
import type { ParamStore, Trainer } from '../graph/trainer.js';
import type { SamConfig } from '../model/config.js';
import { LONE_POINT_METADATA_KEY, type LonePointOutput } from '../eval/click_rule.js';
import { CONFIG_METADATA_KEY, TRAINING_RECORD_KEY } from '../model/predictor.js';
import { parameterShapes } from '../model/sam.js';
import { saveSamWeights } from '../weights/checkpoint.js';
import type { StateDict } from '../weights/types.js';

export const RUN_FILES = {
  state: 'state.safetensors',
  weights: 'weights.safetensors',
  log: 'log.jsonl',
  curve: 'loss.png',
  embeddings: 'embeddings',
} as const;

export interface RunIdentity {
  /** The run config as validated (JSON). */
  run: unknown;
  /** sha256 of the training image list (dataset.ts). */
  dataHash: string;
  totalSteps: number;
}

/** Every model weight: the starting values with the trainer's current ones laid over them (copied). */
export function currentWeights(initial: ReadonlyMap<string, Float32Array>, trainer: Trainer): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const [k, v] of initial) values.set(k, v);
  for (const [k, v] of trainer.params()) values.set(k, Float32Array.from(v));
  return values;
}

/**
 * Saves the trainer's state. The data order needs nothing more than the step: the next image is at
 * stream position step × images per step (recorded too, for readers of the file).
 */
export function saveTrainingState(out: string, trainer: Trainer, identity: RunIdentity, imagesPerStep: number): void {
  const copy = (store: ParamStore) => new Map([...store].map(([k, v]) => [k, Float32Array.from(v)]));
  const { m, v } = trainer.moments();
  const meta = { ...identity, nextImagePosition: trainer.step * imagesPerStep };
  saveState(join(out, RUN_FILES.state), { params: copy(trainer.params()), m: copy(m), v: copy(v), step: trainer.step, meta });
}

export function loadTrainingState(out: string): TrainingState & { meta: Partial<RunIdentity> } {
  const path = join(out, RUN_FILES.state);
  if (!existsSync(path)) throw new Error(`--resume: no training state in ${out} (${RUN_FILES.state} is missing): nothing to resume`);
  return loadState(path);
}

/**
 * Writes model weights that SamPredictor.load reads back with their config and decoder math; a run
 * under the 'single' lone-point rule records it, so the predictor decodes lone points as trained.
 */
export function saveModelWeights(
  path: string,
  config: SamConfig,
  values: ReadonlyMap<string, Float32Array>,
  ultrasam: boolean,
  training: Record<string, unknown>,
  lonePoint: LonePointOutput = 'candidates',
): void {
  const tensors: StateDict = new Map();
  for (const [key, shape] of parameterShapes(config)) {
    const data = values.get(key);
    if (!data) throw new Error(`weights: no value for '${key}'`);
    tensors.set(key, { dtype: 'float32', shape, data });
  }
  saveSamWeights(
    path,
    { layout: ultrasam ? 'ultrasam' : 'sam', tensors },
    {
      metadata: {
        [CONFIG_METADATA_KEY]: JSON.stringify(config),
        [TRAINING_RECORD_KEY]: JSON.stringify(training),
        ...(lonePoint !== 'candidates' ? { [LONE_POINT_METADATA_KEY]: lonePoint } : {}),
      },
    },
  );
}
