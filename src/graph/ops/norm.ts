// Normalisations and activations built for transformers, each with its gradient.
import type { Tensor } from '../graph.js';
import { customGradient, defineOp, emit, shapeError } from '../op.js';
import { add, cast, div, erf, exp, mul, sqrt, sub } from './elementwise.js';
import { reduceMean, reduceSum } from './reduce.js';
import { reshape } from './shape.js';

/** LayerNormalization over the last axis (ONNX opset 17), with scale and bias of that width. */
export function layerNorm(x: Tensor, scale: Tensor, bias: Tensor, epsilon = 1e-5): Tensor {
  return layerNormWithStats(x, scale, bias, epsilon).y;
}

/**
 * layerNorm, with the row statistics it computed: mean μ and inverse standard deviation r, each
 * [...x.shape without the last axis, 1] in float32 (y = (x − μ)·r·scale + bias). Only y has a
 * gradient: the statistics are for inference graphs that reuse them (prompt_decoder.ts).
 */
export function layerNormWithStats(x: Tensor, scale: Tensor, bias: Tensor, epsilon = 1e-5): { y: Tensor; mean: Tensor; invStd: Tensor } {
  const width = x.shape[x.rank - 1];
  if (scale.rank !== 1 || scale.shape[0] !== width || bias.rank !== 1 || bias.shape[0] !== width) {
    throw shapeError('LayerNormalization', [x, scale, bias], `scale and bias must be [${width}]`);
  }
  // onnxruntime fuses Add → LayerNormalization on 3-D tensors into SkipLayerNormalization, whose CPU
  // kernel was slower than the two separate kernels (SAM ViT-B decoder, 4096 × 256, onnxruntime 1.30
  // profile; figures in docs/benchmarks.md, SAM section). Normalising a 2-D view of a sum keeps the
  // two apart; the reshapes are free.
  if (x.producer?.type === 'Add' && x.rank >= 3) {
    const rows = x.size / width;
    const stats = [...x.shape.slice(0, -1), 1];
    const [y, mean, invStd] = normalise(reshape(x, [rows, width]), scale, bias, epsilon);
    return { y: reshape(y, x.shape), mean: reshape(mean, stats), invStd: reshape(invStd, stats) };
  }
  const [y, mean, invStd] = normalise(x, scale, bias, epsilon);
  return { y, mean, invStd };
}

function normalise(x: Tensor, scale: Tensor, bias: Tensor, epsilon: number): Tensor[] {
  // Mean and inverse standard deviation are asked for too: the gradient reuses them. Their type
  // is the stash type, float32 (the default) whatever the input's type.
  const stats = [...x.shape.slice(0, -1), 1];
  return emit('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: { float: epsilon } }, [
    { shape: x.shape, dtype: x.dtype },
    { shape: stats, dtype: 'float32' },
    { shape: stats, dtype: 'float32' },
  ]);
}

// With x̂ = (x − μ)·r and dx̂ = g·γ:  dx = r · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)),
// dγ = Σ g·x̂ and dβ = Σ g over every axis but the last.
defineOp('LayerNormalization', {
  attrs: ['axis', 'epsilon', 'stash_type'],
  grad: (n, [g]) => {
    const [x, scale] = n.inputs as [Tensor, Tensor];
    const mean = cast(n.outputs[1], x.dtype);
    const invStd = cast(n.outputs[2], x.dtype);
    const lead = x.shape.slice(0, -1).map((_, i) => i);
    let xhat: Tensor | undefined;
    const normalised = () => (xhat ??= mul(sub(x, mean), invStd));
    return [
      () => {
        const dxhat = mul(g!, scale);
        const last = x.rank - 1;
        const centred = sub(dxhat, reduceMean(dxhat, [last], true));
        return mul(invStd, sub(centred, mul(normalised(), reduceMean(mul(dxhat, normalised()), [last], true))));
      },
      () => reduceSum(mul(g!, normalised()), lead),
      () => reduceSum(g!, lead),
    ];
  },
});

/**
 * SAM's LayerNorm2d: normalises [N, C, H, W] over the channel axis, then scales and shifts per
 * channel. Written with primitives (the gradient follows from theirs).
 */
export function layerNorm2d(x: Tensor, weight: Tensor, bias: Tensor, epsilon = 1e-6): Tensor {
  if (x.rank !== 4 || weight.shape[0] !== x.shape[1] || bias.shape[0] !== x.shape[1]) {
    throw shapeError('LayerNorm2d', [x, weight, bias], 'expects x [N,C,H,W] and weight, bias [C]');
  }
  const c = x.shape[1];
  const centred = sub(x, reduceMean(x, [1], true));
  const variance = reduceMean(mul(centred, centred), [1], true);
  const normed = div(centred, sqrt(add(variance, epsilon)));
  return add(mul(normed, reshape(weight, [c, 1, 1])), reshape(bias, [c, 1, 1]));
}

/**
 * Exact (erf) GELU, as PyTorch's nn.GELU(): (x·0.5)·(1 + erf(x / √2)). Written in the exact form
 * onnxruntime's GeluFusion matches (Div by √2, Mul by 0.5), so it runs as one kernel, in training
 * graphs too: the gradient does not reuse the forward's intermediates (that would stop the fusion)
 * but recomputes erf from x. With t = x/√2, gelu'(x) = Φ(x) + x·φ(x) = ½·(1 + erf t + (2/√π)·t·e^(−t²)):
 * 1 + 9 passes over the activation where the unfused forward and a gradient reusing it took 5 + 7.
 */
export function gelu(x: Tensor): Tensor {
  const y = mul(mul(x, 0.5), add(erf(div(x, Math.SQRT2)), 1));
  return customGradient(y, [x], (g) => [
    () => {
      // Mul by 1/√2, not the forward's Div by √2: common-subexpression elimination would otherwise
      // merge the two and give the fused pattern a second consumer.
      const t = mul(x, Math.SQRT1_2);
      // t·e^(−t²) as t / e^(t²): where e^(t²) overflows the quotient is 0, the right limit.
      const tPhi = mul(div(t, exp(mul(t, t))), 2 / Math.sqrt(Math.PI));
      return mul(mul(g, 0.5), add(add(erf(t), tPhi), 1));
    },
  ]);
}
