// Scaled dot-product attention as one composite with its own gradient.
import type { Tensor } from '../graph.js';
import { customGradient, shapeError } from '../op.js';
import { add, mul, sub } from './elementwise.js';
import { matmul } from './matmul.js';
import { reduceSum, softmax } from './reduce.js';
import { transposeLast } from './shape.js';

export interface AttentionOptions {
  /** Multiplies q before the product (default 1/√d, d the width of q and k). */
  scale?: number;
  /** Added to the logits before the softmax, broadcast to [..., n, m] (relative positions, masks). */
  bias?: Tensor;
}

/**
 * softmax((q·scale)·kᵀ + bias)·v over the last two axes, as PyTorch's scaled_dot_product_attention:
 * q [..., n, d], k [..., m, d], v [..., m, dv] with the same leading (batch, head) axes.
 *
 * The gradient is given directly (FlashAttention's form): the softmax's row term Σⱼ Pᵢⱼ·dPᵢⱼ equals
 * Σ dOᵢ·Oᵢ, a reduction over the output [..., n, dv] instead of over the n × m probabilities, so the
 * backward pass makes two passes fewer over the largest tensor of the block. And kᵀ's gradient is
 * formed as dSᵀ·q directly, with no transpose of a copy.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const inputs = options.bias ? [q, k, v, options.bias] : [q, k, v];
  const lead = q.shape.slice(0, -2).join();
  if (q.rank < 2 || k.rank !== q.rank || v.rank !== q.rank || k.shape.slice(0, -2).join() !== lead || v.shape.slice(0, -2).join() !== lead) {
    throw shapeError('Attention', inputs, 'q, k and v need the same leading axes');
  }
  if (k.shape[k.rank - 1] !== q.shape[q.rank - 1] || v.shape[v.rank - 2] !== k.shape[k.rank - 2]) {
    throw shapeError('Attention', inputs, 'expects q [..., n, d], k [..., m, d], v [..., m, dv]');
  }
  const scale = options.scale ?? 1 / Math.sqrt(q.shape[q.rank - 1]);
  const scaledQ = mul(q, scale);
  const scores = matmul(scaledQ, transposeLast(k));
  const p = softmax(options.bias ? add(scores, options.bias) : scores, -1);
  const out = matmul(p, v);
  return customGradient(out, inputs, (g) => {
    let logitsGrad: Tensor | undefined;
    // dS = P ⊙ (dO·vᵀ − Σ dO ⊙ O), shared by q, k and the bias.
    const dS = () => (logitsGrad ??= mul(p, sub(matmul(g, transposeLast(v)), reduceSum(mul(g, out), [-1], true))));
    return [
      () => mul(matmul(dS(), k), scale),
      () => matmul(transposeLast(dS()), scaledQ),
      () => matmul(transposeLast(p), g),
      // The bias's gradient is dS in the logits' shape; grad() sums it over the axes it was broadcast on.
      ...(options.bias ? [dS] : []),
    ];
  });
}
