// The fine-tuning loop shared by classification and segmentation, through the engine's Trainer
// (the AdamW step is part of the graph). Two modes:
//   linear: the encoder is frozen; its embeddings are computed once and only the head trains (fast);
//   full:   image → encoder → head in one graph, every parameter trains.
import { Graph, type Tensor } from '../graph/graph.js';
import { type TrainStep, appendAdamW } from '../graph/optim.js';
import { cosineSchedule } from '../graph/schedule.js';
import { Trainer } from '../graph/trainer.js';
import { hashString, seededRandom, shuffle } from '../data/random.js';
import type { SamConfig } from '../model/config.js';
import { imageEncoder } from '../model/image_encoder.js';
import { type HeadSpec, buildHead, classificationLoss, segmentationLoss } from './heads.js';
import { type RunOptions, embedImages, embeddingShape } from './infer.js';
import { type PreparedImage, fillBatch } from './prepare.js';

export type Mode = 'linear' | 'full';
export const MODES: Mode[] = ['linear', 'full'];

/** Fills the loss inputs (`target`, `weight`) for the training images at `indices` (undefined: an empty slot). */
export type TargetFiller = (indices: readonly (number | undefined)[], target: Float32Array, weight: Float32Array) => void;

export interface FitOptions extends RunOptions {
  config: SamConfig;
  /** Starting values: image_encoder.* and head.* (others are ignored). */
  values: ReadonlyMap<string, Float32Array>;
  spec: HeadSpec;
  mode: Mode;
  images: readonly PreparedImage[];
  fillTargets: TargetFiller;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay?: number;
  seed: number;
  onEpoch?: (report: EpochReport) => void;
}

/** Options every fine-tune takes, whatever the task. */
export interface FinetuneOptions extends RunOptions {
  init: string;
  /** Architecture for `init: 'random'` (default ultrasam-tiny). */
  randomConfig?: SamConfig;
  mode: Mode;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  testFraction?: number;
  /** Folder for the model and report (nothing written when absent). */
  out?: string;
  onEpoch?: (r: EpochReport) => void;
}

/** What every fine-tune reports about its run, whatever the task. */
export interface RunReport {
  init: string;
  mode: Mode;
  seed: number;
  train_images: number;
  test_images: number;
  split_grouped_by: string;
  epochs: EpochReport[];
  seconds_per_epoch: number;
  feature_seconds: number;
  peak_rss_mb: number;
  files: Record<string, string>;
}

/** The run fields of a report, from the options and the fit (files filled in when written). */
export function runReport(o: FinetuneOptions, seed: number, result: FitResult, split: { trainImages: number; testImages: number; groupedBy: string }): RunReport {
  return {
    init: o.init,
    mode: o.mode,
    seed,
    train_images: split.trainImages,
    test_images: split.testImages,
    split_grouped_by: split.groupedBy,
    epochs: result.epochs,
    seconds_per_epoch: result.epochs.reduce((a, e) => a + e.seconds, 0) / result.epochs.length,
    feature_seconds: result.featureSeconds,
    peak_rss_mb: Math.round(result.peakRss / 2 ** 20),
    files: {},
  };
}

export interface EpochReport {
  epoch: number;
  loss: number;
  seconds: number;
}

export interface FitResult {
  /** image_encoder.* and head.* after training (the encoder unchanged in linear mode). */
  values: Map<string, Float32Array>;
  epochs: EpochReport[];
  /** Linear mode: seconds spent computing the frozen features (once). */
  featureSeconds: number;
  /** Largest resident set size seen during the fit (bytes). */
  peakRss: number;
  /** Embeddings of the training images when the encoder was frozen (reusable for evaluation). */
  frozenEmbeddings?: Float32Array[];
}

function buildStep(o: FitOptions, batch: number): { spec: TrainStep; graph: Graph; input: string } {
  const g = new Graph();
  const s = o.config.imageEncoder.imgSize;
  const [c, gh, gw] = embeddingShape(o.config);
  let embedding: Tensor;
  let input: string;
  if (o.mode === 'linear') {
    embedding = g.input('embedding', [batch, c, gh, gw]);
    input = 'embedding';
  } else {
    const image = g.input('image', [batch, 3, s, s]);
    embedding = g.scope('image_encoder', () => imageEncoder(g, image, o.config.imageEncoder));
    input = 'image';
  }
  const logits = buildHead(g, embedding, o.spec, o.config);
  const loss = o.spec.task === 'classify' ? classificationLoss(g, logits) : segmentationLoss(g, logits);
  // Weight decay on matrices and kernels only (not norms or biases), the usual ViT fine-tuning rule.
  const spec = appendAdamW(g, loss, {
    weightDecay: o.weightDecay ?? 0.05,
    decay: (name) => name.endsWith('.weight') && !/norm|neck\.[13]\./.test(name),
    clipNorm: 1,
  });
  return { spec, graph: g, input };
}

export async function fit(o: FitOptions): Promise<FitResult> {
  if (o.images.length === 0) throw new Error('fine-tune: no training images');
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error(`fine-tune: epochs must be a positive integer, got ${o.epochs}`);
  const batch = Math.max(1, Math.min(o.batchSize, o.images.length));
  let peakRss = process.memoryUsage().rss;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

  let frozen: Float32Array[] | undefined;
  let featureSeconds = 0;
  if (o.mode === 'linear') {
    const t0 = performance.now();
    frozen = await embedImages(o.config, o.values as Map<string, Float32Array>, o.images, batch, o);
    featureSeconds = (performance.now() - t0) / 1000;
    sample();
  }
  const { spec, graph, input } = buildStep(o, batch);
  const trainer = await Trainer.create(spec, new Map(o.values), { threads: o.threads });
  const stepsPerEpoch = Math.ceil(o.images.length / batch);
  const schedule = cosineSchedule({ lr: o.lr, totalSteps: stepsPerEpoch * o.epochs, warmupSteps: Math.min(stepsPerEpoch, 20), warmupStart: 0.1 });
  const inputSize = graph.inputs.find((t) => t.name === input)!.size;
  const inputBuffer = new Float32Array(inputSize);
  const targetBuffer = new Float32Array(graph.inputs.find((t) => t.name === 'target')!.size);
  const weightBuffer = new Float32Array(graph.inputs.find((t) => t.name === 'weight')!.size);
  const per = inputSize / batch;
  const epochs: EpochReport[] = [];
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const t0 = performance.now();
      const order = shuffle(
        o.images.map((_, i) => i),
        seededRandom(hashString(`finetune:${o.seed}:${epoch}`)),
      );
      let lossSum = 0;
      for (let start = 0; start < order.length; start += batch) {
        const slots = Array.from({ length: batch }, (_, i) => order[start + i] as number | undefined);
        slots.forEach((idx, i) => {
          if (o.mode === 'full') fillBatch(inputBuffer, i, idx === undefined ? undefined : o.images[idx], o.config);
          else if (idx === undefined) inputBuffer.fill(0, i * per, (i + 1) * per);
          else inputBuffer.set(frozen![idx], i * per);
        });
        o.fillTargets(slots, targetBuffer, weightBuffer);
        const result = await trainer.trainStep({ [input]: inputBuffer, target: targetBuffer, weight: weightBuffer }, schedule(trainer.step));
        if (!Number.isFinite(result.loss)) throw new Error(`fine-tune: the loss became ${result.loss} at epoch ${epoch + 1}; lower --lr`);
        lossSum += result.loss;
        sample();
      }
      const report = { epoch: epoch + 1, loss: lossSum / stepsPerEpoch, seconds: (performance.now() - t0) / 1000 };
      epochs.push(report);
      o.onEpoch?.(report);
    }
    const values = new Map<string, Float32Array>();
    for (const [k, v] of o.values) if (k.startsWith('image_encoder.') || k.startsWith('head.')) values.set(k, v);
    for (const [k, v] of trainer.params()) values.set(k, Float32Array.from(v));
    return { values, epochs, featureSeconds, peakRss, frozenEmbeddings: frozen };
  } finally {
    await trainer.release();
  }
}
