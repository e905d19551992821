// The run configuration of `ultrasam train`: what a run.json holds, its defaults (the UltraSam
// recipe where it has one), and validation that names the field at fault.
import os from 'node:os';
import { type Schedule, constantSchedule, cosineSchedule, multiStepSchedule } from '../graph/schedule.js';
import { type SamConfig, type SamPreset, samConfig, ultrasamTinyConfig, validateConfig } from '../model/config.js';
import type { LonePointOutput } from '../eval/click_rule.js';
import type { ClickGrid, MaskTarget } from './sample.js';
import type { MultimaskMode } from './batch.js';
import { type AugmentOptions, NO_AUGMENTATION } from './augment.js';
import type { DataSource } from './dataset.js';
import type { ClickFocus } from './loss.js';

export type ScheduleConfig =
  | { type: 'multistep'; warmupSteps?: number; warmupStart?: number; milestones?: number[]; gamma?: number }
  | { type: 'cosine'; warmupSteps?: number; warmupStart?: number; minLr?: number }
  | { type: 'constant'; warmupSteps?: number; warmupStart?: number };

export interface RunConfig {
  /** COCO files with their image folders (e.g. the train splits of several datasets). */
  data: DataSource[];
  /**
   * Train on evaluation-only datasets (the registry's `evaluationOnly` ones, kept for measuring
   * generalisation) when the data holds them; absent or false: refused. Not in DEFAULTS, so runs
   * saved before the field existed resume unchanged.
   */
  allowEvaluationOnly?: boolean;
  /** 'ultrasam-tiny', a SAM preset ('vit_b', 'vit_l', 'vit_h'), or a full model config; default: the init weights' own. */
  model?: string | SamConfig;
  /** 'scratch', or weights to start from: our .safetensors or a SAM / MedSAM / UltraSam .pth. */
  init: string;
  /** UltraSam's decoder math; default: whatever the init weights say (false from scratch). */
  ultrasam?: boolean;
  /** Output folder: state, weights, log, loss curve, embedding cache. */
  out: string;
  /** Training length in steps, or in epochs (passes over the images) when steps is absent. */
  steps?: number;
  epochs?: number;
  /** Images per step and instance slots per image. */
  batch: { images: number; instances: number };
  optimizer: { lr: number; weightDecay: number; beta1: number; beta2: number; eps: number; clipNorm: number | null };
  schedule: ScheduleConfig;
  /**
   * Prompt simulation: the first prompt is a box with probability boxProbability (corners jittered by
   * boxJitter), else a point; then `clicks` iterations with a corrective click each and
   * `maskOnlyIterations` with the previous mask alone, in random order, each with its loss.
   */
  prompts: { boxProbability: number; boxJitter: number; clicks: number; maskOnlyIterations: number };
  augment: AugmentOptions;
  /**
   * Sampling over datasets: each epoch takes n_d^balance / Σ n^balance of its images from dataset d
   * (1: as the data comes; 0: every dataset equally; ½ between).
   */
  balance: number;
  /**
   * Sampling over instance size within each dataset (size_balance.ts): images drawn in proportion to
   * (the dataset's median smallest-instance share / the image's)^sizeBalance, clamped to [¼, 4].
   * Absent: 0 (uniform); not in DEFAULTS, so runs saved before the field existed resume unchanged.
   */
  sizeBalance?: number;
  multimask: MultimaskMode;
  /**
   * Whose predicted IoU the loss supervises (see loss.ts): 'best' (UltraSam's, the default) or
   * 'candidates'. Not in DEFAULTS, so runs saved before the field existed resume unchanged.
   */
  iouOutputs?: 'best' | 'candidates';
  /**
   * What a lone point is decoded into, as the weights will record it (click_rule.ts): with 'single'
   * the click simulation keeps the single-mask output after a lone first point (eval's and the app's
   * path), and half of the lone first points are supervised through it (the other half through the
   * candidates, which segment-everything and the app's choice still use). Absent: 'candidates'
   * (SAM's); not in DEFAULTS, so runs saved before the field existed resume unchanged.
   */
  lonePoint?: LonePointOutput;
  /**
   * The loss's target on the low-resolution grid (sample.ts): 'binary' (each cell 1 where the mask
   * covers at least half of it, the reference's kind of target) or 'coverage' (the share of the cell
   * the mask covers, so that focal and dice see where a boundary crosses a cell; the IoU targets and
   * the simulated clicks keep the binary cells), or on the input frame: 'input' (the mask at the
   * model's input resolution against the logits upsampled to it as postprocessing does — SAM's own
   * loss — for focal, dice and the IoU targets; the clicks keep the binary cells). Absent: 'binary';
   * not in DEFAULTS, so runs saved before the field existed resume unchanged.
   */
  maskTarget?: MaskTarget;
  /**
   * Where the click simulation finds its corrective clicks (clicks.ts): 'cells' (the error regions of
   * the low-resolution grid: the binary cells against the logits' signs) or 'input' (the error
   * regions at the model's input resolution: the mask against the logits upsampled as postprocessing
   * upsamples them — where evaluation and a user find them, so that late clicks in thin regions
   * along a boundary are trained too). Absent: 'cells'; not in DEFAULTS, so runs saved before the
   * field existed resume unchanged.
   */
  clickGrid?: ClickGrid;
  /**
   * The focal loss's α, the weight of the foreground cells (the background's is 1 − α). Absent: 0.25
   * (the reference's), which pulls the decision boundary inwards: masks come out too small. Not in
   * DEFAULTS, so runs saved before the field existed resume unchanged.
   */
  focalAlpha?: number;
  /**
   * Extra focal weight on the cells around the prompt's clicks (loss.ts ClickFocus: 1 + weight ·
   * Σ exp(−d² / 2 radius²), radius in input pixels). Absent: none; not in DEFAULTS, so runs saved
   * before the field existed resume unchanged.
   */
  clickFocus?: ClickFocus;
  /** A second decoder pass with the first pass's logits as the mask prompt. */
  refine: boolean;
  freezeEncoder: boolean;
  /** Train only the prompt encoder and decoder, on embeddings computed once (implies freezeEncoder). */
  cacheEmbeddings: boolean;
  flip: boolean;
  seed: number;
  /** onnxruntime threads; exact reproduction (e.g. after --resume) needs the same count. */
  threads: number;
  /** Worker threads preparing samples (0: in the main thread). */
  workers: number;
  prefetch: number;
  checkpointEvery: number;
}

export const DEFAULTS: Omit<RunConfig, 'data' | 'init' | 'out'> = {
  batch: { images: 4, instances: 2 },
  // The reference: AdamW lr 1e-4, weight decay 1e-4, gradient norm clipped at 0.1.
  optimizer: { lr: 1e-4, weightDecay: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: 0.1 },
  schedule: { type: 'multistep' },
  prompts: { boxProbability: 0.5, boxJitter: 0.05, clicks: 0, maskOnlyIterations: 0 },
  augment: NO_AUGMENTATION,
  balance: 1,
  multimask: 'auto',
  refine: false,
  freezeEncoder: false,
  cacheEmbeddings: false,
  flip: true,
  seed: 0,
  threads: os.cpus().length,
  workers: 1,
  prefetch: 2,
  checkpointEvery: 500,
};

type Json = Record<string, unknown>;

/** defaults ← file ← flags, nested objects merged key by key. */
export function mergeConfig(...layers: Json[]): Json {
  const out: Json = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const base = out[key];
      const nested = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
      out[key] = nested(value) && nested(base) && key !== 'model' ? mergeConfig(base as Json, value as Json) : value;
    }
  }
  return out;
}

/** Checks every field; throws naming the first wrong one and its value. */
export function validateRunConfig(raw: Json): RunConfig {
  const bad = (field: string, want: string): never => {
    throw new Error(`run config: ${field} must be ${want}, got ${JSON.stringify(pick(raw, field)) ?? 'nothing'}`);
  };
  const int = (field: string, min: number) => {
    const v = pick(raw, field);
    if (!Number.isInteger(v) || (v as number) < min) bad(field, `an integer ≥ ${min}`);
  };
  const num = (field: string, min: number, max = Infinity) => {
    const v = pick(raw, field);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) bad(field, `a number in [${min}, ${max}]`);
  };
  const bool = (field: string) => typeof pick(raw, field) !== 'boolean' && bad(field, 'true or false');

  const data = raw.data;
  if (!Array.isArray(data) || data.length === 0) bad('data', 'a non-empty list of {"coco": FILE, "images": DIR}');
  (data as unknown[]).forEach((d, i) => {
    const s = d as Json;
    if (!s || typeof s.coco !== 'string' || (s.images !== undefined && typeof s.images !== 'string')) bad(`data`, `a list of {"coco": FILE, "images": DIR} (entry ${i})`);
  });
  if (typeof raw.init !== 'string' || raw.init === '') bad('init', `'scratch' or a weights file`);
  if (typeof raw.out !== 'string' || raw.out === '') bad('out', 'an output folder');
  if (raw.steps === undefined && raw.epochs === undefined) bad('steps', 'given (or epochs)');
  if (raw.steps !== undefined) int('steps', 1);
  if (raw.epochs !== undefined) num('epochs', 1e-9);
  int('batch.images', 1);
  int('batch.instances', 1);
  num('optimizer.lr', 0);
  num('optimizer.weightDecay', 0);
  num('optimizer.beta1', 0, 0.999999);
  num('optimizer.beta2', 0, 0.999999);
  num('optimizer.eps', 0);
  if (pick(raw, 'optimizer.clipNorm') !== null) num('optimizer.clipNorm', 1e-12);
  const schedule = raw.schedule as Json;
  if (!['multistep', 'cosine', 'constant'].includes(schedule?.type as string)) bad('schedule.type', `'multistep', 'cosine' or 'constant'`);
  if (schedule.warmupSteps !== undefined) int('schedule.warmupSteps', 0);
  if (schedule.milestones !== undefined && (!Array.isArray(schedule.milestones) || schedule.milestones.some((m) => !Number.isInteger(m) || m < 0))) {
    bad('schedule.milestones', 'a list of step numbers');
  }
  num('prompts.boxProbability', 0, 1);
  num('prompts.boxJitter', 0, 1);
  int('prompts.clicks', 0);
  int('prompts.maskOnlyIterations', 0);
  num('augment.crop', 0, 1);
  num('augment.cropMinScale', 0.05, 1);
  num('augment.rotateDegrees', 0, 90);
  num('augment.intensity', 0, 1);
  num('augment.synthetic', 0, 1);
  num('balance', 0, 1);
  if (raw.sizeBalance !== undefined) num('sizeBalance', 0, 1);
  const augments = raw.augment as Json;
  if (raw.cacheEmbeddings === true && (Number(augments.crop) > 0 || Number(augments.rotateDegrees) > 0 || Number(augments.intensity) > 0 || Number(augments.synthetic) > 0)) {
    bad('augment', 'all zero with cacheEmbeddings (augmentations change the pixels; only flips are cached)');
  }
  if (!['auto', 'always', 'never'].includes(raw.multimask as string)) bad('multimask', `'auto', 'always' or 'never'`);
  if (raw.iouOutputs !== undefined && !['best', 'candidates'].includes(raw.iouOutputs as string)) bad('iouOutputs', `'best' or 'candidates'`);
  if (raw.lonePoint !== undefined && !['candidates', 'single'].includes(raw.lonePoint as string)) bad('lonePoint', `'candidates' or 'single'`);
  if (raw.maskTarget !== undefined && !['binary', 'coverage', 'input'].includes(raw.maskTarget as string)) bad('maskTarget', `'binary', 'coverage' or 'input'`);
  if (raw.clickGrid !== undefined && !['cells', 'input'].includes(raw.clickGrid as string)) bad('clickGrid', `'cells' or 'input'`);
  if (raw.focalAlpha !== undefined) num('focalAlpha', 0, 1);
  if (raw.clickFocus !== undefined) {
    if (typeof raw.clickFocus !== 'object' || raw.clickFocus === null) bad('clickFocus', 'an object { weight, radius }');
    num('clickFocus.weight', 0);
    const radius = pick(raw, 'clickFocus.radius');
    if (typeof radius !== 'number' || !Number.isFinite(radius) || radius <= 0) bad('clickFocus.radius', 'a number > 0 (input pixels)');
    if (pick(raw, 'clickFocus.corrective') !== undefined) bool('clickFocus.corrective');
  }
  if (raw.lonePoint === 'single' && raw.multimask !== 'auto') bad('multimask', `'auto' with lonePoint 'single' (only SAM's rule tells lone points apart)`);
  for (const f of ['refine', 'freezeEncoder', 'cacheEmbeddings', 'flip']) bool(f);
  if (raw.ultrasam !== undefined) bool('ultrasam');
  if (raw.allowEvaluationOnly !== undefined) bool('allowEvaluationOnly');
  int('seed', 0);
  int('threads', 1);
  int('workers', 0);
  int('prefetch', 0);
  int('checkpointEvery', 1);
  return raw as unknown as RunConfig;
}

function pick(raw: Json, field: string): unknown {
  return field.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Json)[k] : undefined), raw);
}

const PRESETS = ['vit_b', 'vit_l', 'vit_h'];

/** The model config a run names: a preset name or a full config (checked). */
export function resolveModel(model: string | SamConfig): SamConfig {
  if (typeof model === 'string') {
    if (model === 'ultrasam-tiny') return ultrasamTinyConfig();
    if (PRESETS.includes(model)) return samConfig(model as SamPreset);
    throw new Error(`run config: model '${model}' is not 'ultrasam-tiny', ${PRESETS.join(', ')} or a model config object`);
  }
  validateConfig(model);
  return model;
}

/** Steps of the run: `steps`, or epochs × images / images per step, rounded up. */
export function totalSteps(config: RunConfig, images: number): number {
  return config.steps ?? Math.ceil((config.epochs! * images) / config.batch.images);
}

/**
 * The learning-rate schedule. Defaults scale the reference's (30 000 steps: linear warm-up from
 * 0.001 × lr over 500 steps, ×0.1 at steps 20 000 and 28 888) to the run's length: warm-up over
 * min(500, 5 % of the steps), milestones at 2/3 and 96.3 % of the steps.
 */
export function makeSchedule(config: RunConfig, total: number): Schedule {
  const s = config.schedule;
  const base = {
    lr: config.optimizer.lr,
    warmupSteps: s.warmupSteps ?? Math.min(500, Math.floor(total / 20)),
    warmupStart: s.warmupStart ?? 0.001,
  };
  switch (s.type) {
    case 'multistep':
      return multiStepSchedule({ ...base, milestones: s.milestones ?? [Math.round((total * 2) / 3), Math.round(total * 0.963)], gamma: s.gamma ?? 0.1 });
    case 'cosine':
      return cosineSchedule({ ...base, totalSteps: total, minLr: s.minLr ?? 0 });
    case 'constant':
      return constantSchedule(base);
  }
}
