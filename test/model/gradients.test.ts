// The model stays trainable: the engine's gradients of the encoder and decoder graphs with respect to
// every trainable parameter agree with central finite differences (one random direction per
// parameter tensor), on the tiny config.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../../src/graph/grad.js';
import type { Graph } from '../../src/graph/graph.js';
import { serialize } from '../../src/graph/onnx.js';
import * as op from '../../src/graph/ops/index.js';
import { Rng, normalArray } from '../../src/graph/random.js';
import { Runtime } from '../../src/graph/runtime.js';
import { buildDecoderGraph, buildEncoderGraph } from '../../src/model/sam.js';
import { randomWeights, tinyConfig } from './tiny.js';

/**
 * Adds loss = Σ outputᵢ · Rᵢ over the graph's outputs and checks d loss / d θ · u against
 * (loss(θ + εu) − loss(θ − εu)) / 2ε for every trainable parameter θ and a random direction u.
 */
async function checkGradients(g: Graph, inputs: Record<string, Float32Array>, seed: number): Promise<string[]> {
  const rng = new Rng(seed);
  const terms = [...g.outputs.values()].map((t) => op.reduceSum(op.mul(t, g.constant(normalArray(rng, t.size), t.shape))));
  const loss = terms.reduce((a, b) => op.add(a, b));
  g.output('loss', loss);
  const params = g.trainableParams();
  grad(loss, params).forEach((t, i) => g.output(`grad_${i}`, t));
  const lossOnly = await Runtime.create(serialize(g, { params: 'inputs', outputs: ['loss'] }), { threads: 1 });
  const full = await Runtime.create(serialize(g, { params: 'inputs' }), { threads: 1 });

  const weights = randomWeights(tinyConfig(), seed);
  const feeds: Record<string, Float32Array> = { ...inputs };
  for (const p of params) feeds[p.name] = weights.get(p.name)!.data;
  for (const [name, spec] of g.params) if (!spec.trainable) feeds[name] = weights.get(name)!.data;
  const lossAt = async (f: Record<string, Float32Array>) => ((await lossOnly.run(f)).loss.data as Float32Array)[0];
  const analytic = await full.run(feeds);

  // A ReLU kink within the step spoils a difference quotient, so a few steps are tried: a wrong
  // gradient disagrees at every step.
  const steps = [1e-3, 3e-4, 3e-3];
  const failures: string[] = [];
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const base = feeds[p.name];
    const u = normalArray(rng, base.length);
    const gradient = analytic[`grad_${i}`].data as Float32Array;
    let directional = 0;
    for (let k = 0; k < u.length; k++) directional += gradient[k] * u[k];
    const numerics: number[] = [];
    for (const eps of steps) {
      const shifted = (sign: number) => base.map((v, k) => v + sign * eps * u[k]);
      const numeric = ((await lossAt({ ...feeds, [p.name]: shifted(1) })) - (await lossAt({ ...feeds, [p.name]: shifted(-1) }))) / (2 * eps);
      numerics.push(numeric);
      if (Math.abs(directional - numeric) <= 1e-2 * Math.max(Math.abs(directional), Math.abs(numeric)) + 1e-3) break;
      if (numerics.length === steps.length) {
        failures.push(`${p.name}: analytic ${directional.toFixed(5)} vs numeric ${numerics.map((n) => n.toFixed(5)).join(', ')}`);
      }
    }
  }
  await lossOnly.release();
  await full.release();
  return failures;
}

test('image encoder gradients match finite differences for every parameter (padded windows, interpolated tables)', async () => {
  const config = tinyConfig();
  const g = buildEncoderGraph(config);
  const rng = new Rng(3);
  const image = normalArray(rng, 3 * 64 * 64);
  const failures = await checkGradients(g, { image }, 11);
  assert.deepEqual(failures, []);
  assert.ok(g.trainableParams().some((p) => p.name.endsWith('blocks.1.attn.rel_pos_h')));
});

test('decoder gradients match finite differences for every parameter (mask input, multimask; and UltraSam, no mask)', async () => {
  const config = tinyConfig();
  const rng = new Rng(5);
  const embedding = normalArray(rng, 16 * 4 * 4);
  const coords = Float32Array.from([10.5, 20.5, 40.5, 30.5, 5.5, 6.5, 60.5, 50.5]);
  const labels = Float32Array.from([1, 0, 2, 3]);
  const variants = [
    { hasMaskInput: true, multimask: true, ultrasam: false },
    { hasMaskInput: false, multimask: false, ultrasam: true },
  ];
  for (const v of variants) {
    const g = buildDecoderGraph(config, { numPoints: 4, ...v });
    const inputs: Record<string, Float32Array> = { image_embedding: embedding, point_coords: coords, point_labels: labels };
    if (v.hasMaskInput) inputs.mask_input = normalArray(rng, 16 * 16);
    const failures = await checkGradients(g, inputs, 13);
    assert.deepEqual(failures, [], JSON.stringify(v));
  }
});
