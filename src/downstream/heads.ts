// The task heads on the encoder's output (the neck's image embedding [B, C, g, g], the features
// UltraSam's mask decoder reads) and their losses. Head parameters live under `head.`.
import type { Graph, Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { Rng, fanInUniform } from '../graph/random.js';
import type { SamConfig } from '../model/config.js';

export type Task = 'classify' | 'segment';

/** Width of the segmentation head's hidden maps: light on purpose, the encoder does the work. */
export const SEG_HIDDEN = 32;

export interface HeadSpec {
  task: Task;
  /** Output classes; for segmentation class 0 is background. */
  numClasses: number;
}

/**
 * Classification: mean over the whole embedding grid, then one linear layer → logits [B, K].
 * The neck output (not the last block) is pooled: it is what UltraSam's training shapes, and its
 * LayerNorm2d keeps the pooled features on one scale whatever the init.
 * Segmentation: 1×1 conv → ReLU → bilinear ×4 → 3×3 conv → ReLU → 1×1 conv → bilinear to the
 * input side → logits [B, K, S, S].
 */
export function buildHead(g: Graph, embedding: Tensor, spec: HeadSpec, config: SamConfig): Tensor {
  return g.scope('head', () => {
    if (spec.task === 'classify') {
      const pooled = op.reduceMean(embedding, [2, 3]);
      return op.linear(pooled, g.param('fc.weight', [spec.numClasses, embedding.shape[1]]), g.param('fc.bias', [spec.numClasses]));
    }
    const conv = (name: string, x: Tensor, out: number, k: number) => op.conv2d(x, g.param(`${name}.weight`, [out, x.shape[1], k, k]), g.param(`${name}.bias`, [out]), { padding: (k - 1) / 2 });
    const [, , gh, gw] = embedding.shape;
    let x = op.relu(conv('reduce', embedding, SEG_HIDDEN, 1));
    x = op.resizeBilinear(x, 4 * gh, 4 * gw);
    x = op.relu(conv('refine', x, SEG_HIDDEN, 3));
    x = conv('classifier', x, spec.numClasses, 1);
    const s = config.imageEncoder.imgSize;
    return op.resizeBilinear(x, s, s);
  });
}

/** PyTorch's default init for the head's layers (uniform ±1/√fan_in), seeded. */
export function initHead(spec: HeadSpec, config: SamConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const c = config.imageEncoder.outChans;
  const layers: [string, number[]][] =
    spec.task === 'classify'
      ? [['fc', [spec.numClasses, c]]]
      : [
          ['reduce', [SEG_HIDDEN, c, 1, 1]],
          ['refine', [SEG_HIDDEN, SEG_HIDDEN, 3, 3]],
          ['classifier', [spec.numClasses, SEG_HIDDEN, 1, 1]],
        ];
  const values = new Map<string, Float32Array>();
  for (const [name, shape] of layers) {
    const fanIn = shape.slice(1).reduce((a, d) => a * d, 1);
    values.set(`head.${name}.weight`, fanInUniform(rng, shape, fanIn));
    values.set(`head.${name}.bias`, fanInUniform(rng, [shape[0]], fanIn));
  }
  return values;
}

/**
 * Classification loss: cross-entropy weighted per image (`weight` [B]: the class weight, 0 for the
 * padding slots of a last, partial batch), normalised by the weight sum.
 */
export function classificationLoss(g: Graph, logits: Tensor): Tensor {
  const [b, k] = logits.shape;
  const target = g.input('target', [b, k]);
  const weight = g.input('weight', [b]);
  const nll = op.neg(op.reduceSum(op.mul(target, op.logSoftmax(logits, -1)), [1]));
  return op.div(op.reduceSum(op.mul(nll, weight)), op.add(op.reduceSum(weight), 1e-12));
}

/**
 * Segmentation loss: pixel cross-entropy plus soft Dice (mean over classes, background included),
 * both over the pixels with `weight` [B, S, S] > 0 — the image, not SAM's zero padding.
 */
export function segmentationLoss(g: Graph, logits: Tensor): Tensor {
  const [b, k, s] = logits.shape;
  const target = g.input('target', [b, k, s, s]);
  const weight = g.input('weight', [b, s, s]);
  const nll = op.neg(op.reduceSum(op.mul(target, op.logSoftmax(logits, 1)), [1]));
  const ce = op.div(op.reduceSum(op.mul(nll, weight)), op.add(op.reduceSum(weight), 1e-12));
  const w = op.unsqueeze(weight, [1]);
  const probs = op.mul(op.softmax(logits, 1), w);
  const inter = op.reduceSum(op.mul(probs, target), [0, 2, 3]);
  const sizes = op.add(op.reduceSum(probs, [0, 2, 3]), op.reduceSum(op.mul(target, w), [0, 2, 3]));
  const dice = op.reduceMean(op.sub(1, op.div(op.add(op.mul(inter, 2), 1), op.add(sizes, 1))));
  return op.add(ce, dice);
}
