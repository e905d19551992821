// Layers shared by the SAM components, each declaring its parameters under PyTorch's module names
// (relative to the current graph scope) so that checkpoints bind by key.
import type { Graph, Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';

/** nn.Linear: `name.weight` [out, in], `name.bias` [out]. */
export function linear(g: Graph, name: string, x: Tensor, inDim: number, outDim: number, bias = true): Tensor {
  return g.scope(name, () => {
    const w = g.param('weight', [outDim, inDim]);
    const b = bias ? g.param('bias', [outDim]) : null;
    return op.linear(x, w, b);
  });
}

/** nn.LayerNorm over the last axis. PyTorch's default eps is 1e-5; SAM's ViT uses 1e-6. */
export function layerNorm(g: Graph, name: string, x: Tensor, eps: number): Tensor {
  const width = x.shape[x.rank - 1];
  return g.scope(name, () => op.layerNorm(x, g.param('weight', [width]), g.param('bias', [width]), eps));
}

/** SAM's LayerNorm2d: over the channels of [N, C, H, W], eps 1e-6. */
export function layerNorm2d(g: Graph, name: string, x: Tensor): Tensor {
  const c = x.shape[1];
  return g.scope(name, () => op.layerNorm2d(x, g.param('weight', [c]), g.param('bias', [c]), 1e-6));
}

export interface ConvSpec {
  out: number;
  kernel: number;
  stride?: number;
  padding?: number;
  bias?: boolean;
}

/** nn.Conv2d: `name.weight` [out, in, k, k], `name.bias` [out] (when bias). */
export function conv2d(g: Graph, name: string, x: Tensor, spec: ConvSpec): Tensor {
  return g.scope(name, () => {
    const w = g.param('weight', [spec.out, x.shape[1], spec.kernel, spec.kernel]);
    const b = spec.bias === false ? null : g.param('bias', [spec.out]);
    return op.conv2d(x, w, b, { stride: spec.stride ?? 1, padding: spec.padding ?? 0 });
  });
}

/** nn.ConvTranspose2d with kernel = stride (no overlap): `name.weight` [in, out, k, k], `name.bias` [out]. */
export function convTranspose2d(g: Graph, name: string, x: Tensor, out: number, kernel: number): Tensor {
  return g.scope(name, () => {
    const w = g.param('weight', [x.shape[1], out, kernel, kernel]);
    return op.convTranspose2d(x, w, g.param('bias', [out]), { stride: kernel });
  });
}

/** SAM's MLPBlock: lin2(act(lin1(x))). GELU in the image encoder, ReLU in the two-way transformer. */
export function mlpBlock(g: Graph, name: string, x: Tensor, mlpDim: number, act: (t: Tensor) => Tensor): Tensor {
  const dim = x.shape[x.rank - 1];
  return g.scope(name, () => linear(g, 'lin2', act(linear(g, 'lin1', x, dim, mlpDim)), mlpDim, dim));
}

/**
 * The mask decoder's MLP: `numLayers` linear layers (`layers.i`) with ReLU between them, an
 * optional sigmoid at the end (off in SAM's heads).
 */
export function mlp(g: Graph, name: string, x: Tensor, hidden: number, outDim: number, numLayers: number, sigmoid = false): Tensor {
  return g.scope(name, () => {
    let h = x;
    for (let i = 0; i < numLayers; i++) {
      const last = i === numLayers - 1;
      h = linear(g, `layers.${i}`, h, h.shape[h.rank - 1], last ? outDim : hidden);
      if (!last) h = op.relu(h);
    }
    return sigmoid ? op.sigmoid(h) : h;
  });
}
