// UltraSam's mask loss, in the graph, on the low-resolution logits or, with maskTarget 'input', on the
// logits upsampled to the input frame (graph.ts) (the reference's SAMHead.loss_by_feat
// with mmdet's losses):
//   20 × sigmoid focal (γ 2, α 0.25; mean over every pixel of every instance)
//  + 1 × dice (mmdet's non-naive form, eps 1: 1 − 2Σpt / (Σp² + eps + Σt² + eps), mean over instances)
//  + 1 × IoU-MSE (the predicted IoU against the actual IoU of the thresholded mask, mean over instances).
// Of the outputs an instance may use, only the one with the highest actual IoU to the target is
// supervised — and, in the reference, its predicted IoU alone. `iouOutputs: 'candidates'` supervises
// the predicted IoU of every output the instance may use instead (SAM 2's supervise_all_iou): with
// the best output's alone, the IoU head never learns that the others are worse, and a lone click's
// default output (the highest predicted IoU) is the wrong candidate far more often than needed.
// The actual IoU is computed from `logit > 0` (= sigmoid > 0.5): a comparison, through which the
// engine's autodiff passes no gradient, so the IoU target needs no explicit stop-gradient.
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { squaredCellDistances } from '../model/mask_decoder.js';

export interface LossWeights {
  focal: number;
  dice: number;
  iou: number;
  /** Focal loss γ and α. */
  gamma: number;
  alpha: number;
  /** Smoothing added to each of the dice denominator's sums (mmdet's eps). */
  diceEps: number;
  /** Whose predicted IoU is supervised: the supervised output's ('best', the reference) or every candidate's (mean over them). */
  iouOutputs: 'best' | 'candidates';
  /** Focal weight around the prompt's clicks (clickFocusWeights); absent: every cell weighs the same. */
  clickFocus?: ClickFocus;
}

/**
 * Extra focal weight on the cells around each click of the prompt: 1 + weight · Σ exp(−d² / 2r²),
 * d the distance in input pixels from the cell's centre to a click (labels 0 and 1; box corners,
 * padding and empty slots take no part). The plain loss weighs a click in a thin error region like
 * the few cells it covers, so a decoder may leave the clicked pixel wrong; this makes the user's
 * clicks the cells it must get right.
 */
export interface ClickFocus {
  weight: number;
  /** r, in input pixels. */
  radius: number;
  /**
   * Only the corrective clicks: the prompt tokens after the first prompt's two (its point and the
   * padding point, or the box corners; clicks.ts writes corrective clicks from token 2 on).
   */
  corrective?: boolean;
}

export const ULTRASAM_LOSS: LossWeights = { focal: 20, dice: 1, iou: 1, gamma: 2, alpha: 0.25, diceEps: 1, iouOutputs: 'best' };

export interface MaskLossInputs {
  /** [B, K, H, W] logits of every output, on the target's grid. */
  logits: Tensor;
  /** [B, K] predicted IoUs. */
  iouPred: Tensor;
  /**
   * [B, 1, H, W] the target: 0/1, or each cell's covered share (RunConfig.maskTarget 'coverage'), which
   * focal and dice take as it is; the actual IoU takes the cells covered at least half.
   */
  target: Tensor;
  /** [B, K] 1 where an instance may be supervised through output k (e.g. outputs 1..3 for a single click). */
  candidates: Tensor;
  /** [B] 1 for real instances, 0 for the padding slots of images with fewer instances. */
  weight: Tensor;
  /** [B, H·W] the focal term's weight per cell (clickFocusWeights); absent: 1. */
  cellWeight?: Tensor;
}

export interface MaskLoss {
  total: Tensor;
  focal: Tensor;
  dice: Tensor;
  iou: Tensor;
  /** Mean actual IoU of the supervised outputs: a training metric. */
  trueIou: Tensor;
}

export function maskLoss(inputs: MaskLossInputs, w: LossWeights = ULTRASAM_LOSS): MaskLoss {
  const { logits, iouPred, target, candidates, weight, cellWeight } = inputs;
  const [b, k, h, wd] = logits.shape;
  if (target.shape.join() !== [b, 1, h, wd].join()) throw new Error(`mask loss: target [${target.shape}] does not match logits [${logits.shape}]`);
  if (iouPred.shape.join() !== [b, k].join() || candidates.shape.join() !== [b, k].join() || weight.shape.join() !== [b].join()) {
    throw new Error(`mask loss: iouPred [${iouPred.shape}], candidates [${candidates.shape}] and weight [${weight.shape}] must be [${b},${k}], [${b},${k}], [${b}]`);
  }
  const g = logits.graph;

  // Actual IoU of each output's thresholded mask (no gradient: built from a comparison).
  const predicted = op.cast(op.greater(logits, 0), 'float32');
  const covered = op.cast(op.greaterOrEqual(target, 0.5), 'float32');
  const intersection = op.reduceSum(op.mul(predicted, covered), [2, 3]); // [B, K]
  const union = op.sub(op.add(op.reduceSum(predicted, [2, 3]), op.reduceSum(covered, [2, 3])), intersection);
  const actualIou = op.div(intersection, op.max(union, 1e-6));

  const choice = firstMaxOneHot(op.where(op.greater(candidates, 0.5), actualIou, -1)); // [B, K]
  const pick = (t: Tensor) => op.reduceSum(op.mul(t, choice), [1]); // [B, K] → [B]
  const chosen = op.reduceSum(op.mul(logits, op.reshape(choice, [b, k, 1, 1])), [1]); // [B, H, W]

  const x = op.reshape(chosen, [b, h * wd]);
  const t = op.reshape(target, [b, h * wd]);
  const p = op.sigmoid(x);

  // Binary cross-entropy with logits, in the stable form, weighted by α_t · (1 − p_t)^γ.
  const bce = op.add(op.sub(op.relu(x), op.mul(x, t)), op.log(op.add(op.exp(op.neg(op.abs(x))), 1)));
  const oneMinusPt = op.add(op.mul(op.sub(1, p), t), op.mul(p, op.sub(1, t)));
  const alphaT = op.add(op.mul(t, w.alpha), op.mul(op.sub(1, t), 1 - w.alpha));
  // γ = 2 (the reference's) as a product: exact, and cheaper than Pow.
  const modulator = w.gamma === 2 ? op.mul(oneMinusPt, oneMinusPt) : op.pow(oneMinusPt, g.scalar(w.gamma));
  const focalCells = op.mul(op.mul(bce, alphaT), modulator);
  if (cellWeight && cellWeight.shape.join() !== [b, h * wd].join()) throw new Error(`mask loss: cellWeight [${cellWeight.shape}] must be [${b},${h * wd}]`);
  const focal = op.reduceMean(cellWeight ? op.mul(focalCells, cellWeight) : focalCells, [1]);

  const dice = op.sub(1, op.div(op.mul(op.reduceSum(op.mul(p, t), [1]), 2), op.add(op.add(op.reduceSum(op.mul(p, p), [1]), op.reduceSum(op.mul(t, t), [1])), 2 * w.diceEps)));
  const iouMse = w.iouOutputs === 'best' ? squared(op.sub(pick(iouPred), pick(actualIou))) : candidateMean(squared(op.sub(iouPred, actualIou)), candidates);

  // Mean over the real instances.
  const count = op.max(op.reduceSum(weight), 1);
  const mean = (perInstance: Tensor) => op.div(op.reduceSum(op.mul(perInstance, weight)), count);
  const focalMean = mean(focal);
  const diceMean = mean(dice);
  const iouMean = mean(iouMse);
  const total = op.add(op.add(op.mul(focalMean, w.focal), op.mul(diceMean, w.dice)), op.mul(iouMean, w.iou));
  return { total, focal: focalMean, dice: diceMean, iou: iouMean, trueIou: mean(pick(actualIou)) };
}

/**
 * [B, side·side] focal weights for a side × side target over an imgSize input (ClickFocus), from the
 * prompt's coords [B, N, 2] (input pixels) and labels [B, N]. Built from inputs only: no gradient.
 */
export function clickFocusWeights(coords: Tensor, labels: Tensor, side: number, imgSize: number, focus: ClickFocus): Tensor {
  if (!(focus.weight >= 0 && focus.radius > 0)) throw new Error(`click focus: weight must be ≥ 0 and radius > 0, got ${focus.weight} and ${focus.radius}`);
  const [b, n] = labels.shape;
  const g = coords.graph;
  const cell = imgSize / side;
  const d2 = squaredCellDistances(coords, side, imgSize); // [B, N, side²], in cells
  let isClick = op.cast(op.and(op.greaterOrEqual(labels, 0), op.lessOrEqual(labels, 1)), 'float32'); // [B, N]
  if (focus.corrective)
    isClick = op.mul(
      isClick,
      g.constant(
        Float32Array.from({ length: n }, (_, t) => (t >= 2 ? 1 : 0)),
        [1, n],
      ),
    );
  const near = op.mul(op.exp(op.mul(d2, -(cell * cell) / (2 * focus.radius * focus.radius))), op.reshape(isClick, [b, n, 1]));
  return op.add(op.mul(op.reduceSum(near, [1]), focus.weight), 1);
}

function squared(x: Tensor): Tensor {
  return op.mul(x, x);
}

/** [B, K] values → [B]: the mean over each row's candidates (candidates [B, K] is 0/1, at least one 1 per row). */
function candidateMean(values: Tensor, candidates: Tensor): Tensor {
  return op.div(op.reduceSum(op.mul(values, candidates), [1]), op.max(op.reduceSum(candidates, [1]), 1));
}

/**
 * [B, K] scores → [B, K] one-hot of the first maximum per row (argmax as torch's max(-1) gives it),
 * built from comparisons, so no gradient flows through the choice.
 */
export function firstMaxOneHot(scores: Tensor): Tensor {
  const [, k] = scores.shape;
  const isMax = op.cast(op.greaterOrEqual(scores, op.reduceMax(scores, [1], true)), 'float32');
  // before[b, j] = number of maxima at positions < j: a product with a strictly upper-triangular matrix.
  const upper = new Float32Array(k * k);
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) upper[i * k + j] = 1;
  const before = op.matmul(isMax, scores.graph.constant(upper, [k, k]));
  return op.mul(isMax, op.cast(op.equal(before, 0), 'float32'));
}
