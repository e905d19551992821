// The optimiser step as part of the graph: gradients, global-norm clipping and AdamW updates are
// appended after the loss, so one onnxruntime run is one whole training step.
import type { Graph, Tensor } from './graph.js';
import { grad } from './grad.js';
import { add, div, min, mul, sqrt, sub } from './ops/elementwise.js';
import { reduceSum } from './ops/reduce.js';

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

  let grads = grad(loss, trainable);
  const norm = sqrt(grads.map((g) => reduceSum(mul(g, g))).reduce((a, b) => add(a, b)));
  if (options.clipNorm !== undefined) {
    // torch.nn.utils.clip_grad_norm_: scale by min(1, max_norm / (norm + 1e-6)).
    const scale = min(div(options.clipNorm, add(norm, 1e-6)), 1);
    grads = grads.map((g) => mul(g, scale));
  }
  const lr = graph.input(OPTIM.lr, []);
  const stepSize = graph.input(OPTIM.stepSize, []);
  const sqrtBc2 = graph.input(OPTIM.sqrtBc2, []);
  graph.output(OPTIM.loss, loss);
  graph.output(OPTIM.gradNorm, norm);

  trainable.forEach((p, i) => {
    const g = grads[i];
    const m = graph.input(OPTIM.m(p.name), p.shape);
    const v = graph.input(OPTIM.v(p.name), p.shape);
    const mNext = add(mul(m, beta1), mul(g, 1 - beta1));
    const vNext = add(mul(v, beta2), mul(mul(g, g), 1 - beta2));
    const decayed = decay(p.name) && weightDecay > 0 ? sub(p, mul(p, mul(lr, weightDecay))) : p;
    const denom = add(div(sqrt(vNext), sqrtBc2), eps);
    const pNext = sub(decayed, mul(stepSize, div(mNext, denom)));
    graph.output(OPTIM.next(p.name), pNext);
    graph.output(OPTIM.mNext(p.name), mNext);
    graph.output(OPTIM.vNext(p.name), vNext);
  });
  return { graph, trainable, options: { beta1, beta2, eps, weightDecay, clipNorm: options.clipNorm } };
}
