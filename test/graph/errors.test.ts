// Build-time and run-time errors name the op or parameter and the shapes involved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../src/graph/graph.js';
import { emit } from '../../src/graph/op.js';
import { serialize } from '../../src/graph/onnx.js';
import * as op from '../../src/graph/ops/index.js';
import { Runtime } from '../../src/graph/runtime.js';
import { grad } from '../../src/graph/grad.js';

test('mismatched shapes throw at build time, naming the op, inputs and shapes', () => {
  const g = new Graph();
  const a = g.input('a', [2, 3]);
  const b = g.input('b', [4, 5]);
  assert.throws(() => op.matmul(a, b), /MatMul: inner dimensions differ \(3 vs 4\); inputs a: float32\[2,3\], b: float32\[4,5\]/);
  assert.throws(() => op.add(a, b), /Add: shapes do not broadcast; inputs a: float32\[2,3\], b: float32\[4,5\]/);
  assert.throws(() => op.reshape(a, [4, 2]), /Reshape: cannot reshape 6 elements to \[4,2\]/);
  assert.throws(() => op.concat([a, b], 0), /Concat: shapes differ outside axis 0/);
  const w = g.param('w', [8, 4, 3, 3]);
  assert.throws(() => op.conv2d(g.input('img', [1, 3, 9, 9]), w, null), /Conv: weight expects 4×1 input channels, x has 3; inputs img: float32\[1,3,9,9\], w: float32\[8,4,3,3\]/);
  assert.throws(() => op.add(a, g.input('i', [2, 3], 'int64')), /Add: element types differ \(float32 vs int64\)/);
});

test('an unknown op attribute is rejected, naming the op and the attribute', () => {
  const g = new Graph();
  const x = g.input('x', [2, 3]);
  assert.throws(() => emit('Softmax', [x], { axsi: 1 }, [{ shape: [2, 3], dtype: 'float32' }]), /Softmax: unknown attribute 'axsi' \(accepted: axis\)/);
  assert.throws(() => emit('Frobnicate', [x], {}, [{ shape: [2, 3], dtype: 'float32' }]), /Frobnicate: unknown op/);
});

test('a parameter fed with the wrong size fails naming the parameter and the shapes', async () => {
  const g = new Graph();
  const x = g.input('x', [2, 3]);
  const w = g.param('layer.weight', [4, 3]);
  g.output('y', op.linear(x, w, null));
  const rt = await Runtime.create(serialize(g, { params: 'inputs' }), { threads: 1 });
  await assert.rejects(rt.run({ x: new Float32Array(6), 'layer.weight': new Float32Array(10) }), /parameter 'layer.weight': got 10 values, shape \[4,3\] needs 12/);
  await assert.rejects(rt.run({ x: new Float32Array(6) }), /missing parameter 'layer.weight' \(float32\[4,3\]\)/);
  await assert.rejects(rt.run({ x: new Float64Array(6), 'layer.weight': new Float32Array(12) }), /input 'x': expected float32 data/);
  await assert.rejects(rt.run({ x: new Float32Array(6), 'layer.weight': new Float32Array(12), extra: new Float32Array(1) }), /'extra' is not an input of this model/);
  assert.throws(() => serialize(g, { params: 'initializers', values: new Map([['layer.weight', new Float32Array(5)]]) }), /parameter 'layer.weight' has 5 values, shape \[4,3\] needs 12/);
  await rt.release();
});

test('grad refuses what cannot be differentiated, and a non-scalar loss', () => {
  const g = new Graph();
  const x = g.input('x', [3]);
  assert.throws(() => grad(x, [x]), /the loss must be a single value/);
  const loss = op.reduceSum(op.mul(op.floor(x), x));
  assert.throws(() => grad(loss, [x]), /Floor \(.*\) has no gradient/);
  const idx = g.input('idx', [2], 'int64');
  assert.throws(() => grad(loss, [idx]), /not floating point/);
});

test('an execution provider that is not installed gives a clear error', async () => {
  const g = new Graph();
  g.output('y', op.neg(g.input('x', [1])));
  await assert.rejects(Runtime.create(serialize(g, { params: 'inputs' }), { provider: 'cuda' }), /execution provider 'cuda' is not (installed|available)/);
});

test('packParams names the parameter that cannot be packed', () => {
  const g = new Graph();
  const a = g.param('a', [2]);
  const x = g.input('x', [2]);
  assert.throws(() => g.packParams('flat', [a, x]), /packParams\('flat'\): x is not a parameter/);
  g.packParams('flat', [a]);
  assert.throws(() => g.packParams('again', [a]), /a is already packed in 'flat'/);
});
