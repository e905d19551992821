// Matrix products, each beside its vector-Jacobian product.
import type { Tensor } from '../graph.js';
import { broadcastDims, defineOp, emit, sameDtype, shapeError } from '../op.js';
import { mul } from './elementwise.js';
import { reshape, transposeLast } from './shape.js';

/** Batched matrix product a[..., m, k] · b[..., k, n]; batch dimensions broadcast. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank < 2 || b.rank < 2) throw shapeError('MatMul', [a, b], 'operands must have rank ≥ 2 (unsqueeze vectors)');
  const dtype = sameDtype('MatMul', [a, b]);
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) throw shapeError('MatMul', [a, b], `inner dimensions differ (${k} vs ${k2})`);
  const batch = broadcastDims('MatMul', [a.shape.slice(0, -2), b.shape.slice(0, -2)], [a, b]);
  return emit('MatMul', [a, b], {}, [{ shape: [...batch, m, n], dtype }])[0];
}

/**
 * a · bᵀ or aᵀ · b on the last two axes. 2-D operands use Gemm's transpose flags and batched ones
 * a Transpose node, so that backward passes need no extra copy for the common 2-D case.
 */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (a.rank === 2 && b.rank === 2) return gemm(a, b, null, { transA, transB });
  return matmul(transA ? transposeLast(a) : a, transB ? transposeLast(b) : b);
}

/** Whether `x` is a batch of matrices transposed by transposeLast. */
function isTransposedLast(x: Tensor): boolean {
  const perm = x.producer?.type === 'Transpose' ? (x.producer.attrs.perm as number[]) : undefined;
  const r = x.rank;
  return !!perm && perm[r - 2] === r - 1 && perm[r - 1] === r - 2 && perm.slice(0, -2).every((p, i) => p === i);
}

defineOp('MatMul', {
  attrs: [],
  grad: (n, [g]) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const sameBatch = (x: Tensor) => x.shape.slice(0, -2).join() === g!.shape.slice(0, -2).join();
    // An operand that is itself a transpose (attention's kᵀ) gets its gradient as the transpose of the
    // product in the other order, (gᵀ·a)ᵀ for dB: the outer transpose then cancels the operand's own
    // in its gradient, and onnxruntime folds the inner one into FusedMatMul, so no copy remains.
    // (A broadcast operand's gradient has the batch axes of g; grad() sums them back.)
    const dA = () => (isTransposedLast(a) && sameBatch(a) ? transposeLast(matmul(b, transposeLast(g!))) : matmulT(g!, b, false, true));
    const dB = () => (isTransposedLast(b) && sameBatch(b) ? transposeLast(matmul(transposeLast(g!), a)) : matmulT(a, g!, true, false));
    return [dA, dB];
  },
});

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
}

/** ONNX Gemm: alpha · A' · B' + beta · C on 2-D operands, C broadcast to the result. */
export function gemm(a: Tensor, b: Tensor, c: Tensor | null, options: GemmOptions = {}): Tensor {
  const inputs = c ? [a, b, c] : [a, b];
  if (a.rank !== 2 || b.rank !== 2) throw shapeError('Gemm', inputs, 'A and B must be 2-D');
  const dtype = sameDtype('Gemm', inputs);
  const [m, k] = options.transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = options.transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== k2) throw shapeError('Gemm', inputs, `inner dimensions differ (${k} vs ${k2})`);
  if (c) {
    const cShape = broadcastDims('Gemm', [[m, n], c.shape], inputs);
    if (cShape.length !== 2 || cShape[0] !== m || cShape[1] !== n) throw shapeError('Gemm', inputs, `C does not broadcast to [${m},${n}]`);
  }
  const attrs: Record<string, number | { float: number }> = {};
  if (options.transA) attrs.transA = 1;
  if (options.transB) attrs.transB = 1;
  if (options.alpha !== undefined && options.alpha !== 1) attrs.alpha = { float: options.alpha };
  if (options.beta !== undefined && options.beta !== 1) attrs.beta = { float: options.beta };
  return emit('Gemm', inputs, attrs, [{ shape: [m, n], dtype }])[0];
}

defineOp('Gemm', {
  attrs: ['transA', 'transB', 'alpha', 'beta'],
  grad: (n, [g]) => {
    const [a, b, c] = n.inputs as [Tensor, Tensor, Tensor | undefined];
    const tA = n.attrs.transA === 1;
    const tB = n.attrs.transB === 1;
    const alpha = (n.attrs.alpha as { float: number } | undefined)?.float ?? 1;
    const beta = (n.attrs.beta as { float: number } | undefined)?.float ?? 1;
    // Y = A'·B' with A' = tA ? Aᵀ : A. dA' = g·B'ᵀ, dB' = A'ᵀ·g, transposed back where needed.
    const dA = () => (tA ? gemm(b, g!, null, { transA: tB, transB: true, alpha }) : gemm(g!, b, null, { transB: !tB, alpha }));
    const dB = () => (tB ? gemm(g!, a, null, { transA: true, transB: tA, alpha }) : gemm(a, g!, null, { transA: !tA, alpha }));
    const grads = [dA, dB];
    if (c) grads.push(() => (beta === 1 ? g! : mul(g!, beta)));
    return grads;
  },
});

/**
 * A fully connected layer with PyTorch's weight layout: x[..., in] · Wᵀ + b with W[out, in].
 * Runs as one Gemm on the flattened rows.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [out, inp] = weight.shape;
  if (x.shape[x.rank - 1] !== inp) {
    throw shapeError('Linear', bias ? [x, weight, bias] : [x, weight], `input width ${x.shape[x.rank - 1]} ≠ weight's ${inp}`);
  }
  const rows = reshape(x, [-1, inp]);
  const y = gemm(rows, weight, bias, { transB: true });
  return reshape(y, [...x.shape.slice(0, -1), out]);
}
