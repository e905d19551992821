// A training run: data → (cached embeddings) → batches → (click simulation) → one onnxruntime run
// per step (forward, backward, AdamW) → log, checkpoints, loss curve, final weights.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { appendAdamW } from '../graph/optim.js';
import { Trainer } from '../graph/trainer.js';
import { RUN_FILES, currentWeights, loadTrainingState, saveModelWeights, saveTrainingState } from './checkpoint.js';
import { ClickSimulator } from './clicks.js';
import { writeLossCurve } from './curve.js';
import { EmbeddingCache } from './embedding_cache.js';
import { buildTrainGraph } from './graph.js';
import { BatchLoader } from './loader.js';
import { type LogEntry, RunLog } from './log.js';
import { type RunPlan, checkSameRun, describeModel, planRun } from './plan.js';
import type { RunConfig } from './run_config.js';

export interface StepReport {
  step: number;
  total: number;
  loss: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface TrainOptions {
  /** Continue from the output folder's state (same config and data, checked). */
  resume?: boolean;
  /** Called after every step. */
  onStep?: (report: StepReport) => void;
  /** Called with messages about slow preparation (model compilation, embedding cache). */
  onStage?: (message: string, done?: number, total?: number) => void;
  /** Stop after the current step (writing a checkpoint), e.g. on Ctrl-C. */
  signal?: AbortSignal;
}

export interface TrainResult {
  startStep: number;
  /** Steps done when the run ended (total, or fewer when stopped). */
  endStep: number;
  totalSteps: number;
  /** Mean loss of the last (up to) 10 steps of this session (of the log, when the run was already finished). */
  finalLoss: number;
  /** Images per second over this session's steps after the first (NaN when it did none). */
  imagesPerSecond: number;
  wallSeconds: number;
  dataHash: string;
  files: { state: string; weights: string; log: string; curve: string };
}

export async function train(config: RunConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const began = performance.now();
  mkdirSync(config.out, { recursive: true });
  const files = {
    state: join(config.out, RUN_FILES.state),
    weights: join(config.out, RUN_FILES.weights),
    log: join(config.out, RUN_FILES.log),
    curve: join(config.out, RUN_FILES.curve),
  };
  const plan = planRun(config);
  const { model, values, ultrasam, set, schedule, identity } = plan;
  const total = plan.totalSteps;
  options.onStage?.(describeModel(model));
  const log = new RunLog(files.log);
  // Checked before anything is compiled or computed: a wrong resume fails fast.
  let state: ReturnType<typeof loadTrainingState> | null = null;
  if (options.resume) {
    state = loadTrainingState(config.out);
    checkSameRun(state.meta, identity, config.out);
  } else if (existsSync(files.state)) {
    throw new Error(`${config.out} already holds a run (${RUN_FILES.state}): pass --resume to continue it, or choose another output folder`);
  }
  const start = state?.step ?? 0;
  if (start >= total) {
    // A finished run: nothing to compile or compute; its result is what its log says.
    return { ...finishedResult(log, start, total, performance.now() - began), dataHash: set.hash, files };
  }

  let embeddings: EmbeddingCache | undefined;
  if (config.cacheEmbeddings) {
    options.onStage?.('computing image embeddings', 0, set.images.length);
    embeddings = await EmbeddingCache.open(set, {
      dir: join(config.out, RUN_FILES.embeddings),
      config: model,
      values,
      flips: config.flip,
      threads: config.threads,
      progress: (done, n) => options.onStage?.('computing image embeddings', done, n),
    });
  }

  options.onStage?.('compiling the training step…');
  const { trainer, simulator } = await compile(plan);
  const loader = new BatchLoader(set, {
    seed: config.seed,
    balance: config.balance,
    sizeBalance: config.sizeBalance,
    workers: config.workers,
    prefetch: config.prefetch,
    stepLimit: total,
    embeddings,
    layout: plan.layout,
    sample: plan.sample,
  });

  const checkpoint = async () => {
    saveTrainingState(config.out, trainer, identity, config.batch.images);
    saveModelWeights(
      files.weights,
      model,
      currentWeights(values, trainer),
      ultrasam,
      {
        dataHash: set.hash,
        images: set.images.length,
        instances: set.instances,
        step: trainer.step,
        totalSteps: total,
        run: config,
      },
      config.lonePoint,
    );
    const entries = log.read();
    if (entries.length > 0) await writeLossCurve(files.curve, entries, `${model.name}: loss (${entries.length} steps)`);
  };

  const losses: number[] = [];
  let timedImages = 0;
  let timedMs = 0;
  let step = start;
  try {
    if (state) trainer.restore(state);
    // A resumed run redoes the steps after its checkpoint: their old log lines go.
    log.truncate(start);
    for (; step < total && !options.signal?.aborted; step++) {
      const t0 = performance.now();
      const batch = await loader.batch(step);
      const waited = performance.now() - t0;
      if (simulator) await simulator.simulate(batch, trainer.params());
      const lr = schedule(step);
      const t1 = performance.now();
      const result = await trainer.trainStep(batch.feeds, lr);
      const stepMs = performance.now() - t1;
      if (!Number.isFinite(result.loss)) {
        throw new Error(`training diverged at step ${step}: loss ${result.loss} at lr ${lr} (lower optimizer.lr or set optimizer.clipNorm)`);
      }
      const ms = performance.now() - t0;
      if (step > start) {
        timedImages += config.batch.images;
        timedMs += ms;
      }
      const rate = timedMs > 0 ? (timedImages * 1000) / timedMs : (config.batch.images * 1000) / ms;
      const entry: LogEntry = {
        step,
        loss: result.loss,
        lr,
        grad_norm: result.gradNorm,
        step_ms: Math.round(ms),
        data_wait_ms: Math.round(waited),
        train_ms: Math.round(stepMs),
        images_per_s: Number(rate.toFixed(3)),
      };
      for (const [name, value] of Object.entries(result.metrics)) entry[name] = value[0];
      log.append(entry);
      losses.push(result.loss);
      options.onStep?.({ step: step + 1, total, loss: result.loss, imagesPerSecond: rate, etaSeconds: ((total - step - 1) * config.batch.images) / rate });
      if ((step + 1) % config.checkpointEvery === 0 && step + 1 < total) await checkpoint();
    }
    await checkpoint();
  } finally {
    await loader.close();
    await simulator?.release();
    await trainer.release();
  }
  const tail = losses.slice(-10);
  return {
    startStep: start,
    endStep: step,
    totalSteps: total,
    finalLoss: tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : NaN,
    imagesPerSecond: timedMs > 0 ? (timedImages * 1000) / timedMs : NaN,
    wallSeconds: (performance.now() - began) / 1000,
    dataHash: set.hash,
    files,
  };
}

/** The result of resuming a run that had already done all its steps. */
function finishedResult(log: RunLog, start: number, total: number, wallMs: number): Omit<TrainResult, 'dataHash' | 'files'> {
  const tail = log
    .read()
    .slice(-10)
    .map((e) => e.loss);
  return {
    startStep: start,
    endStep: start,
    totalSteps: total,
    finalLoss: tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : NaN,
    imagesPerSecond: NaN,
    wallSeconds: wallMs / 1000,
  };
}

/** The training step (and the click simulator's forward graphs) on onnxruntime. */
async function compile(plan: RunPlan): Promise<{ trainer: Trainer; simulator: ClickSimulator | null }> {
  const { optimizer, threads } = plan.config;
  const { graph, loss } = buildTrainGraph(plan.graph);
  const spec = appendAdamW(graph, loss, {
    beta1: optimizer.beta1,
    beta2: optimizer.beta2,
    eps: optimizer.eps,
    weightDecay: optimizer.weightDecay,
    clipNorm: optimizer.clipNorm ?? undefined,
  });
  const trainer = await Trainer.create(spec, plan.values, { threads });
  const simulator = plan.layout.iterations > 1 ? await ClickSimulator.create(plan.graph, plan.layout, threads) : null;
  return { trainer, simulator };
}
