// Random weights for the benchmarks: speed does not depend on the values, only on the architecture.
// Norm scales are 1 so that activations keep their scale through the blocks.
import { Rng, normalArray } from '../src/graph/random.js';
import type { SamConfig } from '../src/model/config.js';
import { parameterShapes } from '../src/model/sam.js';

export function randomValues(config: SamConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const values = new Map<string, Float32Array>();
  for (const [key, shape] of parameterShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNormWeight = /norm.*\.weight$|neck\.[13]\.weight$/.test(key);
    values.set(key, isNormWeight ? new Float32Array(n).fill(1) : normalArray(rng, n, 0.02));
  }
  return values;
}
