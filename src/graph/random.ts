// Seeded random numbers and the parameter initialisers PyTorch uses, so that runs repeat exactly.

/** A small, fast, seedable generator (mulberry32) returning floats in [0, 1). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
  /** A derived generator, so that sub-tasks draw independent streams. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

export function uniformArray(rng: Rng, size: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

export function normalArray(rng: Rng, size: number, std = 1, mean = 0): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = mean + std * rng.normal();
  return a;
}

/** Normal values redrawn until within ±2 std (timm's trunc_normal_ with its default bounds). */
export function truncatedNormalArray(rng: Rng, size: number, std: number): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let v: number;
    do v = rng.normal();
    while (Math.abs(v) > 2);
    a[i] = v * std;
  }
  return a;
}

/**
 * PyTorch's default init of nn.Linear / nn.Conv2d weights (kaiming_uniform with a = √5), which
 * comes down to U(−1/√fan_in, 1/√fan_in); their biases use the same bound.
 */
export function fanInUniform(rng: Rng, shape: readonly number[], fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  return uniformArray(
    rng,
    shape.reduce((a, b) => a * b, 1),
    -bound,
    bound,
  );
}
