// Central finite differences against the graph's own gradients, run through onnxruntime.
import { Graph, type Tensor } from '../../src/graph/graph.js';
import { grad } from '../../src/graph/grad.js';
import { serialize } from '../../src/graph/onnx.js';
import * as op from '../../src/graph/ops/index.js';
import { Rng } from '../../src/graph/random.js';
import { Runtime } from '../../src/graph/runtime.js';

export interface InputSpec {
  shape: number[];
  /** Draw values in (lo, hi); default (-1, 1). */
  range?: [number, number];
  /** Fixed values instead of random ones. */
  values?: number[];
  /** Not differentiated (e.g. integer indices or a condition). */
  constant?: { dtype: 'int64' | 'bool'; values: number[] };
}

export interface GradCheckResult {
  /** ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖) over the checked coordinates, per input. */
  relErrors: number[];
}

/**
 * Checks d/dx Σ(f(x)·R) for a random R: the analytic gradient from `grad` against central
 * differences on up to `coords` random coordinates of each float input.
 */
export async function gradCheck(
  build: (...xs: Tensor[]) => Tensor,
  specs: InputSpec[],
  options: { dtype: 'float32' | 'float64'; eps?: number; coords?: number; seed?: number },
): Promise<GradCheckResult> {
  const dtype = options.dtype;
  const rng = new Rng(options.seed ?? 1);
  const g = new Graph();
  const inputs = specs.map((s, i) => {
    if (s.constant) return g.constant(s.constant.values, s.shape, s.constant.dtype);
    return g.input(`x${i}`, s.shape, dtype);
  });
  const y = build(...inputs);
  const r = g.constant(
    Array.from({ length: y.size }, () => rng.uniform(-1, 1)),
    y.shape,
    dtype,
  );
  const loss = op.reduceSum(op.mul(y, r));
  g.output('loss', loss);
  const diffIdx = specs.map((s, i) => (s.constant ? -1 : i)).filter((i) => i >= 0);
  const grads = grad(
    loss,
    diffIdx.map((i) => inputs[i]),
  );
  grads.forEach((t, k) => g.output(`g${k}`, t));
  const lossOnly = await Runtime.create(serialize(g, { params: 'inputs', outputs: ['loss'] }), { threads: 1 });
  const full = await Runtime.create(serialize(g, { params: 'inputs' }), { threads: 1 });

  const values = diffIdx.map((i) => {
    const s = specs[i];
    const n = s.shape.reduce((a, b) => a * b, 1);
    const [lo, hi] = s.range ?? [-1, 1];
    const drawn = s.values ?? Array.from({ length: n }, () => rng.uniform(lo, hi));
    return dtype === 'float64' ? Float64Array.from(drawn) : Float32Array.from(drawn);
  });
  const feeds = () => Object.fromEntries(diffIdx.map((i, k) => [`x${i}`, values[k]]));
  const out = await full.run(feeds());
  const eps = options.eps ?? (dtype === 'float64' ? 1e-6 : 1e-2);
  const relErrors: number[] = [];
  for (let k = 0; k < diffIdx.length; k++) {
    const analytic = out[`g${k}`].data as Float32Array | Float64Array;
    const n = values[k].length;
    const coords = n <= (options.coords ?? 16) ? [...Array(n).keys()] : Array.from({ length: options.coords ?? 16 }, () => rng.int(n));
    let diff = 0;
    let normA = 0;
    let normN = 0;
    for (const c of coords) {
      const orig = values[k][c];
      values[k][c] = orig + eps;
      const plus = Number((await lossOnly.run(feeds())).loss.data[0]);
      values[k][c] = orig - eps;
      const minus = Number((await lossOnly.run(feeds())).loss.data[0]);
      values[k][c] = orig;
      const numeric = (plus - minus) / (2 * eps);
      diff += (analytic[c] - numeric) ** 2;
      normA += analytic[c] ** 2;
      normN += numeric ** 2;
    }
    const scale = Math.max(Math.sqrt(normA), Math.sqrt(normN));
    relErrors.push(scale === 0 ? 0 : Math.sqrt(diff) / scale);
  }
  await lossOnly.release();
  await full.release();
  return { relErrors };
}
