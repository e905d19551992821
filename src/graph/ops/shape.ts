// Ops that move data without arithmetic, each beside its vector-Jacobian product.
import { type Shape, type Tensor, shapeStr, sizeOf } from '../graph.js';
import { defineOp, emit, int64Constant, int64Values, normAxis, sameDtype, shapeError } from '../op.js';
import { cast } from './elementwise.js';

/** Reshape to `shape`; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw shapeError('Reshape', [x], `more than one -1 in target ${shapeStr(shape)}`);
  const knownSize = sizeOf(known);
  const full = shape.map((d) => (d === -1 ? x.size / knownSize : d));
  if (sizeOf(full) !== x.size || full.some((d) => !Number.isInteger(d) || d < 0)) {
    throw shapeError('Reshape', [x], `cannot reshape ${x.size} elements to ${shapeStr(shape)}`);
  }
  if (full.length === x.rank && full.every((d, i) => d === x.shape[i])) return x;
  // A reshape of a reshape is one reshape of the first one's input (row-major order is kept by
  // both): `linear` on a 3-D tensor reshapes to rows and back, so chained layers would otherwise
  // run a kernel per reshape (≈ 100 per ViT-B decoder prompt).
  const inner = x.producer;
  if (inner?.type === 'Reshape') return reshape(inner.inputs[0] as Tensor, full);
  return emit('Reshape', [x, int64Constant(x, full)], {}, [{ shape: full, dtype: x.dtype }])[0];
}
defineOp('Reshape', { attrs: ['allowzero'], grad: (n, [g]) => [() => reshape(g!, (n.inputs[0] as Tensor).shape), null] });

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
    throw shapeError('Transpose', [x], `perm ${JSON.stringify(perm)} is not a permutation of rank ${x.rank}`);
  }
  if (perm.every((p, i) => p === i)) return x;
  // A transpose undoing another is no transpose: backward passes produce such pairs, and each is a
  // copy of the whole tensor. (Other pairs are left alone: onnxruntime folds a last-two-axes
  // transpose into the product that reads it, which a composed permutation would prevent.)
  const inner = x.producer;
  if (inner?.type === 'Transpose' && perm.every((p, i) => (inner.attrs.perm as number[])[p] === i)) return inner.inputs[0] as Tensor;
  return emit('Transpose', [x], { perm: [...perm] }, [{ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }])[0];
}
defineOp('Transpose', {
  attrs: ['perm'],
  grad: (n, [g]) => [
    () => {
      const perm = n.attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return transpose(g!, inverse);
    },
  ],
});

/** Swaps the last two axes (matrix transpose of a batch). */
export function transposeLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.rank + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, 'Unsqueeze', [x])).sort((a, b) => a - b);
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[k++]);
  return emit('Unsqueeze', [x, int64Constant(x, norm)], {}, [{ shape, dtype: x.dtype }])[0];
}
defineOp('Unsqueeze', { attrs: [], grad: (n, [g]) => [() => reshape(g!, (n.inputs[0] as Tensor).shape), null] });

export function squeeze(x: Tensor, axes: readonly number[]): Tensor {
  const norm = axes.map((a) => normAxis(a, x.rank, 'Squeeze', [x]));
  for (const a of norm) if (x.shape[a] !== 1) throw shapeError('Squeeze', [x], `axis ${a} has size ${x.shape[a]}, not 1`);
  const shape = x.shape.filter((_, i) => !norm.includes(i));
  return emit('Squeeze', [x, int64Constant(x, norm)], {}, [{ shape, dtype: x.dtype }])[0];
}
defineOp('Squeeze', { attrs: [], grad: (n, [g]) => [() => reshape(g!, (n.inputs[0] as Tensor).shape), null] });

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('Concat: no inputs');
  if (xs.length === 1) return xs[0];
  const dtype = sameDtype('Concat', xs);
  const a = normAxis(axis, xs[0].rank, 'Concat', xs);
  for (const t of xs) {
    if (t.rank !== xs[0].rank || t.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw shapeError('Concat', xs, `shapes differ outside axis ${a}`);
    }
  }
  const shape = [...xs[0].shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  return emit('Concat', [...xs], { axis: a }, [{ shape, dtype }])[0];
}
defineOp('Concat', {
  attrs: ['axis'],
  grad: (n, [g]) => {
    const axis = n.attrs.axis as number;
    let start = 0;
    return n.inputs.map((t) => {
      const from = start;
      start += t!.shape[axis];
      return () => slice(g!, [from], [from + t!.shape[axis]], [axis]);
    });
  },
});

/** Splits along `axis` into pieces of the given sizes. */
export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const a = normAxis(axis, x.rank, 'Split', [x]);
  if (sizes.reduce((s, d) => s + d, 0) !== x.shape[a]) {
    throw shapeError('Split', [x], `sizes ${JSON.stringify(sizes)} do not add up to ${x.shape[a]} on axis ${a}`);
  }
  const outputs = sizes.map((d) => {
    const shape = [...x.shape];
    shape[a] = d;
    return { shape, dtype: x.dtype };
  });
  return emit('Split', [x, int64Constant(x, sizes)], { axis: a }, outputs);
}
defineOp('Split', {
  attrs: ['axis'],
  grad: (n, gs) => [
    () => {
      const parts = n.outputs.map((o, i) => gs[i] ?? zerosLike(o));
      return concat(parts, n.attrs.axis as number);
    },
    null,
  ],
});

function zerosLike(t: Tensor): Tensor {
  return expand(t.graph.scalar(0, t.dtype), t.shape);
}

/** numpy-style x[starts:ends:steps] on `axes` (default: the first axes). Ends are clamped. */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[]): Tensor {
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.rank, 'Slice', [x]));
  const st = steps ?? ax.map(() => 1);
  if (starts.length !== ax.length || ends.length !== ax.length || st.length !== ax.length) {
    throw shapeError('Slice', [x], 'starts, ends, axes and steps differ in length');
  }
  const shape = [...x.shape];
  ax.forEach((a, i) => {
    if (st[i] === 0) throw shapeError('Slice', [x], `step 0 on axis ${a}`);
    shape[a] = sliceRange(x.shape[a], starts[i], ends[i], st[i])[3];
  });
  const bounds = [starts, ends, ax, st].map((v) => int64Constant(x, v));
  return emit('Slice', [x, ...bounds], {}, [{ shape, dtype: x.dtype }])[0];
}

/** ONNX/numpy slice bounds on a dimension of size `dim`: [first, last-exclusive, step, count]. */
function sliceRange(dim: number, start: number, end: number, step: number): [number, number, number, number] {
  if (step === 0) return [0, 0, 0, 0];
  const clampIdx = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
  const s = step > 0 ? clampIdx(start, 0, dim) : clampIdx(start, -1, dim - 1);
  const e = step > 0 ? clampIdx(end, 0, dim) : clampIdx(end, -1, dim - 1);
  const count = Math.max(0, Math.ceil((e - s) / step));
  return [s, e, step, count];
}

defineOp('Slice', {
  attrs: [],
  grad: (n, [g]) => [
    () => {
      const x = n.inputs[0] as Tensor;
      const [starts, ends, axes, steps] = n.inputs.slice(1).map((t) => int64Values(t!));
      if (steps.every((s) => s === 1)) {
        // A unit-step slice is undone by zero padding around it.
        const pads = new Array(2 * x.rank).fill(0);
        axes.forEach((a, i) => {
          const [lo, , , count] = sliceRange(x.shape[a], starts[i], ends[i], 1);
          pads[a] = lo;
          pads[x.rank + a] = x.shape[a] - lo - count;
        });
        return pad(g!, pads);
      }
      // General steps: scatter the gradient back to the positions it was read from.
      return scatterSlice(x, g!, axes, starts, ends, steps);
    },
    null,
    null,
    null,
    null,
  ],
});

function scatterSlice(x: Tensor, g: Tensor, axes: number[], starts: number[], ends: number[], steps: number[]): Tensor {
  const ranges = x.shape.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((a, i) => {
    const [lo, , step, count] = sliceRange(x.shape[a], starts[i], ends[i], steps[i]);
    ranges[a] = Array.from({ length: count }, (_, k) => lo + k * step);
  });
  const indices: number[] = [];
  const walk = (dim: number, prefix: number[]) => {
    if (dim === x.rank) {
      indices.push(...prefix);
      return;
    }
    for (const v of ranges[dim]) walk(dim + 1, [...prefix, v]);
  };
  walk(0, []);
  const idx = x.graph.constant(indices, [...g.shape, x.rank], 'int64');
  return scatterND(zerosLike(x), idx, g);
}

/** `data` with the slices at `indices` replaced by (or, with reduction 'add', added to) `updates`. */
function scatterND(data: Tensor, indices: Tensor, updates: Tensor, reduction?: 'add'): Tensor {
  const attrs: Record<string, string> = reduction ? { reduction } : {};
  return emit('ScatterND', [data, indices, updates], attrs, [{ shape: data.shape, dtype: data.dtype }])[0];
}
defineOp('ScatterND', { attrs: ['reduction'] });

/** Constant-mode padding; `pads` = [begin_0, ..., begin_n, end_0, ..., end_n], non-negative. */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (pads.length !== 2 * x.rank || pads.some((p) => p < 0 || !Number.isInteger(p))) {
    throw shapeError('Pad', [x], `pads ${JSON.stringify(pads)} must be ${2 * x.rank} non-negative integers`);
  }
  if (pads.every((p) => p === 0)) return x;
  const shape = x.shape.map((d, i) => d + pads[i] + pads[x.rank + i]);
  return emit('Pad', [x, int64Constant(x, pads), x.graph.scalar(value, x.dtype)], { mode: 'constant' }, [{ shape, dtype: x.dtype }])[0];
}
defineOp('Pad', {
  attrs: ['mode'],
  grad: (n, [g]) => [
    () => {
      const x = n.inputs[0] as Tensor;
      const pads = int64Values(n.inputs[1]!);
      const axes = x.shape.map((_, i) => i);
      return slice(
        g!,
        axes.map((a) => pads[a]),
        axes.map((a) => pads[a] + x.shape[a]),
        axes,
      );
    },
    null,
    null,
  ],
});

/** x.take(indices, axis): indices is an int64 tensor (constant or input). */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const a = normAxis(axis, x.rank, 'Gather', [x, indices]);
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw shapeError('Gather', [x, indices], 'indices must be int64 or int32');
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return emit('Gather', [x, indices], { axis: a }, [{ shape, dtype: x.dtype }])[0];
}
// Gathered rows are scattered back and summed (an index can be taken more than once).
defineOp('Gather', {
  attrs: ['axis'],
  grad: (n, [g]) => [
    () => {
      const [x, indices] = n.inputs as [Tensor, Tensor];
      const a = n.attrs.axis as number;
      const k = indices.rank;
      // Move the gathered axis (x) and the index axes (g) to the front.
      const xPerm = [a, ...x.shape.map((_, i) => i).filter((i) => i !== a)];
      const gPerm = [...Array.from({ length: k }, (_, i) => a + i), ...g!.shape.map((_, i) => i).filter((i) => i < a || i >= a + k)];
      const gFront = transpose(g!, gPerm);
      const idx = unsqueeze(cast(indices, 'int64'), [-1]);
      const zeros = zerosLike(transpose(x, xPerm));
      const scattered = scatterND(zeros, idx, gFront, 'add');
      return transpose(
        scattered,
        xPerm.map((_, i) => xPerm.indexOf(i)),
      );
    },
    null,
  ],
});

/** Broadcasts `x` to `shape` (numpy rules). */
export function expand(x: Tensor, shape: Shape): Tensor {
  if (x.rank === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  const lead = shape.length - x.rank;
  if (lead < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[lead + i])) {
    throw shapeError('Expand', [x], `cannot broadcast to ${shapeStr(shape)}`);
  }
  return emit('Expand', [x, int64Constant(x, shape)], {}, [{ shape: [...shape], dtype: x.dtype }])[0];
}
// The gradient is the output's: grad() sums it back over the broadcast axes (unbroadcast).
defineOp('Expand', { attrs: [], grad: (_n, [g]) => [() => g!, null] });
