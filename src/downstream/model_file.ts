// A fine-tuned downstream model on disk: one safetensors file holding the encoder (image_encoder.*,
// SAM's keys) and the head (head.*), with JSON metadata saying what it is — task, classes, the
// encoder config, and how it was trained — so `ultrasam classify` / `predict-seg` need nothing else.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SamConfig } from '../model/config.js';
import { validateConfig } from '../model/config.js';
import { CONFIG_METADATA_KEY } from '../model/predictor.js';
import { parameterShapes } from '../model/sam.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../weights/safetensors.js';
import type { StateDict } from '../weights/types.js';
import type { Task } from './heads.js';

export const DOWNSTREAM_METADATA_KEY = 'ultrasam.downstream';

export interface DownstreamMeta {
  format: 'ultrasam-downstream';
  task: Task;
  /** Output classes in head order (segmentation: 'background' first). */
  classes: string[];
  /** How it was made: init, mode, seed, epochs, data, held-out metrics. */
  training: Record<string, unknown>;
}

export interface DownstreamModel {
  meta: DownstreamMeta;
  config: SamConfig;
  values: Map<string, Float32Array>;
}

export function saveDownstreamModel(path: string, model: DownstreamModel): void {
  const tensors: StateDict = new Map();
  // Encoder tensors keep SAM's shapes so other tools can read them; head tensors are stored flat.
  const shapes = parameterShapes(model.config);
  for (const [key, data] of model.values) {
    if (!key.startsWith('image_encoder.') && !key.startsWith('head.')) continue;
    tensors.set(key, { dtype: 'float32', shape: shapes.get(key) ?? [data.length], data });
  }
  mkdirSync(dirname(path), { recursive: true });
  writeSafetensorsFile(path, tensors, {
    metadata: { [DOWNSTREAM_METADATA_KEY]: JSON.stringify(model.meta), [CONFIG_METADATA_KEY]: JSON.stringify(model.config) },
  });
}

export function loadDownstreamModel(path: string): DownstreamModel {
  if (!existsSync(path)) throw new Error(`model file not found: ${path}`);
  const { tensors, metadata } = readSafetensorsFile(path);
  const metaText = metadata[DOWNSTREAM_METADATA_KEY];
  const configText = metadata[CONFIG_METADATA_KEY];
  if (!metaText || !configText) {
    throw new Error(`${path} is not a fine-tuned ultrasam model (no '${DOWNSTREAM_METADATA_KEY}' metadata); make one with 'ultrasam finetune'`);
  }
  const meta = JSON.parse(metaText) as DownstreamMeta;
  const config = JSON.parse(configText) as SamConfig;
  validateConfig(config);
  const values = new Map<string, Float32Array>();
  for (const [key, t] of tensors) {
    if (!(t.data instanceof Float32Array)) throw new Error(`${path}: tensor '${key}' is ${t.dtype}, expected float32`);
    values.set(key, t.data);
  }
  return { meta, config, values };
}
