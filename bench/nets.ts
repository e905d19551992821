// Small networks built with the engine's public API, shared by the engine tests and benchmarks.
import { Graph, type Tensor } from '../src/graph/graph.js';
import * as op from '../src/graph/ops/index.js';
import { type Rng, fanInUniform } from '../src/graph/random.js';
import type { ParamStore } from '../src/graph/trainer.js';

/** Declares a parameter and draws its initial value. */
function param(g: Graph, values: ParamStore, name: string, shape: number[], init: () => Float32Array): Tensor {
  const t = g.param(name, shape);
  values.set(t.name, init());
  return t;
}

export interface VitBlockConfig {
  width: number;
  heads: number;
  tokens: number;
  batch: number;
  mlpRatio?: number;
}

/** A pre-norm transformer block: x + Attn(LN(x)), then x + MLP(LN(x)). */
export function transformerBlock(g: Graph, values: ParamStore, rng: Rng, x: Tensor, c: VitBlockConfig): Tensor {
  const d = c.width;
  const hidden = d * (c.mlpRatio ?? 4);
  const dh = d / c.heads;
  const ones = () => new Float32Array(d).fill(1);
  const zeros = (n: number) => () => new Float32Array(n);
  const ln1w = param(g, values, 'norm1.weight', [d], ones);
  const ln1b = param(g, values, 'norm1.bias', [d], zeros(d));
  const qkvW = param(g, values, 'attn.qkv.weight', [3 * d, d], () => fanInUniform(rng, [3 * d, d], d));
  const qkvB = param(g, values, 'attn.qkv.bias', [3 * d], zeros(3 * d));
  const projW = param(g, values, 'attn.proj.weight', [d, d], () => fanInUniform(rng, [d, d], d));
  const projB = param(g, values, 'attn.proj.bias', [d], zeros(d));
  const ln2w = param(g, values, 'norm2.weight', [d], ones);
  const ln2b = param(g, values, 'norm2.bias', [d], zeros(d));
  const fc1W = param(g, values, 'mlp.fc1.weight', [hidden, d], () => fanInUniform(rng, [hidden, d], d));
  const fc1B = param(g, values, 'mlp.fc1.bias', [hidden], () => fanInUniform(rng, [hidden], d));
  const fc2W = param(g, values, 'mlp.fc2.weight', [d, hidden], () => fanInUniform(rng, [d, hidden], hidden));
  const fc2B = param(g, values, 'mlp.fc2.bias', [d], () => fanInUniform(rng, [d], hidden));

  const [b, t] = [c.batch, c.tokens];
  const h = op.layerNorm(x, ln1w, ln1b);
  const qkv = op.transpose(op.reshape(op.linear(h, qkvW, qkvB), [b, t, 3, c.heads, dh]), [2, 0, 3, 1, 4]);
  const [q, k, v] = op.split(qkv, [1, 1, 1], 0).map((p) => op.reshape(p, [b, c.heads, t, dh]));
  const mixed = op.reshape(op.transpose(op.attention(q, k, v), [0, 2, 1, 3]), [b, t, d]);
  const x1 = op.add(x, op.linear(mixed, projW, projB));
  const h2 = op.layerNorm(x1, ln2w, ln2b);
  return op.add(x1, op.linear(op.gelu(op.linear(h2, fc1W, fc1B)), fc2W, fc2B));
}

/** A stack of transformer blocks on input `x` [batch, tokens, width]; returns the graph pieces. */
export function vitStack(rng: Rng, c: VitBlockConfig & { depth: number }): { g: Graph; values: ParamStore; x: Tensor; y: Tensor } {
  const g = new Graph();
  const values: ParamStore = new Map();
  const x = g.input('x', [c.batch, c.tokens, c.width]);
  let y = x;
  for (let i = 0; i < c.depth; i++) y = g.scope(`blocks.${i}`, () => transformerBlock(g, values, rng, y, c));
  return { g, values, x, y };
}

/** A three-layer fully convolutional net: image [B,1,H,W] → logits [B,1,H,W]. */
export function discNet(rng: Rng, batch: number, size: number): { g: Graph; values: ParamStore; image: Tensor; logits: Tensor } {
  const g = new Graph();
  const values: ParamStore = new Map();
  const image = g.input('image', [batch, 1, size, size]);
  const conv = (name: string, x: Tensor, cin: number, cout: number, k: number) => {
    const w = param(g, values, `${name}.weight`, [cout, cin, k, k], () => fanInUniform(rng, [cout, cin, k, k], cin * k * k));
    const b = param(g, values, `${name}.bias`, [cout], () => fanInUniform(rng, [cout], cin * k * k));
    return op.conv2d(x, w, b, { padding: (k - 1) / 2 });
  };
  const h1 = op.relu(conv('conv1', image, 1, 8, 3));
  const h2 = op.relu(conv('conv2', h1, 8, 8, 3));
  return { g, values, image, logits: conv('head', h2, 8, 1, 1) };
}

/** Mean binary cross-entropy with logits, the numerically stable form. */
export function bceWithLogits(logits: Tensor, target: Tensor): Tensor {
  const softplus = op.log(op.add(op.exp(op.neg(op.abs(logits))), 1));
  return op.reduceMean(op.add(op.sub(op.relu(logits), op.mul(logits, target)), softplus));
}

/** Noisy grey images of one bright disc each, and their masks. */
export function discBatch(rng: Rng, batch: number, size: number): { image: Float32Array; mask: Float32Array } {
  const image = new Float32Array(batch * size * size);
  const mask = new Float32Array(batch * size * size);
  for (let b = 0; b < batch; b++) {
    const r = rng.uniform(size / 8, size / 3);
    const cx = rng.uniform(r, size - r);
    const cy = rng.uniform(r, size - r);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = b * size * size + y * size + x;
        const inside = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 < r * r ? 1 : 0;
        mask[i] = inside;
        image[i] = inside * 0.8 + 0.1 + 0.3 * rng.normal();
      }
    }
  }
  return { image, mask };
}
