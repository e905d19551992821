// Initial weights for training from scratch, as PyTorch would draw them for SAM's modules (SAM sets
// no custom init): nn.Linear / nn.Conv2d / nn.ConvTranspose2d weights and biases uniform in
// ±1/√fan_in, LayerNorm weights 1 and biases 0, nn.Embedding rows N(0, 1), the absolute and
// relative position tables zero (nn.Parameter(torch.zeros(...))), and the random-Fourier table
// N(0, 1) (scale 1).
import { Rng, fanInUniform, normalArray } from '../graph/random.js';
import type { SamConfig } from '../model/config.js';
import { parameterShapes } from '../model/sam.js';

const EMBEDDINGS = /(point_embeddings\.\d+|not_a_point_embed|no_mask_embed|iou_token|mask_tokens)\.weight$/;
const ZERO_TABLES = /(pos_embed|rel_pos_[hw])$/;
const FOURIER = /positional_encoding_gaussian_matrix$/;

/** torch's fan_in: dim 1 times the kernel area (for ConvTranspose2d that is its output channels). */
function fanIn(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, d) => a * d, 1);
}

/** Fresh weights for every parameter of `config`, by canonical key; the same seed gives the same weights. */
export function initSamWeights(config: SamConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const shapes = parameterShapes(config);
  const values = new Map<string, Float32Array>();
  for (const [key, shape] of shapes) {
    const size = shape.reduce((a, d) => a * d, 1);
    if (FOURIER.test(key) || EMBEDDINGS.test(key)) values.set(key, normalArray(rng, size));
    else if (ZERO_TABLES.test(key)) values.set(key, new Float32Array(size));
    else if (key.endsWith('.weight') && shape.length === 1)
      values.set(key, new Float32Array(size).fill(1)); // a norm
    else if (key.endsWith('.weight')) values.set(key, fanInUniform(rng, shape, fanIn(shape)));
    else if (key.endsWith('.bias')) {
      const weight = shapes.get(key.slice(0, -'bias'.length) + 'weight');
      if (!weight) throw new Error(`init: bias '${key}' has no weight beside it`);
      values.set(key, weight.length === 1 ? new Float32Array(size) : fanInUniform(rng, shape, fanIn(weight)));
    } else {
      throw new Error(`init: no rule for parameter '${key}' [${shape.join(',')}]`);
    }
  }
  return values;
}
