// Elementwise ops, each beside its vector-Jacobian product. Binary ops broadcast as numpy does;
// a rule gives an operand's gradient in the broadcast shape and grad() sums it back to the
// operand's shape (unbroadcast), so this module needs no other op module.
import { type DType, ONNX_DTYPE, isFloat } from '../dtype.js';
import type { Node, Tensor } from '../graph.js';
import { type TensorLike, broadcastShapes, defineOp, emit, lift, sameDtype, shapeError } from '../op.js';

function binary(type: string, a: TensorLike, b: TensorLike, outDtype?: DType): Tensor {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${type}: at least one operand must be a tensor`);
  const ta = typeof a === 'number' ? lift(a, b as Tensor) : a;
  const tb = lift(b, ta);
  const dtype = sameDtype(type, [ta, tb]);
  const shape = broadcastShapes(type, [ta, tb]);
  return emit(type, [ta, tb], {}, [{ shape, dtype: outDtype ?? dtype }])[0];
}

function unary(type: string, x: Tensor, attrs: Record<string, number> = {}): Tensor {
  return emit(type, [x], attrs, [{ shape: x.shape, dtype: x.dtype }])[0];
}

const ins = (node: Node, i: number): Tensor => node.inputs[i] as Tensor;
const out = (node: Node): Tensor => node.outputs[0];

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('Add', a, b);
defineOp('Add', {
  attrs: [],
  grad: (_n, [g]) => [() => g!, () => g!],
});

export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('Sub', a, b);
defineOp('Sub', {
  attrs: [],
  grad: (_n, [g]) => [() => g!, () => neg(g!)],
});

export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('Mul', a, b);
defineOp('Mul', {
  attrs: [],
  grad: (n, [g]) => [() => mul(g!, ins(n, 1)), () => mul(g!, ins(n, 0))],
});

export const div = (a: TensorLike, b: TensorLike): Tensor => binary('Div', a, b);
defineOp('Div', {
  attrs: [],
  // d(a/b)/db = -a/b² = -y/b
  grad: (n, [g]) => [() => div(g!, ins(n, 1)), () => neg(div(mul(g!, out(n)), ins(n, 1)))],
});

export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('Pow', a, b);
defineOp('Pow', {
  attrs: [],
  grad: (n, [g]) => [() => mul(g!, mul(ins(n, 1), pow(ins(n, 0), sub(ins(n, 1), 1)))), () => mul(g!, mul(out(n), log(ins(n, 0))))],
});

// Comparisons and logic (no gradient), before Max and Min, whose gradient rules pick with them.
export const equal = (a: TensorLike, b: TensorLike): Tensor => binary('Equal', a, b, 'bool');
export const less = (a: TensorLike, b: TensorLike): Tensor => binary('Less', a, b, 'bool');
export const greater = (a: TensorLike, b: TensorLike): Tensor => binary('Greater', a, b, 'bool');
export const lessOrEqual = (a: TensorLike, b: TensorLike): Tensor => binary('LessOrEqual', a, b, 'bool');
export const greaterOrEqual = (a: TensorLike, b: TensorLike): Tensor => binary('GreaterOrEqual', a, b, 'bool');
for (const type of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual']) defineOp(type, { attrs: [] });

export const and = (a: Tensor, b: Tensor): Tensor => binary('And', a, b, 'bool');
export const or = (a: Tensor, b: Tensor): Tensor => binary('Or', a, b, 'bool');
export const not = (x: Tensor): Tensor => unary('Not', x);
for (const type of ['And', 'Or', 'Not']) defineOp(type, { attrs: [] });

export const max = (a: TensorLike, b: TensorLike): Tensor => binary('Max', a, b);
export const min = (a: TensorLike, b: TensorLike): Tensor => binary('Min', a, b);
// The gradient goes to the operand that won (to the first one on ties).
for (const [type, pick] of [
  ['Max', greaterOrEqual],
  ['Min', lessOrEqual],
] as const) {
  defineOp(type, {
    attrs: [],
    grad: (n, [g]) => {
      const firstWins = () => cast(pick(ins(n, 0), ins(n, 1)), g!.dtype);
      return [() => mul(g!, firstWins()), () => mul(g!, sub(1, firstWins()))];
    },
  });
}

export const neg = (x: Tensor): Tensor => unary('Neg', x);
defineOp('Neg', { attrs: [], grad: (_n, [g]) => [() => neg(g!)] });

export const sqrt = (x: Tensor): Tensor => unary('Sqrt', x);
defineOp('Sqrt', { attrs: [], grad: (n, [g]) => [() => div(mul(g!, 0.5), out(n))] });

export const exp = (x: Tensor): Tensor => unary('Exp', x);
defineOp('Exp', { attrs: [], grad: (n, [g]) => [() => mul(g!, out(n))] });

export const log = (x: Tensor): Tensor => unary('Log', x);
defineOp('Log', { attrs: [], grad: (n, [g]) => [() => div(g!, ins(n, 0))] });

export const abs = (x: Tensor): Tensor => unary('Abs', x);
defineOp('Abs', { attrs: [], grad: (n, [g]) => [() => mul(g!, sign(ins(n, 0)))] });

export const sign = (x: Tensor): Tensor => unary('Sign', x);
defineOp('Sign', { attrs: [] });

export const reciprocal = (x: Tensor): Tensor => unary('Reciprocal', x);
defineOp('Reciprocal', { attrs: [], grad: (n, [g]) => [() => neg(mul(g!, mul(out(n), out(n))))] });

export const erf = (x: Tensor): Tensor => unary('Erf', x);
// d erf(x)/dx = 2/√π · exp(−x²)
defineOp('Erf', {
  attrs: [],
  grad: (n, [g]) => [() => mul(g!, mul(exp(neg(mul(ins(n, 0), ins(n, 0)))), 2 / Math.sqrt(Math.PI)))],
});

export const relu = (x: Tensor): Tensor => unary('Relu', x);
defineOp('Relu', { attrs: [], grad: (n, [g]) => [() => mul(g!, cast(greater(ins(n, 0), 0), g!.dtype))] });

export const sigmoid = (x: Tensor): Tensor => unary('Sigmoid', x);
defineOp('Sigmoid', { attrs: [], grad: (n, [g]) => [() => mul(g!, mul(out(n), sub(1, out(n))))] });

export const tanh = (x: Tensor): Tensor => unary('Tanh', x);
defineOp('Tanh', { attrs: [], grad: (n, [g]) => [() => mul(g!, sub(1, mul(out(n), out(n))))] });

export const sin = (x: Tensor): Tensor => unary('Sin', x);
defineOp('Sin', { attrs: [], grad: (n, [g]) => [() => mul(g!, cos(ins(n, 0)))] });

export const cos = (x: Tensor): Tensor => unary('Cos', x);
defineOp('Cos', { attrs: [], grad: (n, [g]) => [() => neg(mul(g!, sin(ins(n, 0))))] });

export const floor = (x: Tensor): Tensor => unary('Floor', x);
defineOp('Floor', { attrs: [] });

/**
 * `x` unchanged, with a zero gradient (JAX's lax.stop_gradient): what is computed from the result
 * is not differentiated back into `x`. An ONNX Identity; the engine emits Identity nowhere else.
 */
export const stopGradient = (x: Tensor): Tensor => unary('Identity', x);
defineOp('Identity', { attrs: [], stopsGradient: true });

/** Clamps to [lo, hi]; either bound may be omitted. */
export function clip(x: Tensor, lo?: number, hi?: number): Tensor {
  const bounds = [lo === undefined ? null : x.graph.scalar(lo, x.dtype), hi === undefined ? null : x.graph.scalar(hi, x.dtype)];
  return emit('Clip', [x, ...bounds], {}, [{ shape: x.shape, dtype: x.dtype }])[0];
}
// The gradient passes where the input was strictly inside the bounds.
defineOp('Clip', {
  attrs: [],
  grad: (n, [g]) => [
    () => {
      let inside: Tensor | null = null;
      const [x, lo, hi] = n.inputs as [Tensor, Tensor | null, Tensor | null];
      if (lo) inside = greater(x, lo);
      if (hi) inside = inside ? and(inside, less(x, hi)) : less(x, hi);
      return inside ? mul(g!, cast(inside, g!.dtype)) : g!;
    },
  ],
});

export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  return emit('Cast', [x], { to: ONNX_DTYPE[to] }, [{ shape: x.shape, dtype: to }])[0];
}
defineOp('Cast', {
  attrs: ['to'],
  // Differentiable only between float types; the gradient is cast back.
  grad: (n, [g]) => [isFloat(ins(n, 0).dtype) && isFloat(out(n).dtype) ? () => cast(g!, ins(n, 0).dtype) : null],
});

/** cond ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const like = typeof a === 'number' ? (b as Tensor) : a;
  if (!(like as Tensor | undefined)?.graph) throw new Error('Where: one of a, b must be a tensor');
  const ta = lift(a, like);
  const tb = lift(b, like);
  if (cond.dtype !== 'bool') throw shapeError('Where', [cond, ta, tb], 'condition must be bool');
  const dtype = sameDtype('Where', [ta, tb]);
  return emit('Where', [cond, ta, tb], {}, [{ shape: broadcastShapes('Where', [cond, ta, tb]), dtype }])[0];
}
defineOp('Where', {
  attrs: [],
  grad: (n, [g]) => [null, () => where(ins(n, 0), g!, 0), () => where(ins(n, 0), 0, g!)],
});
