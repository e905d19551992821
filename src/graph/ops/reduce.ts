// Reductions and softmax, each beside its vector-Jacobian product; Tile, whose gradient is a
// reduction; and unbroadcast, which grad() applies to every gradient of a broadcast operand.
import type { Node, Shape, Tensor } from '../graph.js';
import { customGradient, defineOp, emit, int64Constant, int64Values, normAxis, shapeError } from '../op.js';
import { cast, div, equal, exp, mul, sub } from './elementwise.js';
import { gemm } from './matmul.js';
import { expand, reshape } from './shape.js';

function reducedShape(x: Tensor, axes: number[], keepdims: boolean): number[] {
  const out: number[] = [];
  x.shape.forEach((d, i) => {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(d);
  });
  return out;
}

function normAxes(op: string, x: Tensor, axes?: number[]): number[] {
  const all = axes ?? x.shape.map((_, i) => i);
  const norm = all.map((a) => normAxis(a, x.rank, op, [x]));
  if (new Set(norm).size !== norm.length) throw shapeError(op, [x], `repeated axes ${JSON.stringify(axes)}`);
  return norm.sort((a, b) => a - b);
}

/** Sum over `axes` (all when omitted). ReduceSum takes its axes as an input since opset 13. */
export function reduceSum(x: Tensor, axes?: number[], keepdims = false): Tensor {
  const ax = normAxes('ReduceSum', x, axes);
  const rows = ax.reduce((n, a) => n * x.shape[a], 1);
  if (x.dtype === 'float32' && ax.length < x.rank && ax.every((a, i) => a === i) && rows > 1) return columnSum(x, ax, rows, keepdims);
  return emit('ReduceSum', [x, int64Constant(x, ax)], { keepdims: keepdims ? 1 : 0 }, [{ shape: reducedShape(x, ax, keepdims), dtype: x.dtype }])[0];
}

/**
 * A sum over leading axes (bias and norm-scale gradients) as a product with a row of ones: onnxruntime's
 * ReduceSum over a leading axis ran slower than a 1-row Gemm (onnxruntime-node 1.30, 2 threads;
 * figures in docs/benchmarks.md, engine section). Its gradient is ReduceSum's.
 */
function columnSum(x: Tensor, ax: number[], rows: number, keepdims: boolean): Tensor {
  const cols = x.size / rows;
  const ones = x.graph.constant(new Float32Array(rows).fill(1), [1, rows]);
  const sums = gemm(ones, reshape(x, [rows, cols]), null);
  const kept = reducedShape(x, ax, true);
  const y = reshape(sums, reducedShape(x, ax, keepdims));
  return customGradient(y, [x], (g) => [() => expand(reshape(g, kept), x.shape)]);
}

export function reduceMean(x: Tensor, axes?: number[], keepdims = false): Tensor {
  const ax = normAxes('ReduceMean', x, axes);
  return emit('ReduceMean', [x], { axes: ax, keepdims: keepdims ? 1 : 0 }, [{ shape: reducedShape(x, ax, keepdims), dtype: x.dtype }])[0];
}

export function reduceMax(x: Tensor, axes?: number[], keepdims = false): Tensor {
  const ax = normAxes('ReduceMax', x, axes);
  return emit('ReduceMax', [x], { axes: ax, keepdims: keepdims ? 1 : 0 }, [{ shape: reducedShape(x, ax, keepdims), dtype: x.dtype }])[0];
}

/** The reduced axes of a reduction node, read back from its attribute or its axes constant. */
function axesOf(node: Node): number[] {
  if (node.type === 'ReduceSum') return int64Values(node.inputs[1] as Tensor);
  return node.attrs.axes as number[];
}

/** The gradient of a reduction's output, reshaped with kept dims and broadcast to the input shape. */
function spread(node: Node, g: Tensor): Tensor {
  const x = node.inputs[0] as Tensor;
  const kept = reducedShape(x, axesOf(node), true);
  return expand(reshape(g, kept), x.shape);
}

defineOp('ReduceSum', { attrs: ['keepdims', 'noop_with_empty_axes'], grad: (n, [g]) => [() => spread(n, g!), null] });

defineOp('ReduceMean', {
  attrs: ['axes', 'keepdims'],
  grad: (n, [g]) => {
    const x = n.inputs[0] as Tensor;
    const count = axesOf(n).reduce((p, a) => p * x.shape[a], 1);
    return [() => spread(n, div(g!, count))];
  },
});

// The gradient goes to every position that equals the maximum (ties are rare in float data).
defineOp('ReduceMax', {
  attrs: ['axes', 'keepdims'],
  grad: (n, [g]) => [
    () => {
      const x = n.inputs[0] as Tensor;
      const kept = reducedShape(x, axesOf(n), true);
      const hit = cast(equal(x, reshape(n.outputs[0], kept)), x.dtype);
      return mul(spread(n, g!), hit);
    },
  ],
});

/**
 * Sums `g` back down to `shape` over the axes that numpy broadcasting expanded, so that the
 * gradient of a broadcast operand has the operand's shape.
 */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? reduceSum(g, axes, true) : g;
  return reshape(summed, shape);
}

export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis(axis, x.rank, 'Softmax', [x]);
  return emit('Softmax', [x], { axis: a }, [{ shape: x.shape, dtype: x.dtype }])[0];
}
// dx = y · (dy − Σ dy·y)
defineOp('Softmax', {
  attrs: ['axis'],
  grad: (n, [g]) => [
    () => {
      const y = n.outputs[0];
      const axis = n.attrs.axis as number;
      return mul(y, sub(g!, reduceSum(mul(g!, y), [axis], true)));
    },
  ],
});

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis(axis, x.rank, 'LogSoftmax', [x]);
  return emit('LogSoftmax', [x], { axis: a }, [{ shape: x.shape, dtype: x.dtype }])[0];
}
// dx = dy − softmax(x) · Σ dy
defineOp('LogSoftmax', {
  attrs: ['axis'],
  grad: (n, [g]) => [
    () => {
      const axis = n.attrs.axis as number;
      return sub(g!, mul(exp(n.outputs[0]), reduceSum(g!, [axis], true)));
    },
  ],
});

/** Repeats `x` `repeats[i]` times along each axis i (a data move, kept here for its gradient). */
export function tile(x: Tensor, repeats: readonly number[]): Tensor {
  if (repeats.length !== x.rank) throw shapeError('Tile', [x], `repeats ${JSON.stringify(repeats)} must have rank ${x.rank}`);
  const shape = x.shape.map((d, i) => d * repeats[i]);
  return emit('Tile', [x, int64Constant(x, repeats)], {}, [{ shape, dtype: x.dtype }])[0];
}
// Tile lays copies side by side: view the gradient as [r0, d0, r1, d1, ...] and sum the r axes.
defineOp('Tile', {
  attrs: [],
  grad: (n, [g]) => [
    () => {
      const x = n.inputs[0] as Tensor;
      const repeats = int64Values(n.inputs[1]!);
      const split = x.shape.flatMap((d, i) => [repeats[i], d]);
      const summed = reduceSum(
        reshape(g!, split),
        x.shape.map((_, i) => 2 * i),
      );
      return reshape(summed, x.shape);
    },
    null,
  ],
});
