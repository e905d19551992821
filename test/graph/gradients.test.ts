// Every differentiable op's gradient against central finite differences on random inputs.
// float64 (relative error ≤ 1e-5) where onnxruntime has float64 kernels for the forward and
// backward ops; float32 (≤ 2e-2) where it lacks one: Erf (so GELU), Conv, ConvTranspose, Resize,
// and Cast (to check a round trip through another float type).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../../src/graph/grad.js';
import { Graph, type Tensor } from '../../src/graph/graph.js';
import { serialize } from '../../src/graph/onnx.js';
import { customGradient } from '../../src/graph/op.js';
import * as op from '../../src/graph/ops/index.js';
import { Runtime } from '../../src/graph/runtime.js';
import { type InputSpec, gradCheck } from './gradcheck.js';

interface Case {
  name: string;
  specs: InputSpec[];
  build: (...xs: Tensor[]) => Tensor;
  dtype: 'float32' | 'float64';
}

const pos: [number, number] = [0.5, 2];

const cases: Case[] = [
  { name: 'Add (broadcast)', specs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], build: (a, b) => op.add(a, b), dtype: 'float64' },
  { name: 'Sub (broadcast)', specs: [{ shape: [3, 4] }, { shape: [4] }], build: (a, b) => op.sub(a, b), dtype: 'float64' },
  { name: 'Mul (broadcast)', specs: [{ shape: [2, 1, 4] }, { shape: [3, 1] }], build: (a, b) => op.mul(a, b), dtype: 'float64' },
  { name: 'Div (broadcast)', specs: [{ shape: [3, 4] }, { shape: [4], range: pos }], build: (a, b) => op.div(a, b), dtype: 'float64' },
  { name: 'Pow', specs: [{ shape: [3, 4], range: pos }, { shape: [3, 4] }], build: (a, b) => op.pow(a, b), dtype: 'float64' },
  { name: 'Max (broadcast)', specs: [{ shape: [3, 4] }, { shape: [4] }], build: (a, b) => op.max(a, b), dtype: 'float64' },
  { name: 'Min', specs: [{ shape: [3, 4] }, { shape: [3, 4] }], build: (a, b) => op.min(a, b), dtype: 'float64' },
  { name: 'Neg', specs: [{ shape: [5] }], build: (a) => op.neg(a), dtype: 'float64' },
  { name: 'Sqrt', specs: [{ shape: [5], range: pos }], build: (a) => op.sqrt(a), dtype: 'float64' },
  { name: 'Exp', specs: [{ shape: [5] }], build: (a) => op.exp(a), dtype: 'float64' },
  { name: 'Log', specs: [{ shape: [5], range: pos }], build: (a) => op.log(a), dtype: 'float64' },
  { name: 'Abs', specs: [{ shape: [4], values: [-1.3, -0.4, 0.7, 2.1] }], build: (a) => op.abs(a), dtype: 'float64' },
  { name: 'Reciprocal', specs: [{ shape: [5], range: pos }], build: (a) => op.reciprocal(a), dtype: 'float64' },
  { name: 'Relu', specs: [{ shape: [6], values: [-1.2, -0.3, 0.4, 0.9, -2, 1.7] }], build: (a) => op.relu(a), dtype: 'float64' },
  { name: 'Sigmoid', specs: [{ shape: [5] }], build: (a) => op.sigmoid(a), dtype: 'float64' },
  { name: 'Tanh', specs: [{ shape: [5] }], build: (a) => op.tanh(a), dtype: 'float64' },
  { name: 'Sin', specs: [{ shape: [5] }], build: (a) => op.sin(a), dtype: 'float64' },
  { name: 'Cos', specs: [{ shape: [5] }], build: (a) => op.cos(a), dtype: 'float64' },
  { name: 'Clip', specs: [{ shape: [6], values: [-0.9, -0.3, 0.1, 0.45, 0.8, -0.6] }], build: (a) => op.clip(a, -0.5, 0.5), dtype: 'float64' },
  {
    name: 'Where (broadcast)',
    specs: [{ shape: [3, 4], constant: { dtype: 'bool', values: [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1] } }, { shape: [3, 4] }, { shape: [4] }],
    build: (c, a, b) => op.where(c, a, b),
    dtype: 'float64',
  },
  { name: 'MatMul (batched, broadcast)', specs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], build: (a, b) => op.matmul(a, b), dtype: 'float64' },
  { name: 'MatMul with a transposed operand (a·bᵀ, as attention scores)', specs: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }], build: (a, b) => op.matmul(a, op.transposeLast(b)), dtype: 'float64' },
  { name: 'MatMul with a transposed operand (aᵀ·b)', specs: [{ shape: [2, 4, 3] }, { shape: [2, 4, 5] }], build: (a, b) => op.matmul(op.transposeLast(a), b), dtype: 'float64' },
  { name: 'Transpose of a transpose (cancelling)', specs: [{ shape: [2, 3, 4] }], build: (a) => op.mul(op.transpose(op.transpose(a, [1, 2, 0]), [2, 0, 1]), a), dtype: 'float64' },
  { name: 'Attention (scaled dot product)', specs: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }, { shape: [2, 5, 3] }], build: (q, k, v) => op.attention(q, k, v), dtype: 'float64' },
  {
    name: 'Attention with a broadcast bias and a given scale',
    specs: [{ shape: [2, 2, 3, 4] }, { shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 3] }, { shape: [2, 1, 3, 5] }],
    build: (q, k, v, bias) => op.attention(q, k, v, { scale: 0.7, bias }),
    dtype: 'float64',
  },
  { name: 'MatMul (both batched)', specs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], build: (a, b) => op.matmul(a, b), dtype: 'float64' },
  {
    name: 'Gemm (transA, transB, alpha, beta, C broadcast)',
    specs: [{ shape: [4, 3] }, { shape: [5, 4] }, { shape: [5] }],
    build: (a, b, c) => op.gemm(a, b, c, { transA: true, transB: true, alpha: 0.7, beta: 1.3 }),
    dtype: 'float64',
  },
  { name: 'Gemm (plain)', specs: [{ shape: [3, 4] }, { shape: [4, 2] }, { shape: [3, 2] }], build: (a, b, c) => op.gemm(a, b, c), dtype: 'float64' },
  { name: 'Linear', specs: [{ shape: [2, 3, 4] }, { shape: [5, 4] }, { shape: [5] }], build: (x, w, b) => op.linear(x, w, b), dtype: 'float64' },
  { name: 'Reshape', specs: [{ shape: [2, 6] }], build: (a) => op.mul(op.reshape(a, [3, -1]), op.reshape(a, [3, 4])), dtype: 'float64' },
  { name: 'Transpose', specs: [{ shape: [2, 3, 4] }], build: (a) => op.transpose(a, [2, 0, 1]), dtype: 'float64' },
  { name: 'Squeeze / Unsqueeze', specs: [{ shape: [3, 1, 2] }], build: (a) => op.unsqueeze(op.squeeze(a, [1]), [0, 3]), dtype: 'float64' },
  { name: 'Concat', specs: [{ shape: [2, 3] }, { shape: [2, 2] }], build: (a, b) => op.concat([a, b, a], 1), dtype: 'float64' },
  { name: 'Split (one piece unused)', specs: [{ shape: [5, 2] }], build: (a) => op.split(a, [2, 1, 2], 0)[2], dtype: 'float64' },
  { name: 'Slice (unit step)', specs: [{ shape: [4, 5] }], build: (a) => op.slice(a, [1, -4], [3, 100], [0, 1]), dtype: 'float64' },
  { name: 'Slice (step 2, negative step)', specs: [{ shape: [5, 4] }], build: (a) => op.slice(a, [0, 3], [5, 0], [0, 1], [2, -1]), dtype: 'float64' },
  {
    name: 'Gather (repeated indices)',
    specs: [{ shape: [4, 3] }, { shape: [2, 2], constant: { dtype: 'int64', values: [3, 0, 3, 1] } }],
    build: (a, i) => op.gather(a, i, 0),
    dtype: 'float64',
  },
  {
    name: 'Gather (inner axis)',
    specs: [{ shape: [2, 4, 3] }, { shape: [3], constant: { dtype: 'int64', values: [2, 2, 0] } }],
    build: (a, i) => op.gather(a, i, 1),
    dtype: 'float64',
  },
  { name: 'Expand', specs: [{ shape: [3, 1] }], build: (a) => op.expand(a, [2, 3, 4]), dtype: 'float64' },
  { name: 'Tile', specs: [{ shape: [2, 3] }], build: (a) => op.tile(a, [2, 3]), dtype: 'float64' },
  { name: 'Pad', specs: [{ shape: [2, 3] }], build: (a) => op.pad(a, [1, 0, 2, 3]), dtype: 'float64' },
  { name: 'ReduceSum over leading axes (column sums as a 1-row Gemm)', specs: [{ shape: [2, 3, 4] }], build: (a) => op.reduceSum(a, [0, 1], true), dtype: 'float32' },
  { name: 'ReduceSum', specs: [{ shape: [2, 3, 4] }], build: (a) => op.reduceSum(a, [0, 2], true), dtype: 'float64' },
  { name: 'ReduceMean', specs: [{ shape: [2, 3, 4] }], build: (a) => op.reduceMean(a, [1]), dtype: 'float64' },
  { name: 'ReduceMax', specs: [{ shape: [3, 4] }], build: (a) => op.reduceMax(a, [1]), dtype: 'float64' },
  { name: 'Softmax', specs: [{ shape: [3, 5] }], build: (a) => op.softmax(a, -1), dtype: 'float64' },
  { name: 'LogSoftmax', specs: [{ shape: [3, 5] }], build: (a) => op.logSoftmax(a, 0), dtype: 'float64' },
  {
    name: 'LayerNormalization',
    specs: [{ shape: [2, 3, 6] }, { shape: [6], range: pos }, { shape: [6] }],
    build: (x, s, b) => op.layerNorm(x, s, b, 1e-5),
    dtype: 'float64',
  },
  {
    // A residual sum is normalised through a 2-D view (keeps onnxruntime's slow SkipLayerNorm away).
    name: 'LayerNormalization of a sum (residual)',
    specs: [{ shape: [2, 3, 6] }, { shape: [2, 3, 6] }, { shape: [6], range: pos }, { shape: [6] }],
    build: (x, r, s, b) => op.layerNorm(op.add(x, r), s, b, 1e-5),
    dtype: 'float64',
  },
  {
    name: 'LayerNorm2d',
    specs: [{ shape: [2, 4, 3, 3] }, { shape: [4], range: pos }, { shape: [4] }],
    build: (x, w, b) => op.layerNorm2d(x, w, b),
    dtype: 'float64',
  },
  { name: 'Erf', specs: [{ shape: [6] }], build: (a) => op.erf(a), dtype: 'float32' },
  { name: 'GELU', specs: [{ shape: [6], range: [-2, 2] }], build: (a) => op.gelu(a), dtype: 'float32' },
  // Its own gradient rule (not the chain rule): check the tails, where e^(x²/2) grows large.
  { name: 'GELU (tails)', specs: [{ shape: [12], range: [-7, 7] }], build: (a) => op.gelu(a), dtype: 'float32' },
  { name: 'GELU (two uses, summed)', specs: [{ shape: [6] }], build: (a) => op.add(op.gelu(a), op.mul(op.gelu(op.mul(a, 3)), a)), dtype: 'float32' },
  { name: 'Cast (float32 → float64 → float32)', specs: [{ shape: [4] }], build: (a) => op.cast(op.mul(op.cast(a, 'float64'), 2), 'float32'), dtype: 'float32' },
  {
    name: 'Conv (stride 2, padding 1, bias)',
    specs: [{ shape: [2, 3, 7, 6] }, { shape: [4, 3, 3, 3] }, { shape: [4] }],
    build: (x, w, b) => op.conv2d(x, w, b, { stride: 2, padding: 1 }),
    dtype: 'float32',
  },
  {
    name: 'Conv (groups 2, dilation 2, asymmetric padding)',
    specs: [{ shape: [1, 4, 7, 7] }, { shape: [6, 2, 3, 2] }],
    build: (x, w) => op.conv2d(x, w, null, { groups: 2, dilation: 2, padding: [1, 0, 0, 2] }),
    dtype: 'float32',
  },
  {
    name: 'Conv (patch embedding: kernel = stride)',
    specs: [{ shape: [2, 3, 8, 8] }, { shape: [5, 3, 4, 4] }, { shape: [5] }],
    build: (x, w, b) => op.conv2d(x, w, b, { stride: 4 }),
    dtype: 'float32',
  },
  {
    name: 'ConvTranspose (kernel 2, stride 2, bias)',
    specs: [{ shape: [2, 4, 3, 3] }, { shape: [4, 3, 2, 2] }, { shape: [3] }],
    build: (x, w, b) => op.convTranspose2d(x, w, b, { stride: 2 }),
    dtype: 'float32',
  },
  {
    name: 'ConvTranspose (kernel 3, stride 2, padding 1, output padding 1)',
    specs: [{ shape: [1, 2, 3, 4] }, { shape: [2, 3, 3, 3] }],
    build: (x, w) => op.convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }),
    dtype: 'float32',
  },
  { name: 'Resize (bilinear up)', specs: [{ shape: [1, 2, 3, 4] }], build: (x) => op.resizeBilinear(x, 7, 9), dtype: 'float32' },
  { name: 'Resize (bilinear down)', specs: [{ shape: [2, 1, 8, 6] }], build: (x) => op.resizeBilinear(x, 3, 4), dtype: 'float32' },
];

for (const c of cases) {
  test(`gradient of ${c.name} (${c.dtype})`, async () => {
    const { relErrors } = await gradCheck(c.build, c.specs, { dtype: c.dtype, coords: 24 });
    const tol = c.dtype === 'float64' ? 1e-5 : 2e-2;
    relErrors.forEach((e, i) => assert.ok(e <= tol, `input ${i}: relative error ${e.toExponential(2)} > ${tol}`));
  });
}

test('customGradient: grad uses the rule, and values inside the composite used elsewhere still get theirs', async () => {
  const g = new Graph();
  const x = g.input('x', [3], 'float64');
  const h = op.mul(x, 3);
  // A rule that differs from the chain rule (d(2h)/dx = 6), so the test sees which one ran.
  const y = customGradient(op.mul(h, 2), [x], (dy) => [() => op.mul(dy, op.mul(x, 10))]);
  const [dx] = grad(op.add(op.reduceSum(y), op.reduceSum(h)), [x]);
  g.output('dx', dx);
  const rt = await Runtime.create(serialize(g, { params: 'inputs' }), { threads: 1 });
  const out = (await rt.run({ x: Float64Array.from([1, -2, 0.5]) })).dx.data as Float64Array;
  assert.deepEqual(Array.from(out), [13, -17, 8]); // 10·x from the rule + 3 through h
  await rt.release();
  assert.throws(() => customGradient(x, [x], () => []), /not computed by a node/);
});

test('stopGradient: values pass unchanged, no gradient flows back, and nothing is built behind it', async () => {
  const g = new Graph();
  const x = g.input('x', [4], 'float64');
  const stopped = op.stopGradient(op.exp(x));
  // d/dx Σ x·sg(eˣ) = sg(eˣ) (not eˣ·(1 + x)); d/dx Σ sg(eˣ) = 0.
  const [dx] = grad(op.reduceSum(op.mul(x, stopped)), [x]);
  const nodesBefore = g.nodes.length;
  const [zero] = grad(op.reduceSum(stopped), [x]);
  assert.equal(g.nodes.length, nodesBefore + 2, 'only the loss ReduceSum and the zero gradient (Expand) are added');
  g.output('stopped', stopped);
  g.output('dx', dx);
  g.output('zero', zero);
  const values = [-1.5, 0, 0.25, 2];
  const rt = await Runtime.create(serialize(g, { params: 'inputs' }), { threads: 1 });
  const out = await rt.run({ x: Float64Array.from(values) });
  const stoppedValues = Array.from(out.stopped.data as Float64Array);
  stoppedValues.forEach((v, i) => assert.ok(Math.abs(v - Math.exp(values[i])) <= 1e-12 * Math.exp(values[i]), `exp(${values[i]}) = ${v}`));
  assert.deepEqual(Array.from(out.dx.data as Float64Array), stoppedValues);
  assert.deepEqual(Array.from(out.zero.data as Float64Array), [0, 0, 0, 0]);
  await rt.release();
});

test('layerNorm of a 3-D sum normalises a 2-D view (no SkipLayerNormalization fusion), same values', async () => {
  const g = new Graph();
  const a = g.input('a', [2, 3, 4]);
  const b = g.input('b', [2, 3, 4]);
  const w = g.constant([1, 2, 3, 4], [4]);
  const beta = g.constant([0, 0.5, 0, -0.5], [4]);
  const sum = op.add(a, b);
  g.output('via_view', op.layerNorm(sum, w, beta));
  g.output('direct', op.layerNorm(op.mul(sum, 1), w, beta));
  const ln = g.nodes.filter((n) => n.type === 'LayerNormalization');
  assert.deepEqual(
    ln.map((n) => n.inputs[0]!.shape),
    [
      [6, 4],
      [2, 3, 4],
    ],
  );
  const rt = await Runtime.create(serialize(g, { params: 'inputs' }), { threads: 1 });
  const data = (k: number) => Float32Array.from({ length: 24 }, (_, i) => Math.sin(i * k));
  const out = await rt.run({ a: data(1), b: data(2) });
  const [x, y] = [out.via_view.data as Float32Array, out.direct.data as Float32Array];
  for (let i = 0; i < 24; i++) assert.ok(Math.abs(x[i] - y[i]) < 1e-5, `element ${i}: ${x[i]} vs ${y[i]}`);
  await rt.release();
});
