// A graph serialised once runs in onnxruntime-node and onnxruntime-web (WASM) with the same result;
// parameters can be baked in (inference) or fed (training); unused nodes are dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import onnxProto from 'onnx-proto';
import * as ortWeb from 'onnxruntime-web';
import { Graph } from '../../src/graph/graph.js';
import { serialize, shareInitializers } from '../../src/graph/onnx.js';
import * as op from '../../src/graph/ops/index.js';
import { Rng, normalArray } from '../../src/graph/random.js';
import { type OrtModule, Runtime } from '../../src/graph/runtime.js';

function smallNet() {
  const g = new Graph();
  const x = g.input('x', [1, 3, 8, 8]);
  const w = g.param('conv.weight', [4, 3, 3, 3]);
  const b = g.param('conv.bias', [4]);
  const lnw = g.param('norm.weight', [4]);
  const lnb = g.param('norm.bias', [4]);
  const h = op.layerNorm2d(op.conv2d(x, w, b, { padding: 1 }), lnw, lnb);
  const up = op.resizeBilinear(op.gelu(h), 16, 16);
  g.output('y', op.softmax(op.reshape(up, [1, 4, 256]), -1));
  g.output('unused', op.exp(x));
  const rng = new Rng(5);
  const values = new Map([
    ['conv.weight', normalArray(rng, 108, 0.3)],
    ['conv.bias', normalArray(rng, 4)],
    ['norm.weight', normalArray(rng, 4, 0.1, 1)],
    ['norm.bias', normalArray(rng, 4, 0.1)],
  ]);
  return { g, values, x: normalArray(rng, 192) };
}

test('the same model runs in onnxruntime-node and onnxruntime-web with the same outputs', async () => {
  const { g, values, x } = smallNet();
  const model = serialize(g, { params: 'initializers', values, outputs: ['y'] });
  assert.deepEqual(
    model.signature.inputs.map((i) => i.name),
    ['x'],
  );
  const node = await Runtime.create(model, { threads: 1 });
  ortWeb.env.wasm.numThreads = 1;
  const web = await Runtime.create(model, { ort: ortWeb as unknown as OrtModule, provider: 'wasm' });
  const a = (await node.run({ x })).y.data as Float32Array;
  const b = (await web.run({ x })).y.data as Float32Array;
  assert.equal(a.length, 4 * 256);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  assert.ok(maxDiff < 1e-5, `node vs web max difference ${maxDiff}`);

  // Parameters as inputs give the same result when fed the same values (up to the float
  // rounding of the fusions onnxruntime applies only to constant weights).
  const training = await Runtime.create(serialize(g, { params: 'inputs', outputs: ['y'] }), { threads: 1 });
  const c = (await training.run({ x, ...Object.fromEntries(values) })).y.data as Float32Array;
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - c[i]) <= 1e-6 + 1e-4 * Math.abs(a[i]), `element ${i}: ${a[i]} vs ${c[i]}`);
  await Promise.all([node.release(), web.release(), training.release()]);
});

test('pre-allocated outputs are written in place', async () => {
  const { g, values, x } = smallNet();
  const rt = await Runtime.create(serialize(g, { params: 'initializers', values, outputs: ['y'] }), { threads: 1 });
  const out = rt.allocateOutput('y');
  const result = await rt.run({ x }, { y: out });
  // onnxruntime-node writes into the given buffer (and hands back a copy of it as the result).
  assert.deepEqual(Array.from(out.data as Float32Array), Array.from(result.y.data as Float32Array));
  assert.ok((out.data as Float32Array).some((v) => v !== 0));
  await rt.release();
});

test('outputs take their public names without copies, except where a copy is needed', async () => {
  const g = new Graph();
  const x = g.input('x', [4]);
  const w = g.param('w', [4]);
  const y = op.mul(x, w);
  g.output('y', y);
  g.output('y_again', y); // one value under two names
  g.output('w_out', w); // a parameter returned as is
  const model = serialize(g, { params: 'inputs' });
  const decoded = onnxProto.onnx.ModelProto.decode(model.bytes);
  const identities = decoded.graph!.node!.filter((n) => n.opType === 'Identity').map((n) => n.output![0]);
  assert.deepEqual(identities.sort(), ['w_out', 'y_again']);
  assert.ok(
    decoded.graph!.node!.some((n) => n.opType === 'Mul' && n.output![0] === 'y'),
    "y is the Mul node's own output",
  );
  const rt = await Runtime.create(model, { threads: 1 });
  const out = await rt.run({ x: Float32Array.from([1, 2, 3, 4]), w: Float32Array.from([2, 2, 2, 2]) });
  assert.deepEqual(Array.from(out.y.data as Float32Array), [2, 4, 6, 8]);
  assert.deepEqual(Array.from(out.y_again.data as Float32Array), [2, 4, 6, 8]);
  assert.deepEqual(Array.from(out.w_out.data as Float32Array), [2, 2, 2, 2]);
  await rt.release();
  g.output('x', op.exp(x)); // a public name the input already has
  assert.throws(() => serialize(g, { params: 'inputs' }), /output 'x' has the name of an input or parameter/);
});

test("layerNorm 'primitives': each LayerNormalization written out as primitive ops, with the same output, mean and inverse standard deviation", async () => {
  const rng = new Rng(11);
  const g = new Graph();
  const x = g.input('x', [2, 5, 48]);
  const scale = g.param('scale', [48]);
  const bias = g.param('bias', [48]);
  const { y, mean, invStd } = op.layerNormWithStats(op.mul(x, 3), scale, bias, 1e-6);
  g.output('y', y);
  g.output('mean', mean);
  g.output('inv_std', invStd);
  const values = new Map([
    ['scale', normalArray(rng, 48)],
    ['bias', normalArray(rng, 48)],
  ]);
  const input = Float32Array.from(normalArray(rng, 2 * 5 * 48), (v, i) => v + (i % 7));
  const opsOf = (bytes: Uint8Array) => onnxProto.onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType);
  const kernel = serialize(g, { params: 'initializers', values });
  const primitives = serialize(g, { params: 'initializers', values, layerNorm: 'primitives' });
  assert.ok(opsOf(kernel.bytes).includes('LayerNormalization'));
  assert.deepEqual(
    opsOf(primitives.bytes).filter((t) => t !== 'Mul' && t !== 'Add' && t !== 'Sub'),
    ['ReduceMean', 'ReduceMean', 'Sqrt', 'Reciprocal'],
  );
  const [a, b] = await Promise.all([kernel, primitives].map((m) => Runtime.create(m, { threads: 1, optimization: 'disabled' })));
  const outA = await a.run({ x: input });
  const outB = await b.run({ x: input });
  for (const name of ['y', 'mean', 'inv_std']) {
    const [p, q] = [outA[name].data as Float32Array, outB[name].data as Float32Array];
    assert.equal(p.length, name === 'y' ? 480 : 10, name);
    for (let i = 0; i < p.length; i++) assert.ok(Math.abs(p[i] - q[i]) <= 1e-5 * (1 + Math.abs(p[i])), `${name}[${i}]: ${p[i]} vs ${q[i]}`);
  }
  await Promise.all([a.release(), b.release()]);
});

test('shareInitializers: the large initializers of several models go into one file, each distinct one once; the models read them from it with unchanged outputs', async () => {
  // Two models share a [64, 64] weight (as the strip graphs do, float or quantised); each has a bias of
  // its own under 1 KB (stays inside), and the second a large weight only it holds (goes to the file too).
  const rng = new Rng(13);
  const values = new Map([
    ['shared.weight', normalArray(rng, 64 * 64, 0.2)],
    ['a.bias', normalArray(rng, 64)],
    ['b.bias', normalArray(rng, 64)],
    ['b.weight', normalArray(rng, 64 * 64, 0.2)],
  ]);
  const build = (second: boolean) => {
    const g = new Graph();
    const x = g.input('x', [3, 64]);
    const h = op.linear(x, g.param('shared.weight', [64, 64]), g.param(second ? 'b.bias' : 'a.bias', [64]));
    g.output('y', second ? op.linear(op.gelu(h), g.param('b.weight', [64, 64]), null) : h);
    return g;
  };
  const x = normalArray(rng, 3 * 64);
  ortWeb.env.wasm.numThreads = 1;
  for (const quantize of [undefined, 'int8'] as const) {
    const inline = [build(false), build(true)].map((g) => serialize(g, { params: 'initializers', values, quantize, quantizeOptions: { minElements: 1024 } }).bytes);
    const shared = shareInitializers(inline, 'weights.bin');
    const large = quantize ? 64 * 64 : 64 * 64 * 4; // int8 weights: a byte each (their scales, 256 bytes, stay inside)
    assert.equal(shared.bytes.length, 2 * large, `${quantize ?? 'fp32'}: the shared weight once, b.weight once`);
    for (const [i, model] of shared.models.entries()) {
      const initializers = onnxProto.onnx.ModelProto.decode(model).graph!.initializer!;
      const external = initializers.filter((t) => t.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL);
      assert.equal(external.length, i + 1, `${quantize ?? 'fp32'} model ${i}: ${external.map((t) => t.name).join(', ')}`);
      assert.ok(initializers.every((t) => t.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL || (t.rawData?.length ?? 0) < 1024));
      const sessionOf = (bytes: Uint8Array, externalData?: { path: string; data: Uint8Array }[]) =>
        ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], ...(externalData ? { externalData } : {}) });
      const [plain, split] = await Promise.all([sessionOf(inline[i]), sessionOf(model, [{ path: 'weights.bin', data: shared.bytes }])]);
      const feed = { x: new ortWeb.Tensor('float32', x, [3, 64]) };
      const [a, b] = [(await plain.run(feed)).y.data as Float32Array, (await split.run(feed)).y.data as Float32Array];
      assert.deepEqual(Array.from(b), Array.from(a), `${quantize ?? 'fp32'} model ${i}: outputs differ`);
      await Promise.all([plain.release(), split.release()]);
    }
  }
});
