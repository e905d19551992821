// One entry point for model weights: a PyTorch .pth (any supported layout) or our safetensors, read
// and renamed to SAM's canonical keys; and the converter's writer, which records the layout so that
// UltraSam's decoder math survives the conversion.
import { closeSync, openSync, readSync } from 'node:fs';
import { toSamKeys, type CheckpointLayout, type SamWeights } from './layouts.js';
import { NUMPY_GLOBALS } from './npy.js';
import { CheckpointError, readPth, type ReadPthOptions } from './pth.js';
import { readSafetensorsFile, writeSafetensorsFile, type WriteSafetensorsOptions } from './safetensors.js';
import type { StateDict } from './types.js';

/** safetensors metadata key holding the layout the weights came from. */
export const LAYOUT_METADATA_KEY = 'ultrasam.layout';

export interface LoadedSamWeights extends SamWeights {
  format: 'pth' | 'safetensors';
  /** Non-tensor content: pth metadata leaves, or safetensors __metadata__. */
  metadata: Map<string, unknown>;
}

/** Tells the formats apart by their first bytes: zip or pickle → pth; a length then '{' → safetensors. */
function sniff(path: string): 'pth' | 'safetensors' {
  let head: Uint8Array;
  try {
    const fd = openSync(path, 'r');
    try {
      head = new Uint8Array(9);
      head = head.subarray(0, readSync(fd, head, 0, 9, 0));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new CheckpointError('not-a-checkpoint', path, `cannot open: ${(error as Error).message}`);
  }
  // A length then '{' is safetensors; a length past the file is the safetensors reader's to report, by name.
  // Asked first: a header length whose low byte is 0x80 starts like a pickle (torch.save's legacy
  // stream has its magic number's 0xf9 at byte 8, a zip 'PK' has no '{' there).
  if (head.length === 9 && head[8] === 0x7b) return 'safetensors';
  if (head.length >= 2 && ((head[0] === 0x50 && head[1] === 0x4b) || head[0] === 0x80)) return 'pth';
  throw new CheckpointError('not-a-checkpoint', path, 'neither a PyTorch checkpoint (.pth) nor a safetensors file');
}

/** Largest finite float32: a float64 weight beyond it becomes Infinity when the model takes it. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Refuses weights holding NaN or ±Infinity (or float64 values past float32's range), naming the
 * tensor as the file names it: they load, then every mask is garbage (eval scored Dice 0 with exit
 * code 0; segment died on an undefined score). Only the tensors the model will take are checked.
 */
function checkFinite(path: string, tensors: StateDict, ignored: readonly string[]): void {
  const skip = new Set(ignored);
  for (const [key, tensor] of tensors) {
    const { data } = tensor;
    if (skip.has(key) || !(data instanceof Float32Array || data instanceof Float64Array)) continue;
    let bad = 0;
    let first = -1;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!(Math.abs(v) <= FLOAT32_MAX)) {
        if (bad++ === 0) first = i;
      }
    }
    if (bad > 0) {
      throw new CheckpointError(
        'bad-tensor',
        path,
        `tensor ${key} holds ${bad.toLocaleString('en-US')} non-finite value(s) of ${data.length.toLocaleString('en-US')} (the first, ${data[first]}, at element ${first}): the weights are damaged, e.g. saved from a run that diverged`,
      );
    }
  }
}

/**
 * What a training checkpoint may hold beside the weights, read as inert data: UltraSam is trained with
 * mmengine, whose checkpoints keep the logged scalars as HistoryBuffer objects (numpy arrays inside)
 * in `message_hub` and numpy values in `meta`. Nothing of it is constructed or run.
 */
export const TRAINING_CHECKPOINT_OPTIONS: ReadPthOptions = {
  extraGlobals: NUMPY_GLOBALS,
  opaqueGlobals: ['mmengine.logging.history_buffer.HistoryBuffer'],
};

/** Reads SAM / MedSAM / UltraSam weights from .pth or .safetensors, renamed to SAM's keys; refuses non-finite values. */
export function loadSamWeights(path: string, options: ReadPthOptions = TRAINING_CHECKPOINT_OPTIONS): LoadedSamWeights {
  if (sniff(path) === 'pth') {
    const checkpoint = readPth(path, options);
    const mapped = toSamKeys(checkpoint.tensors);
    checkFinite(path, checkpoint.tensors, mapped.ignored);
    return { ...mapped, format: 'pth', metadata: checkpoint.metadata };
  }
  const file = readSafetensorsFile(path);
  const mapped = toSamKeys(file.tensors);
  checkFinite(path, file.tensors, mapped.ignored);
  const recorded = file.metadata[LAYOUT_METADATA_KEY];
  if (recorded !== undefined) {
    if (recorded !== 'sam' && recorded !== 'medsam' && recorded !== 'ultrasam') {
      throw new Error(`${path}: metadata ${LAYOUT_METADATA_KEY} has unknown value '${recorded}'`);
    }
    // Already canonical keys: the recorded layout says which decoder math the weights were trained with.
    if (mapped.layout !== 'ultrasam') mapped.layout = recorded as CheckpointLayout;
  }
  return { ...mapped, format: 'safetensors', metadata: new Map(Object.entries(file.metadata)) };
}

/** Writes canonical SAM weights as safetensors, recording their layout. */
export function saveSamWeights(path: string, weights: Pick<SamWeights, 'layout' | 'tensors'>, options: WriteSafetensorsOptions = {}): void {
  writeSafetensorsFile(path, weights.tensors, {
    ...options,
    metadata: { ...options.metadata, [LAYOUT_METADATA_KEY]: weights.layout },
  });
}
