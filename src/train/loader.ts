// Batches by step number: step s takes the images at stream positions s·I … s·I + I − 1 (order.ts)
// and prepares them in worker threads or in-process, a few steps ahead of the one being trained.
// A batch depends only on (seed, step), never on what was prepared before.
import { type Batch, type BatchLayout, assembleBatch } from './batch.js';
import type { TrainingSet } from './dataset.js';
import { DataOrder } from './order.js';
import { type PreparedSample, type SampleOptions, prepareSample } from './sample.js';
import { SamplePool } from './sample_pool.js';
import { sizeWeights } from './size_balance.js';

export interface LoaderOptions {
  seed: number;
  sample: SampleOptions;
  layout: BatchLayout;
  /** Worker threads preparing samples (0: in the main thread). */
  workers: number;
  /** Steps prepared ahead of the current one. */
  prefetch: number;
  /** No batch is prepared ahead for steps at or past this one (the run's length). */
  stepLimit?: number;
  /** Sampling over datasets (DataOrder's balance; 1: as the data comes). */
  balance?: number;
  /** Sampling over instance size within each dataset (size_balance.ts's exponent; 0 or absent: uniform). */
  sizeBalance?: number;
  /** Cached image embeddings: the batch gets `embedding` [I, C, h, w] instead of `image`. */
  embeddings?: { size: number; get(index: number, flipped: boolean): Float32Array };
}

export interface LoadedBatch extends Batch {
  step: number;
  /** Index in the training set of each image of the step, and whether it was flipped. */
  imageIndices: number[];
  flipped: boolean[];
}

export class BatchLoader {
  readonly order: DataOrder;
  private readonly pool: SamplePool | null;
  private readonly ahead = new Map<number, Promise<LoadedBatch>>();

  constructor(
    private readonly set: TrainingSet,
    private readonly options: LoaderOptions,
  ) {
    this.order = new DataOrder(
      set.images.length,
      options.seed,
      set.images.map((im) => im.dataset),
      options.balance ?? 1,
      options.sizeBalance ? sizeWeights(set.images, options.sizeBalance) : undefined,
    );
    this.pool = options.workers > 0 ? new SamplePool(options.workers) : null;
  }

  /** The batch of `step`; also starts preparing the next `prefetch` steps. */
  batch(step: number): Promise<LoadedBatch> {
    for (const s of this.ahead.keys()) if (s < step) this.ahead.delete(s);
    const wanted = this.schedule(step);
    const last = Math.min(step + this.options.prefetch, (this.options.stepLimit ?? Infinity) - 1);
    for (let s = step + 1; s <= last; s++) this.schedule(s);
    this.ahead.delete(step);
    return wanted;
  }

  private schedule(step: number): Promise<LoadedBatch> {
    let p = this.ahead.get(step);
    if (!p) {
      p = this.build(step);
      // A prefetched batch may fail before anyone awaits it; the awaiter still sees the error.
      p.catch(() => {});
      this.ahead.set(step, p);
    }
    return p;
  }

  private async build(step: number): Promise<LoadedBatch> {
    const { images } = this.options.layout;
    const positions = Array.from({ length: images }, (_, i) => step * images + i);
    const imageIndices = positions.map((p) => this.order.imageAt(p));
    const samples: PreparedSample[] = await Promise.all(
      positions.map((p, i) => {
        const item = this.set.images[imageIndices[i]];
        const seed = this.order.sampleSeed(p);
        return this.pool ? this.pool.prepare(item, seed, this.options.sample) : prepareSample(item, seed, this.options.sample);
      }),
    );
    const batch = assembleBatch(samples, this.options.layout);
    const cache = this.options.embeddings;
    if (cache) {
      const embedding = new Float32Array(images * cache.size);
      samples.forEach((sample, i) => embedding.set(cache.get(imageIndices[i], sample.flipped), i * cache.size));
      batch.feeds.embedding = embedding;
    }
    return { ...batch, step, imageIndices, flipped: samples.map((s) => s.flipped) };
  }

  async close(): Promise<void> {
    this.ahead.clear();
    await this.pool?.close();
  }
}
