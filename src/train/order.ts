// The data order as a pure function of (seed, position): position p of the endless stream of images
// is index p mod n of epoch ⌊p / n⌋'s permutation, and epoch e's permutation is a shuffle seeded
// from (seed, e). Every random choice made for the image at p (flip, instances, prompts) draws from
// a generator seeded from (seed, p). Nothing is carried from step to step, so a run resumed at step
// s sees exactly the data it would have seen, and workers may prepare samples in any order.
import { Rng } from '../graph/random.js';

/** A 32-bit hash of integers (murmur3's finaliser over a running mix): derives independent seeds. */
export function mixSeed(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    // Positions can pass 2³²: fold the high part in as a value of its own.
    const high = Math.floor(v / 4294967296);
    for (const part of high ? [v >>> 0, high >>> 0] : [v >>> 0]) {
      h = Math.imul(h ^ part, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

export class DataOrder {
  private cachedEpoch = -1;
  private cached: Uint32Array = new Uint32Array(0);

  constructor(
    readonly size: number,
    readonly seed: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`data order: the training set must hold at least one image, got ${size}`);
  }

  /** Epoch e's order of the image indices. */
  permutation(epoch: number): Uint32Array {
    if (epoch !== this.cachedEpoch) {
      const order = Array.from({ length: this.size }, (_, i) => i);
      new Rng(mixSeed(this.seed, 0x0e90c4, epoch)).shuffle(order);
      this.cached = Uint32Array.from(order);
      this.cachedEpoch = epoch;
    }
    return this.cached;
  }

  /** The image index at stream position p. */
  imageAt(position: number): number {
    return this.permutation(Math.floor(position / this.size))[position % this.size];
  }

  /** Seed of the random choices made for the sample at stream position p. */
  sampleSeed(position: number): number {
    return mixSeed(this.seed, 0x5a3b1e, position);
  }
}
