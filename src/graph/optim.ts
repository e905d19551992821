// The optimiser step as part of the graph: gradients, global-norm clipping and AdamW updates are
// appended after the loss, so one onnxruntime run is one whole training step.
import type { Graph, Tensor } from './graph.js';
import { grad } from './grad.js';
import { add, div, min, mul, sqrt, sub } from './ops/elementwise.js';
import { reduceSum } from './ops/reduce.js';
import { concat, reshape } from './ops/shape.js';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Which parameters get weight decay (default: all trainable ones, as torch.optim.AdamW). */
  decay?: (name: string) => boolean;
  /** Clip the global L2 norm of all gradients to this value (none when omitted). */
  clipNorm?: number;
}

/** Names the train-step graph uses for optimiser state and per-step scalars. */
export const OPTIM = {
  lr: 'optim.lr',
  /** lr / (1 − β1ᵗ): Adam's first bias correction folded into the step size. */
  stepSize: 'optim.step_size',
  /** √(1 − β2ᵗ): the second bias correction. */
  sqrtBc2: 'optim.sqrt_bc2',
  /** The packed inputs of the parameters with and without weight decay. */
  decayed: 'params.decayed',
  undecayed: 'params.undecayed',
  m: (p: string) => `adam.m.${p}`,
  v: (p: string) => `adam.v.${p}`,
  next: (p: string) => `${p}.next`,
  mNext: (p: string) => `adam.m.${p}.next`,
  vNext: (p: string) => `adam.v.${p}.next`,
  gradNorm: 'grad_norm',
  loss: 'loss',
} as const;

export interface TrainStep {
  graph: Graph;
  /** The parameters updated by the step, in order. */
  trainable: Tensor[];
  /** How they are packed into flat buffers (each parameter in exactly one group). */
  groups: ParamGroup[];
  options: Required<Omit<AdamWOptions, 'decay' | 'clipNorm'>> & { clipNorm?: number };
}

/**
 * Appends the backward pass and an AdamW step (PyTorch's torch.optim.AdamW semantics: decoupled
 * weight decay p ← p·(1 − lr·wd), then p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)).
 * Adds per-step scalar inputs (see OPTIM) and outputs `loss`, `grad_norm`, and for each parameter
 * its next value and next moments. Extra outputs already on the graph are kept (metrics).
 */
export function appendAdamW(graph: Graph, loss: Tensor, options: AdamWOptions = {}): TrainStep {
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const eps = options.eps ?? 1e-8;
  const weightDecay = options.weightDecay ?? 0.01;
  const decay = options.decay ?? (() => true);
  const trainable = graph.trainableParams();
  if (trainable.length === 0) throw new Error('appendAdamW: the graph has no trainable parameters');

  const grads = grad(loss, trainable);
  const lr = graph.input(OPTIM.lr, []);
  const stepSize = graph.input(OPTIM.stepSize, []);
  const sqrtBc2 = graph.input(OPTIM.sqrtBc2, []);
  const { groups, updates } = packGroups(graph, trainable, grads, decay);
  // The squares of the gradients serve both the global norm and the second moment.
  const squares = updates.map((u) => mul(u.g, u.g));
  const norm = sqrt(squares.map((sq) => reduceSum(sq)).reduce((a, b) => add(a, b)));
  // torch.nn.utils.clip_grad_norm_ scales every gradient by min(1, max_norm / (norm + 1e-6)); the
  // factor (a scalar) is folded into the moment updates' coefficients instead of a pass over g.
  const clip = options.clipNorm === undefined ? undefined : min(div(options.clipNorm, add(norm, 1e-6)), 1);
  const gCoef = clip ? mul(clip, 1 - beta1) : 1 - beta1;
  const g2Coef = clip ? mul(mul(clip, clip), 1 - beta2) : 1 - beta2;
  // √v̂ + ε = (√v + ε·√(1−β2ᵗ)) / √(1−β2ᵗ), so the step is stepSize·√(1−β2ᵗ) · m / (√v + ε·√(1−β2ᵗ)).
  const epsScaled = mul(sqrtBc2, eps);
  const stepScaled = mul(stepSize, sqrtBc2);
  const keep = weightDecay > 0 ? sub(1, mul(lr, weightDecay)) : undefined;
  graph.output(OPTIM.loss, loss);
  graph.output(OPTIM.gradNorm, norm);

  updates.forEach((u, i) => {
    const mNext = add(mul(u.m, beta1), mul(u.g, gCoef));
    const vNext = add(mul(u.v, beta2), mul(squares[i], g2Coef));
    const decayed = u.decayed && keep ? mul(u.p, keep) : u.p;
    const pNext = sub(decayed, mul(div(mNext, add(sqrt(vNext), epsScaled)), stepScaled));
    graph.output(OPTIM.next(u.name), pNext);
    graph.output(OPTIM.mNext(u.name), mNext);
    graph.output(OPTIM.vNext(u.name), vNext);
  });
  return { graph, trainable, groups, options: { beta1, beta2, eps, weightDecay, clipNorm: options.clipNorm } };
}

/** The flat tensors one AdamW update reads; its outputs are named after `name`. */
interface UpdateGroup {
  name: string;
  p: Tensor;
  g: Tensor;
  m: Tensor;
  v: Tensor;
  decayed: boolean;
}

/** A flat buffer of trainable parameters updated together (see Graph.packParams). */
export interface ParamGroup {
  /** The packed input's name; moments and outputs are named after it (OPTIM.m(name), ...). */
  name: string;
  params: Tensor[];
}

/**
 * The trainable parameters packed into one flat buffer per weight-decay setting, so the update runs
 * as ~14 passes over each buffer instead of ~14 nodes per parameter (onnxruntime's fixed cost per
 * node outweighs the arithmetic of a bias; docs/benchmarks.md), and a step binds six buffers, not
 * three per parameter. The gradients are concatenated to match (one pass).
 */
function packGroups(graph: Graph, trainable: Tensor[], grads: Tensor[], decay: (name: string) => boolean): { groups: ParamGroup[]; updates: UpdateGroup[] } {
  const byDecay = new Map<boolean, number[]>();
  trainable.forEach((p, i) => {
    const key = decay(p.name);
    if (!byDecay.has(key)) byDecay.set(key, []);
    byDecay.get(key)!.push(i);
  });
  const groups: ParamGroup[] = [];
  const updates = [...byDecay].map(([decayed, members]): UpdateGroup => {
    const name = decayed ? OPTIM.decayed : OPTIM.undecayed;
    const params = members.map((i) => trainable[i]);
    groups.push({ name, params });
    const p = graph.packParams(name, params);
    const flatGrads = members.map((i) => reshape(grads[i], [grads[i].size]));
    return {
      name,
      p,
      g: concat(flatGrads, 0),
      m: graph.input(OPTIM.m(name), p.shape),
      v: graph.input(OPTIM.v(name), p.shape),
      decayed,
    };
  });
  return { groups, updates };
}
