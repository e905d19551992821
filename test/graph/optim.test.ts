// The in-graph AdamW step against a plain float64 implementation of torch.optim.AdamW with
// torch.nn.utils.clip_grad_norm_, on parameters whose gradients are known in closed form.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../src/graph/graph.js';
import * as op from '../../src/graph/ops/index.js';
import { appendAdamW } from '../../src/graph/optim.js';
import { Rng, normalArray } from '../../src/graph/random.js';
import { type ParamStore, Trainer } from '../../src/graph/trainer.js';

interface Case {
  name: string;
  shape: number[];
  /** Whether the loss is Σ c·p² (gradient 2·c·p) rather than Σ c·p (gradient c). */
  squared: boolean;
  decayed: boolean;
}

// Small parameters of both decay settings (updated as flattened groups) beside one large one
// (updated alone), so both update paths are compared with the reference.
const cases: Case[] = [
  { name: 'norm.bias', shape: [5], squared: false, decayed: false },
  { name: 'norm.weight', shape: [7], squared: true, decayed: false },
  { name: 'head.weight', shape: [3, 4], squared: true, decayed: true },
  { name: 'head.bias', shape: [3], squared: false, decayed: true },
  { name: 'big.weight', shape: [130, 130], squared: true, decayed: true },
];

function reference(init: ParamStore, coef: ParamStore, opts: { lr: number; wd: number; clip: number; steps: number }) {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const p = new Map([...init].map(([k, v]) => [k, Float64Array.from(v)]));
  const m = new Map([...init].map(([k, v]) => [k, new Float64Array(v.length)]));
  const v = new Map([...init].map(([k, x]) => [k, new Float64Array(x.length)]));
  const norms: number[] = [];
  for (let t = 1; t <= opts.steps; t++) {
    const grads = new Map(cases.map((c) => [c.name, p.get(c.name)!.map((x, i) => (c.squared ? 2 * coef.get(c.name)![i] * x : coef.get(c.name)![i]))]));
    const norm = Math.sqrt([...grads.values()].reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
    norms.push(norm);
    const scale = Math.min(1, opts.clip / (norm + 1e-6));
    for (const c of cases) {
      const [pp, mm, vv, g] = [p.get(c.name)!, m.get(c.name)!, v.get(c.name)!, grads.get(c.name)!];
      for (let i = 0; i < pp.length; i++) {
        const gi = g[i] * scale;
        if (c.decayed) pp[i] *= 1 - opts.lr * opts.wd;
        mm[i] = b1 * mm[i] + (1 - b1) * gi;
        vv[i] = b2 * vv[i] + (1 - b2) * gi * gi;
        const denom = Math.sqrt(vv[i]) / Math.sqrt(1 - b2 ** t) + eps;
        pp[i] -= (opts.lr / (1 - b1 ** t)) * (mm[i] / denom);
      }
    }
  }
  return { p, m, v, norms };
}

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / Math.max(scale, 1e-12);
}

test('AdamW with clipping and selective weight decay matches torch.optim.AdamW (float64 reference)', async () => {
  const rng = new Rng(5);
  const g = new Graph();
  const init: ParamStore = new Map();
  const coef: ParamStore = new Map();
  let loss: ReturnType<typeof op.add> | undefined;
  for (const c of cases) {
    const size = c.shape.reduce((a, b) => a * b, 1);
    const p = g.param(c.name, c.shape);
    init.set(c.name, normalArray(rng, size));
    coef.set(c.name, normalArray(rng, size));
    const k = g.constant(coef.get(c.name)!, c.shape);
    const term = op.reduceSum(op.mul(k, c.squared ? op.mul(p, p) : p));
    loss = loss ? op.add(loss, term) : term;
  }
  const opts = { lr: 0.01, wd: 0.1, clip: 0.5, steps: 4 };
  const spec = appendAdamW(g, loss!, {
    weightDecay: opts.wd,
    clipNorm: opts.clip,
    decay: (name) => cases.find((c) => c.name === name)!.decayed,
  });
  const trainer = await Trainer.create(spec, init, { threads: 1 });
  const norms: number[] = [];
  for (let s = 0; s < opts.steps; s++) norms.push((await trainer.trainStep({}, opts.lr)).gradNorm);
  const ref = reference(init, coef, opts);
  assert.ok(
    ref.norms.every((n) => n > opts.clip),
    'the reference clips every step (the test exercises clipping)',
  );
  assert.ok(maxRelErr(norms, ref.norms) < 1e-5, `grad norms ${norms} vs ${ref.norms}`);
  const { m, v } = trainer.moments();
  const params = trainer.params();
  for (const c of cases) {
    for (const [what, got, want] of [
      ['parameter', params.get(c.name)!, ref.p.get(c.name)!],
      ['m', m.get(c.name)!, ref.m.get(c.name)!],
      ['v', v.get(c.name)!, ref.v.get(c.name)!],
    ] as const) {
      const err = maxRelErr(got, want);
      assert.ok(err < 2e-5, `${what} of ${c.name}: relative error ${err}`);
    }
  }
  await trainer.release();
});
