// What a run will do, worked out before anything runs: the starting weights and architecture, the
// training images, the length and schedule, and the options of the graph, batches and samples.
import { existsSync } from 'node:fs';
import type { Schedule } from '../graph/schedule.js';
import { type SamConfig, embeddingGrid } from '../model/config.js';
import { inferConfig } from '../model/infer_config.js';
import { CONFIG_METADATA_KEY } from '../model/predictor.js';
import { weightValues } from '../model/sam.js';
import { loadSamWeights } from '../weights/checkpoint.js';
import type { BatchLayout } from './batch.js';
import type { RunIdentity } from './checkpoint.js';
import { type TrainingSet, loadTrainingSet } from './dataset.js';
import type { TrainGraphOptions } from './graph.js';
import { initSamWeights } from './init.js';
import { ULTRASAM_LOSS } from './loss.js';
import { type RunConfig, makeSchedule, resolveModel, totalSteps } from './run_config.js';
import { type SampleOptions, lowResGeometry } from './sample.js';

export interface RunPlan {
  config: RunConfig;
  model: SamConfig;
  /** Starting weights by canonical key. */
  values: Map<string, Float32Array>;
  ultrasam: boolean;
  set: TrainingSet;
  totalSteps: number;
  schedule: Schedule;
  identity: RunIdentity;
  graph: TrainGraphOptions;
  layout: BatchLayout;
  sample: SampleOptions;
}

/** Fields that may change between a run and its resumption without changing what it computes. */
const RESUME_FREE = ['threads', 'workers', 'prefetch', 'checkpointEvery', 'out'];

/** The starting weights and architecture: fresh (seeded) or read from a checkpoint. */
export function startingPoint(config: RunConfig): { model: SamConfig; values: Map<string, Float32Array>; ultrasam: boolean } {
  if (config.init === 'scratch') {
    if (!config.model) throw new Error(`run config: training from scratch needs "model" (e.g. "ultrasam-tiny")`);
    const model = resolveModel(config.model);
    return { model, values: initSamWeights(model, config.seed), ultrasam: config.ultrasam ?? false };
  }
  if (!existsSync(config.init)) throw new Error(`run config: init weights ${config.init} not found`);
  const weights = loadSamWeights(config.init);
  const recorded = weights.metadata.get(CONFIG_METADATA_KEY);
  const model = config.model ? resolveModel(config.model) : typeof recorded === 'string' ? (JSON.parse(recorded) as SamConfig) : inferConfig(weights.tensors);
  return { model, values: weightValues(model, weights.tensors), ultrasam: config.ultrasam ?? weights.layout === 'ultrasam' };
}

export function planRun(config: RunConfig): RunPlan {
  const { model, values, ultrasam } = startingPoint(config);
  const set = loadTrainingSet(config.data, { allowEvaluationOnly: config.allowEvaluationOnly });
  const total = totalSteps(config, set.images.length);
  const { clicks, maskOnlyIterations } = config.prompts;
  const lonePoint = config.lonePoint ?? 'candidates';
  const clickGrid = config.clickGrid ?? 'cells';
  const iterations = 1 + clicks + maskOnlyIterations;
  const interactive = iterations > 1;
  const cached = config.cacheEmbeddings;
  if (cached && model.maskDecoder.fineChans)
    throw new Error(`run config: cacheEmbeddings cannot train ${config.init}'s pixel branch (maskDecoder.fineChans), which reads the pixels; train without it`);
  // Two prompt tokens (a point and the padding point, or the box corners), plus one per corrective click.
  const promptTokens = 2 + clicks;
  // The loss's target side where it is not the low-resolution grid's: the graph and the batches agree on it.
  const targetSide = config.maskTarget === 'input' ? { targetSide: model.imageEncoder.imgSize } : {};
  return {
    config,
    model,
    values,
    ultrasam,
    set,
    totalSteps: total,
    schedule: makeSchedule(config, total),
    identity: { run: config, dataHash: set.hash, totalSteps: total },
    graph: {
      config: model,
      ultrasam,
      images: config.batch.images,
      instancesPerImage: config.batch.instances,
      iterations,
      promptTokens,
      source: cached ? 'cached' : 'full',
      freezeEncoder: cached || config.freezeEncoder,
      maskInput: interactive,
      emptySlots: interactive,
      refine: config.refine,
      ...targetSide,
      loss: {
        ...ULTRASAM_LOSS,
        iouOutputs: config.iouOutputs ?? ULTRASAM_LOSS.iouOutputs,
        alpha: config.focalAlpha ?? ULTRASAM_LOSS.alpha,
        ...(config.clickFocus ? { clickFocus: config.clickFocus } : {}),
      },
    },
    layout: {
      images: config.batch.images,
      instancesPerImage: config.batch.instances,
      iterations,
      promptTokens,
      lowRes: lowResGeometry(model).side,
      imgSize: model.imageEncoder.imgSize,
      ...targetSide,
      clickGrid,
      multimask: config.multimask,
      lonePoint,
      refine: config.refine,
      maskInput: interactive,
    },
    sample: {
      config: model,
      instancesPerImage: config.batch.instances,
      flip: config.flip,
      pixels: !cached,
      boxProbability: config.prompts.boxProbability,
      boxJitter: config.prompts.boxJitter,
      clicks,
      maskOnlyIterations,
      lonePoint,
      maskTarget: config.maskTarget ?? 'binary',
      clickGrid,
      augment: config.augment,
    },
  };
}

/** Throws naming the first setting in which a saved run differs from the one about to resume it. */
export function checkSameRun(saved: Partial<RunIdentity>, now: RunIdentity, out: string): void {
  if (saved.dataHash !== now.dataHash) {
    throw new Error(`--resume: the training images differ from the run in ${out} (data hash ${saved.dataHash?.slice(0, 12)} vs ${now.dataHash.slice(0, 12)})`);
  }
  const before = (saved.run ?? {}) as Record<string, unknown>;
  const after = now.run as Record<string, unknown>;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (RESUME_FREE.includes(key)) continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      throw new Error(`--resume: '${key}' differs from the run in ${out} (${JSON.stringify(before[key])} then, ${JSON.stringify(after[key])} now)`);
    }
  }
}

/** One line naming the model's size, for the command line. */
export function describeModel(model: SamConfig): string {
  const e = model.imageEncoder;
  return `${model.name}: ${e.imgSize} px input, ViT ${e.embedDim}×${e.depth}, ${embeddingGrid(model)}² embedding grid, decoder width ${model.maskDecoder.transformerDim}`;
}
