// The optimiser step as part of the graph: gradients, global-norm clipping and AdamW updates are
// appended after the loss, so one onnxruntime run is one whole training step.
import type { Graph, Tensor } from './graph.js';
import { grad } from './grad.js';
import { add, div, min, mul, sqrt, sub } from './ops/elementwise.js';
import { reduceSum } from './ops/reduce.js';
import { concat, reshape, split } from './ops/shape.js';

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

  const grads = grad(loss, trainable);
  const lr = graph.input(OPTIM.lr, []);
  const stepSize = graph.input(OPTIM.stepSize, []);
  const sqrtBc2 = graph.input(OPTIM.sqrtBc2, []);
  const groups = updateGroups(trainable, grads, decay);
  // The squares of the gradients serve both the global norm and the second moment.
  const squares = groups.map((u) => mul(u.g, u.g));
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

  groups.forEach((u, i) => {
    const mNext = add(mul(u.m, beta1), mul(u.g, gCoef));
    const vNext = add(mul(u.v, beta2), mul(squares[i], g2Coef));
    const decayed = u.decayed && keep ? mul(u.p, keep) : u.p;
    const pNext = sub(decayed, mul(div(mNext, add(sqrt(vNext), epsScaled)), stepScaled));
    u.emit(pNext, mNext, vNext);
  });
  return { graph, trainable, options: { beta1, beta2, eps, weightDecay, clipNorm: options.clipNorm } };
}

/**
 * Parameters below this many values are updated together, flattened into one vector per weight-decay
 * setting: a transformer has dozens of biases and norm scales, and onnxruntime's cost per node
 * (≈ 10 µs) outweighs their arithmetic, so ~14 update nodes each cost more than copying them into
 * one buffer and out again.
 */
const GROUP_BELOW = 16384;

/** The tensors one AdamW update reads, and where it writes its results. */
interface UpdateGroup {
  p: Tensor;
  g: Tensor;
  m: Tensor;
  v: Tensor;
  decayed: boolean;
  emit(pNext: Tensor, mNext: Tensor, vNext: Tensor): void;
}

function updateGroups(trainable: Tensor[], grads: Tensor[], decay: (name: string) => boolean): UpdateGroup[] {
  const graph = trainable[0].graph;
  const moments = (p: Tensor) => ({ m: graph.input(OPTIM.m(p.name), p.shape), v: graph.input(OPTIM.v(p.name), p.shape) });
  const single: UpdateGroup[] = [];
  const small = new Map<boolean, number[]>();
  trainable.forEach((p, i) => {
    if (p.size < GROUP_BELOW) {
      const key = decay(p.name);
      small.set(key, [...(small.get(key) ?? []), i]);
      return;
    }
    single.push({
      p,
      g: grads[i],
      ...moments(p),
      decayed: decay(p.name),
      emit(pNext, mNext, vNext) {
        graph.output(OPTIM.next(p.name), pNext);
        graph.output(OPTIM.mNext(p.name), mNext);
        graph.output(OPTIM.vNext(p.name), vNext);
      },
    });
  });
  const grouped = [...small].map(([decayed, members]): UpdateGroup => {
    const ps = members.map((i) => trainable[i]);
    const ms = ps.map(moments);
    const flat = (ts: Tensor[]) => concat(ts.map((t) => reshape(t, [t.size])), 0);
    const unflat = (t: Tensor) => (ps.length === 1 ? [t] : split(t, ps.map((p) => p.size), 0)).map((part, k) => reshape(part, ps[k].shape));
    return {
      p: flat(ps),
      g: flat(members.map((i) => grads[i])),
      m: flat(ms.map((x) => x.m)),
      v: flat(ms.map((x) => x.v)),
      decayed,
      emit(pNext, mNext, vNext) {
        const [pn, mn, vn] = [unflat(pNext), unflat(mNext), unflat(vNext)];
        ps.forEach((p, k) => {
          graph.output(OPTIM.next(p.name), pn[k]);
          graph.output(OPTIM.mNext(p.name), mn[k]);
          graph.output(OPTIM.vNext(p.name), vn[k]);
        });
      },
    };
  });
  return [...single, ...grouped];
}
