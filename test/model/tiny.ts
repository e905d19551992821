// A tiny SAM for quick tests: 64-pixel input (a 4×4 grid), windows of 3 (so windows are padded),
// and tables trained at 96 pixels (so the position tables are interpolated in the graph).
import { Rng, normalArray } from '../../src/graph/random.js';
import { type SamConfig, samConfig } from '../../src/model/config.js';
import { parameterShapes } from '../../src/model/sam.js';

export function tinyConfig(): SamConfig {
  return samConfig('vit_b', {
    name: 'tiny',
    imageEncoder: { imgSize: 64, pretrainImgSize: 96, embedDim: 16, depth: 2, numHeads: 2, globalAttnIndexes: [1], windowSize: 3, outChans: 16 },
    promptEncoder: { maskInChans: 4 },
    maskDecoder: { transformerDim: 16, numHeads: 2, mlpDim: 32, iouHeadHiddenDim: 16 },
  });
}

/** Random values N(0, std²) for every parameter of the config. */
export function randomWeights(config: SamConfig, seed = 7, std = 0.3): Map<string, { shape: number[]; data: Float32Array }> {
  const rng = new Rng(seed);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [key, shape] of parameterShapes(config)) {
    out.set(key, {
      shape,
      data: normalArray(
        rng,
        shape.reduce((a, b) => a * b, 1),
        std,
      ),
    });
  }
  return out;
}
