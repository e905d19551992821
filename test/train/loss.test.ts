// The in-graph loss against the same formulas written out in plain TypeScript, on hand-made logits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../../src/graph/grad.js';
import { Graph } from '../../src/graph/graph.js';
import * as op from '../../src/graph/ops/index.js';
import { bilinearMatrix } from '../../src/graph/ops/resize.js';
import { serialize } from '../../src/graph/onnx.js';
import { Rng } from '../../src/graph/random.js';
import { Runtime } from '../../src/graph/runtime.js';
import { type LossWeights, ULTRASAM_LOSS, clickFocusWeights, firstMaxOneHot, maskLoss } from '../../src/train/loss.js';

interface Case {
  b: number;
  k: number;
  side: number;
  logits: Float32Array; // [b, k, side²]
  iouPred: Float32Array; // [b, k]
  target: Float32Array; // [b, side²]: 0/1, or each cell's covered share
  candidates: Float32Array; // [b, k]
  weight: Float32Array; // [b]
  cellWeight?: Float32Array; // [b, side²]: the focal term's weight per cell (absent: 1)
}

/**
 * The loss written out directly (mmdet's focal, non-naive dice with eps 1, MSE; best actual IoU among
 * candidates); the IoU term on the supervised output ('best') or the mean over the candidates. A
 * fractional target enters focal and dice as it is and the actual IoU as cells covered at least half.
 */
function reference(c: Case, iouOutputs: LossWeights['iouOutputs'] = 'best') {
  const n = c.side * c.side;
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  let focal = 0;
  let dice = 0;
  let iou = 0;
  let trueIou = 0;
  let count = 0;
  const chosen: number[] = [];
  for (let i = 0; i < c.b; i++) {
    let best = -1;
    let bestIou = -Infinity;
    const ious: number[] = [];
    for (let j = 0; j < c.k; j++) {
      let inter = 0;
      let pred = 0;
      let tgt = 0;
      for (let p = 0; p < n; p++) {
        const on = c.logits[(i * c.k + j) * n + p] > 0 ? 1 : 0;
        const covered = c.target[i * n + p] >= 0.5 ? 1 : 0;
        inter += on * covered;
        pred += on;
        tgt += covered;
      }
      ious.push(inter / Math.max(pred + tgt - inter, 1e-6));
      if (c.candidates[i * c.k + j] > 0.5 && ious[j] > bestIou) [best, bestIou] = [j, ious[j]];
    }
    chosen.push(best);
    let f = 0;
    let pt = 0;
    let pp = 0;
    let tt = 0;
    for (let p = 0; p < n; p++) {
      const x = c.logits[(i * c.k + best) * n + p];
      const t = c.target[i * n + p];
      const s = sig(x);
      const bce = -(t * Math.log(s) + (1 - t) * Math.log(1 - s));
      const oneMinusPt = (1 - s) * t + s * (1 - t);
      f += (c.cellWeight?.[i * n + p] ?? 1) * bce * (0.25 * t + 0.75 * (1 - t)) * oneMinusPt ** 2;
      pt += s * t;
      pp += s * s;
      tt += t * t;
    }
    const w = c.weight[i];
    focal += (w * f) / n;
    dice += w * (1 - (2 * pt) / (pp + 1 + tt + 1));
    if (iouOutputs === 'best') iou += w * (c.iouPred[i * c.k + best] - bestIou) ** 2;
    else {
      let sum = 0;
      let m = 0;
      for (let j = 0; j < c.k; j++) if (c.candidates[i * c.k + j] > 0.5) [sum, m] = [sum + (c.iouPred[i * c.k + j] - ious[j]) ** 2, m + 1];
      iou += (w * sum) / m;
    }
    trueIou += w * bestIou;
    count += w;
  }
  count = Math.max(count, 1);
  const r = { focal: focal / count, dice: dice / count, iou: iou / count, trueIou: trueIou / count };
  return { ...r, total: 20 * r.focal + r.dice + r.iou, chosen };
}

/** d total / d logits[at] of the written-out loss, by central difference. */
function numericGradient(c: Case, at: number, eps = 1e-2): number {
  const plus = Float32Array.from(c.logits);
  const minus = Float32Array.from(c.logits);
  plus[at] += eps;
  minus[at] -= eps;
  return (reference({ ...c, logits: plus }).total - reference({ ...c, logits: minus }).total) / (2 * eps);
}

/**
 * The case's loss in the graph; with `upsampleTo`, the case's logits are a coarser grid that the graph
 * upsamples to the target's side first (maskTarget 'input', as graph.ts scores them).
 */
async function runGraph(c: Case, weights: LossWeights = ULTRASAM_LOSS, upsampleTo?: { lowSide: number }) {
  const g = new Graph();
  const low = upsampleTo?.lowSide ?? c.side;
  const logits = g.input('logits', [c.b, c.k, low, low]);
  const iouPred = g.input('iou_pred', [c.b, c.k]);
  const l = maskLoss(
    {
      logits: op.resizeBilinear(logits, c.side, c.side),
      iouPred,
      target: g.input('target', [c.b, 1, c.side, c.side]),
      candidates: g.input('candidates', [c.b, c.k]),
      weight: g.input('weight', [c.b]),
      ...(c.cellWeight ? { cellWeight: g.input('cell_weight', [c.b, c.side * c.side]) } : {}),
    },
    weights,
  );
  for (const [name, t] of Object.entries(l)) g.output(name, t);
  const [dLogits, dIou] = grad(l.total, [logits, iouPred]);
  g.output('grad', dLogits);
  g.output('grad_iou', dIou);
  const rt = await Runtime.create(serialize(g, { params: 'inputs' }), { threads: 1 });
  const out = await rt.run({ logits: c.logits, iou_pred: c.iouPred, target: c.target, candidates: c.candidates, weight: c.weight, ...(c.cellWeight ? { cell_weight: c.cellWeight } : {}) });
  await rt.release();
  const scalar = (name: string) => (out[name].data as Float32Array)[0];
  return {
    total: scalar('total'),
    focal: scalar('focal'),
    dice: scalar('dice'),
    iou: scalar('iou'),
    trueIou: scalar('trueIou'),
    grad: out.grad.data as Float32Array,
    gradIou: out.grad_iou.data as Float32Array,
  };
}

/**
 * Three instances of four outputs on 3 × 3 logits, from a seed: instance 0 a single point (outputs
 * 1–3), instance 1 a box (output 0), instance 2 padding. Logits away from 0 (|x| ≥ 0.5) so that
 * finite differences never flip a threshold.
 */
function randomCase(seed: number): Case {
  const rng = new Rng(seed);
  const [b, k, side] = [3, 4, 3];
  const n = side * side;
  return {
    b,
    k,
    side,
    logits: Float32Array.from({ length: b * k * n }, () => (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.5, 4)),
    iouPred: Float32Array.from({ length: b * k }, () => rng.next()),
    target: Float32Array.from({ length: b * n }, () => (rng.next() < 0.4 ? 1 : 0)),
    candidates: Float32Array.from([0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1]),
    weight: Float32Array.from([1, 1, 0]),
  };
}

test('one pixel at logit 0 against a positive target: focal ln2/16, dice 1 − 1/3.25, IoU error 0.3²', async () => {
  const c: Case = {
    b: 1,
    k: 4,
    side: 1,
    logits: Float32Array.from([0, 5, 5, 5]),
    iouPred: Float32Array.from([0.3, 0.9, 0.9, 0.9]),
    target: Float32Array.from([1]),
    candidates: Float32Array.from([1, 0, 0, 0]),
    weight: Float32Array.from([1]),
  };
  const r = await runGraph(c);
  // p = ½: BCE ln 2, α_t = 0.25, (1 − p_t)² = ¼; no pixel above 0, so the actual IoU is 0.
  assert.ok(Math.abs(r.focal - Math.LN2 / 16) < 1e-6, `focal ${r.focal}`);
  assert.ok(Math.abs(r.dice - (1 - 1 / 3.25)) < 1e-6, `dice ${r.dice}`);
  assert.ok(Math.abs(r.iou - 0.09) < 1e-6, `iou ${r.iou}`);
  assert.equal(r.trueIou, 0);
  assert.ok(Math.abs(r.total - (20 * (Math.LN2 / 16) + (1 - 1 / 3.25) + 0.09)) < 1e-5, `total ${r.total}`);
});

test('random logits: every loss part matches the written-out formulas; padding slots do not count', async () => {
  const c = randomCase(11);
  const { b, k, side } = c;
  const n = side * side;
  const want = reference(c);
  const got = await runGraph(c);
  for (const key of ['total', 'focal', 'dice', 'iou', 'trueIou'] as const) {
    assert.ok(Math.abs(got[key] - want[key]) < 1e-5 * Math.max(1, Math.abs(want[key])), `${key}: graph ${got[key]} vs formulas ${want[key]}`);
  }
  assert.ok(want.chosen[0] >= 1, 'a single point is supervised through outputs 1–3');
  assert.equal(want.chosen[1], 0, 'a box through output 0');

  // The gradient reaches only the supervised output of each real instance, and equals the
  // formulas' central difference (the IoU target is piecewise constant: no gradient through it).
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < k; j++) {
      for (let p = 0; p < n; p++) {
        const at = (i * k + j) * n + p;
        const g = got.grad[at];
        if (i === 2 || j !== want.chosen[i]) {
          assert.ok(g === 0, `no gradient into instance ${i} output ${j}, got ${g}`);
          continue;
        }
        const numeric = numericGradient(c, at);
        assert.ok(Math.abs(g - numeric) < 1e-3 + 1e-2 * Math.abs(numeric), `d loss / d logit[${i},${j},${p}]: graph ${g} vs numeric ${numeric}`);
      }
    }
  }
});

test('a coverage target: focal and dice take the shares, the actual IoU the cells covered at least half', async () => {
  const c = randomCase(12);
  const rng = new Rng(13);
  // Shares as lowResCoverage gives them (multiples of 1/16), with exact halves among them.
  c.target = Float32Array.from(c.target, (_, i) => (i % 5 === 0 ? 0.5 : rng.int(17) / 16));
  const want = reference(c);
  const got = await runGraph(c);
  for (const key of ['total', 'focal', 'dice', 'iou', 'trueIou'] as const) {
    assert.ok(Math.abs(got[key] - want[key]) < 1e-5 * Math.max(1, Math.abs(want[key])), `${key}: graph ${got[key]} vs formulas ${want[key]}`);
  }
  // The same case with the shares rounded to cells: a different focal and dice, the same actual IoU.
  const binary = await runGraph({ ...c, target: Float32Array.from(c.target, (t) => (t >= 0.5 ? 1 : 0)) });
  assert.equal(binary.trueIou, got.trueIou);
  assert.ok(Math.abs(binary.focal - got.focal) > 1e-3 && Math.abs(binary.dice - got.dice) > 1e-3, 'the shares reach focal and dice');
  // Gradients against the formulas' central differences, on the supervised outputs.
  const n = c.side * c.side;
  for (let i = 0; i < 2; i++) {
    for (let p = 0; p < n; p++) {
      const at = (i * c.k + want.chosen[i]) * n + p;
      const numeric = numericGradient(c, at);
      assert.ok(Math.abs(got.grad[at] - numeric) < 1e-3 + 1e-2 * Math.abs(numeric), `d loss / d logit[${i},${p}]: graph ${got.grad[at]} vs numeric ${numeric}`);
    }
  }
});

test('logits upsampled to an input-frame target: the written-out loss of the bilinearly upsampled logits, and its gradient on the coarse grid', async () => {
  const coarse = randomCase(21);
  const [low, side] = [coarse.side, 4 * coarse.side];
  // Host upsampling, y = R · x · Rᵀ per output: what postprocessing and the graph's Resize compute.
  const r = bilinearMatrix(low, side);
  const upsample = (x: Float32Array) => {
    const out = new Float32Array(coarse.b * coarse.k * side * side);
    for (let m = 0; m < coarse.b * coarse.k; m++) {
      for (let y = 0; y < side; y++) {
        for (let xo = 0; xo < side; xo++) {
          let v = 0;
          for (let i = 0; i < low; i++) for (let j = 0; j < low; j++) v += r[y * low + i] * x[m * low * low + i * low + j] * r[xo * low + j];
          out[m * side * side + y * side + xo] = v;
        }
      }
    }
    return out;
  };
  const rng = new Rng(22);
  const fine: Case = { ...coarse, side, logits: upsample(coarse.logits), target: Float32Array.from({ length: coarse.b * side * side }, () => (rng.next() < 0.4 ? 1 : 0)) };
  const want = reference(fine);
  const got = await runGraph({ ...fine, logits: coarse.logits }, ULTRASAM_LOSS, { lowSide: low });
  for (const key of ['total', 'focal', 'dice', 'iou', 'trueIou'] as const) {
    assert.ok(Math.abs(got[key] - want[key]) < 1e-5 * Math.max(1, Math.abs(want[key])), `${key}: graph ${got[key]} vs formulas ${want[key]}`);
  }
  assert.equal(got.grad.length, coarse.logits.length, 'the gradient is on the coarse logits');
  // Central differences through the host upsampling, on the supervised outputs' coarse cells, away
  // from thresholds: a step that flips an upsampled pixel's sign changes the actual IoU.
  const total = (x: Float32Array) => reference({ ...fine, logits: upsample(x) }).total;
  const n = low * low;
  let checked = 0;
  for (let i = 0; i < 2; i++) {
    for (let p = 0; p < n; p++) {
      const at = (i * coarse.k + want.chosen[i]) * n + p;
      const eps = 1e-3;
      const plus = Float32Array.from(coarse.logits);
      const minus = Float32Array.from(coarse.logits);
      plus[at] += eps;
      minus[at] -= eps;
      const flips = upsample(plus).some((v, q) => Math.sign(v) !== Math.sign(upsample(minus)[q]));
      if (flips) continue;
      const numeric = (total(plus) - total(minus)) / (2 * eps);
      assert.ok(Math.abs(got.grad[at] - numeric) < 1e-3 + 1e-2 * Math.abs(numeric), `d loss / d logit[${i},${p}]: graph ${got.grad[at]} vs numeric ${numeric}`);
      checked++;
    }
  }
  assert.ok(checked >= 6, `${checked} cells checked`);
});

test("iouOutputs 'candidates': the IoU term is the mean over every candidate's squared error, and each candidate's predicted IoU gets its gradient", async () => {
  const c = randomCase(5);
  const { b, k } = c;
  const best = reference(c, 'best');
  const want = reference(c, 'candidates');
  const got = await runGraph(c, { ...ULTRASAM_LOSS, iouOutputs: 'candidates' });
  assert.ok(Math.abs(want.iou - best.iou) > 1e-3, 'the case tells the two rules apart');
  for (const key of ['total', 'focal', 'dice', 'iou', 'trueIou'] as const) {
    assert.ok(Math.abs(got[key] - want[key]) < 1e-5 * Math.max(1, Math.abs(want[key])), `${key}: graph ${got[key]} vs formulas ${want[key]}`);
  }
  // d total / d iouPred[i, j] = 2 (pred − actual) · w_i / (count · candidates_i) on candidates, 0 elsewhere.
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < k; j++) {
      const eps = 1e-3;
      const plus = Float32Array.from(c.iouPred);
      const minus = Float32Array.from(c.iouPred);
      plus[i * k + j] += eps;
      minus[i * k + j] -= eps;
      const numeric = (reference({ ...c, iouPred: plus }, 'candidates').total - reference({ ...c, iouPred: minus }, 'candidates').total) / (2 * eps);
      const g = got.gradIou[i * k + j];
      assert.ok(Math.abs(g - numeric) < 1e-4, `d loss / d iou[${i},${j}]: graph ${g} vs numeric ${numeric}`);
      if (c.candidates[i * k + j] > 0.5 && c.weight[i] > 0) assert.ok(Math.abs(g) > 0, `candidate ${j} of instance ${i} gets a gradient`);
    }
  }
});

test('click focus: 1 + weight · Σ exp(−d²/2r²) over the clicks (labels 0 and 1) at the cell centres, and the focal term weighted by it', async () => {
  // Two prompts of five tokens on a 4 × 4 grid over a 16-pixel input (cells of 4 pixels, centres 2, 6, 10, 14).
  const coords = Float32Array.from([3, 5, 9, 9, 0, 0, 15, 15, 7, 1, /**/ 14, 2, 2, 14, 6, 6, 10, 10, 1, 1]);
  const labels = Float32Array.from([1, 0, 2, 3, -1, /**/ -2, 1, -1, 0, 0]);
  const focus = { weight: 3, radius: 2.5 };
  const g = new Graph();
  const w = clickFocusWeights(g.input('coords', [2, 5, 2]), g.input('labels', [2, 5]), 4, 16, focus);
  g.output('w', w);
  const rt = await Runtime.create(serialize(g, { params: 'inputs' }), { threads: 1 });
  const got = (await rt.run({ coords, labels })).w.data as Float32Array;
  await rt.release();
  assert.deepEqual(w.shape, [2, 16]);
  const expected = (i: number, cell: number, fromToken: number) => {
    const [cx, cy] = [(cell % 4) * 4 + 2, Math.floor(cell / 4) * 4 + 2];
    let near = 0;
    for (let t = fromToken; t < 5; t++) {
      const label = labels[i * 5 + t];
      if (label !== 0 && label !== 1) continue;
      const d2 = (coords[(i * 5 + t) * 2] - cx) ** 2 + (coords[(i * 5 + t) * 2 + 1] - cy) ** 2;
      near += Math.exp(-d2 / (2 * focus.radius ** 2));
    }
    return 1 + focus.weight * near;
  };
  for (let i = 0; i < 2; i++) {
    for (let cell = 0; cell < 16; cell++) assert.ok(Math.abs(got[i * 16 + cell] - expected(i, cell, 0)) < 1e-5, `prompt ${i}, cell ${cell}: ${got[i * 16 + cell]} vs ${expected(i, cell, 0)}`);
  }
  // The click at (3, 5) and its nearest centre (2, 6): d² = 2; the box corner at (15, 15) adds nothing to cell 15.
  assert.ok(Math.abs(got[4] - (1 + 3 * (Math.exp(-2 / 12.5) + Math.exp(-(49 + 9) / 12.5)))) < 1e-5);
  assert.throws(() => clickFocusWeights(g.input('c2', [1, 1, 2]), g.input('l2', [1, 1]), 4, 16, { weight: 1, radius: 0 }), /radius > 0/);
  // Corrective clicks only: the first prompt's two tokens (prompt 0's point at (3, 5), prompt 1's click at (2, 14)) leave no trace.
  const g2 = new Graph();
  g2.output('w', clickFocusWeights(g2.input('coords', [2, 5, 2]), g2.input('labels', [2, 5]), 4, 16, { ...focus, corrective: true }));
  const rt2 = await Runtime.create(serialize(g2, { params: 'inputs' }), { threads: 1 });
  const corrective = (await rt2.run({ coords, labels })).w.data as Float32Array;
  await rt2.release();
  for (let i = 0; i < 2; i++) {
    for (let cell = 0; cell < 16; cell++)
      assert.ok(Math.abs(corrective[i * 16 + cell] - expected(i, cell, 2)) < 1e-5, `corrective, prompt ${i}, cell ${cell}: ${corrective[i * 16 + cell]} vs ${expected(i, cell, 2)}`);
  }
  assert.ok(
    corrective.slice(0, 16).every((v) => Math.abs(v - 1) < 1e-6),
    'prompt 0 has no corrective click',
  );
  assert.ok(corrective[16 + 12] < got[16 + 12] - 1, "prompt 1's click at (2, 14), token 1, counts only without `corrective`");

  // The loss with those weights: the focal term is the weighted mean; dice and IoU are unchanged.
  const c = randomCase(11);
  const cellWeight = Float32Array.from({ length: c.b * c.side * c.side }, (_, i) => 1 + ((i * 7) % 5));
  const plain = await runGraph(c);
  const weighted = await runGraph({ ...c, cellWeight });
  const ref = reference({ ...c, cellWeight });
  assert.ok(Math.abs(weighted.focal - ref.focal) < 1e-5 * Math.max(1, ref.focal), `${weighted.focal} vs ${ref.focal}`);
  assert.ok(weighted.focal > plain.focal * 1.5);
  assert.ok(Math.abs(weighted.dice - plain.dice) < 1e-6);
});

test('firstMaxOneHot picks the first of tied maxima, one per row', async () => {
  const g = new Graph();
  const x = g.input('x', [3, 4]);
  g.output('y', firstMaxOneHot(x));
  const rt = await Runtime.create(serialize(g, { params: 'inputs' }), { threads: 1 });
  const y = (await rt.run({ x: Float32Array.from([0.2, 0.7, 0.7, 0.1, 5, 5, 5, 5, -1, -3, -0.5, -2]) })).y.data as Float32Array;
  await rt.release();
  assert.deepEqual(Array.from(y), [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]);
});
