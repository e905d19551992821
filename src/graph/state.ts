// Training state on disk: parameters and Adam moments in one safetensors file, with JSON metadata
// (step, schedule, anything the caller adds) in its __metadata__ block.
import { readSafetensorsFile, writeSafetensorsFile } from '../weights/safetensors.js';
import type { StateDict } from '../weights/types.js';
import type { ParamStore } from './trainer.js';

export interface TrainingState {
  params: ParamStore;
  m: ParamStore;
  v: ParamStore;
  step: number;
  /** Caller's metadata (config, data order seed, ...), JSON-serialisable. */
  meta: Record<string, unknown>;
}

const M = 'adam.m.';
const V = 'adam.v.';

/** Writes atomically (temporary file, then rename): a kill never leaves a half-written state. */
export function saveState(path: string, state: TrainingState): void {
  const tensors: StateDict = new Map();
  const put = (prefix: string, store: ParamStore) => {
    for (const [name, data] of store) tensors.set(prefix + name, { dtype: 'float32', shape: [data.length], data });
  };
  put('', state.params);
  put(M, state.m);
  put(V, state.v);
  writeSafetensorsFile(path, tensors, {
    metadata: { format: 'ultrasam-training-state', step: String(state.step), meta: JSON.stringify(state.meta) },
  });
}

export function loadState(path: string): TrainingState {
  const { tensors, metadata } = readSafetensorsFile(path);
  if (metadata.format !== 'ultrasam-training-state') {
    throw new Error(`${path}: not an ultrasam training state (metadata format '${metadata.format ?? 'absent'}')`);
  }
  const params: ParamStore = new Map();
  const m: ParamStore = new Map();
  const v: ParamStore = new Map();
  for (const [name, t] of tensors) {
    if (!(t.data instanceof Float32Array)) throw new Error(`${path}: tensor '${name}' is ${t.dtype}, expected float32`);
    if (name.startsWith(M)) m.set(name.slice(M.length), t.data);
    else if (name.startsWith(V)) v.set(name.slice(V.length), t.data);
    else params.set(name, t.data);
  }
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) throw new Error(`${path}: bad step '${metadata.step}' in metadata`);
  return { params, m, v, step, meta: JSON.parse(metadata.meta ?? '{}') as Record<string, unknown> };
}
