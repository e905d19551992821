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
  /** Image indices of each dataset, and each dataset's images per epoch. */
  private readonly groups: number[][];
  private readonly quotas: number[];

  /**
   * `datasets[i]` names image i's dataset; with `balance` b < 1 each epoch takes n_d^b / Σ n^b of
   * its images from dataset d (drawn without replacement, cycling through a fresh shuffle when the
   * quota exceeds the dataset), so small datasets are seen more often and large ones less. With
   * per-image `weights` the quota is drawn in proportion to them instead, image i about
   * quota · weights[i] / Σ weights times (size_balance.ts: images of small instances more often).
   */
  constructor(
    readonly size: number,
    readonly seed: number,
    datasets?: readonly string[],
    readonly balance = 1,
    private readonly weights?: readonly number[],
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`data order: the training set must hold at least one image, got ${size}`);
    if (!(balance >= 0 && balance <= 1)) throw new Error(`data order: balance must be in [0, 1], got ${balance}`);
    if (datasets && datasets.length !== size) throw new Error(`data order: ${datasets.length} dataset names for ${size} images`);
    if (weights && (weights.length !== size || weights.some((w) => !(w > 0 && Number.isFinite(w))))) {
      throw new Error(`data order: the image weights must be ${size} positive numbers`);
    }
    const byName = new Map<string, number[]>();
    (datasets ?? Array.from({ length: size }, () => '')).forEach((name, i) => (byName.get(name) ?? byName.set(name, []).get(name)!).push(i));
    this.groups = [...byName.values()];
    const sizes = this.groups.map((g) => g.length);
    const balanced = balance < 1 && this.groups.length >= 2;
    // Weighted draws need a quota per dataset even where the datasets keep their own sizes.
    this.quotas = balanced ? quotas(sizes, size, balance) : weights ? sizes : [];
  }

  /** Epoch e's order of the image indices. */
  permutation(epoch: number): Uint32Array {
    if (epoch !== this.cachedEpoch) {
      const rng = new Rng(mixSeed(this.seed, 0x0e90c4, epoch));
      let order: number[];
      if (this.quotas.length === 0) {
        order = Array.from({ length: this.size }, (_, i) => i);
      } else {
        order = [];
        this.groups.forEach((group, d) => {
          const pick = new Rng(mixSeed(this.seed, 0xba1a7c, epoch, d));
          if (this.weights) {
            // Stochastic universal sampling over a shuffle: each image is drawn ⌊expected⌋ or ⌈expected⌉ times.
            const weights = pick.shuffle([...group]).map((i) => ({ i, w: this.weights![i] }));
            const total = weights.reduce((a, { w }) => a + w, 0);
            const n = this.quotas[d];
            const start = pick.next();
            // The draws' positions rise, so one sweep along the running sum finds them all.
            let j = 0;
            let upTo = weights[0].w;
            for (let k = 0; k < n; k++) {
              const target = ((start + k) / n) * total;
              while (upTo <= target && j < weights.length - 1) upTo += weights[++j].w;
              order.push(weights[j].i);
            }
            return;
          }
          let pool: number[] = [];
          for (let k = 0; k < this.quotas[d]; k++) {
            if (pool.length === 0) pool = pick.shuffle([...group]);
            order.push(pool.pop()!);
          }
        });
      }
      rng.shuffle(order);
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

/** Images per epoch for each group: total · n^b / Σ n^b, rounded by largest remainder (sums to total). */
export function quotas(sizes: readonly number[], total: number, balance: number): number[] {
  const weights = sizes.map((n) => Math.pow(n, balance));
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  const left = total - out.reduce((a, b) => a + b, 0);
  exact
    .map((e, i) => ({ i, r: e - Math.floor(e) }))
    .sort((a, b) => b.r - a.r || a.i - b.i)
    .slice(0, left)
    .forEach(({ i }) => out[i]++);
  return out;
}
