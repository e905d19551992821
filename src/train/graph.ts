// The training graph: images (or cached embeddings) → image encoder → one embedding per instance →
// prompt encoder + mask decoder → loss, with every weight a graph parameter under SAM's canonical
// key. An optional refinement pass decodes the same prompts again with the first pass's logits as
// the mask prompt. The same builder gives the forward graph (no loss) that multi-click simulation
// runs between steps.
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { type SamConfig, embeddingGrid, lowResSize, validateConfig } from '../model/config.js';
import { imageEncoder } from '../model/image_encoder.js';
import { fineFeatures } from '../model/mask_decoder.js';
import { FINE_FEATURES, type MaskPrompt, decodePrompts, emptySlotsOf, fineInput, maskPromptEmbedding } from '../model/sam.js';
import { type LossWeights, ULTRASAM_LOSS, clickFocusWeights, firstMaxOneHot, maskLoss } from './loss.js';
import { SharedParamGraph } from './shared_graph.js';

export interface TrainGraphOptions {
  config: SamConfig;
  /** UltraSam's decoder MLP residual (true when fine-tuning UltraSam weights). */
  ultrasam: boolean;
  /** Images per step (I). */
  images: number;
  /** Instance slots per image (K). */
  instancesPerImage: number;
  /** Decoder passes per instance (R, interactive iterations); the decoder runs on B = I·K·R slots. */
  iterations: number;
  /** Prompt tokens per instance (N), padding and empty slots included. */
  promptTokens: number;
  /** 'full': input `image` [I,3,S,S] through the encoder; 'cached': input `embedding` [I,C,h,w]. */
  source: 'full' | 'cached';
  /** The encoder's weights are inputs, not trained (always so with cached embeddings). */
  freezeEncoder: boolean;
  /** Inputs `mask_input` [B,1,4h,4w] and `has_mask_input` [B] (previous logits, multi-click). */
  maskInput: boolean;
  /** Prompt slots labelled −2 take no part in attention (variable prompt counts in one batch). */
  emptySlots: boolean;
  /** A second pass with the first pass's logits (no gradient through them) as the mask prompt. */
  refine: boolean;
  /**
   * Side of the loss's target: the low-resolution side (absent) or the input side S, where the loss
   * takes the logits bilinearly upsampled to S × S as postprocessing upsamples them (maskTarget 'input').
   */
  targetSide?: number;
  loss?: LossWeights;
}

/** Names of the graph's inputs, as the step feeds them. */
export const INPUTS = {
  image: 'image',
  embedding: 'embedding',
  /** With source 'cached' and a pixel branch: the encoder's fine_features beside the embedding. */
  fine: FINE_FEATURES,
  instanceImage: 'instance_image',
  coords: 'point_coords',
  labels: 'point_labels',
  maskInput: 'mask_input',
  hasMaskInput: 'has_mask_input',
  target: 'target',
  candidates: 'candidates',
  refineCandidates: 'refine_candidates',
  weight: 'weight',
} as const;

/** Metric outputs of the training graph (the refinement pass adds `refine.`-prefixed copies). */
export const METRICS = ['focal', 'dice', 'iou_mse', 'true_iou'] as const;

interface Built {
  g: SharedParamGraph;
  /** The prompts' inputs: [B, N, 2] and [B, N]. */
  coords: Tensor;
  labels: Tensor;
  masks: Tensor;
  iou: Tensor;
  /** A decoder pass over the same prompts with a given mask prompt (none: no_mask_embed). */
  decode: (mask?: MaskPrompt) => { masks: Tensor; iou: Tensor };
}

function checkOptions(o: TrainGraphOptions): void {
  validateConfig(o.config);
  for (const [key, value] of [
    ['images', o.images],
    ['instancesPerImage', o.instancesPerImage],
    ['iterations', o.iterations],
    ['promptTokens', o.promptTokens],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`training graph: ${key} must be a positive integer, got ${value}`);
  }
}

/** The shared part of both graphs: inputs, encoder, per-instance embeddings and the first decoder pass. */
function buildPasses(o: TrainGraphOptions): Built {
  checkOptions(o);
  const { config } = o;
  const frozen = o.source === 'cached' || o.freezeEncoder;
  const g = new SharedParamGraph((name) => !(frozen && name.startsWith('image_encoder.')));
  const b = o.images * o.instancesPerImage * o.iterations;
  const c = config.maskDecoder.transformerDim;
  const side = embeddingGrid(config);
  const s = config.imageEncoder.imgSize;

  const image = o.source === 'full' ? g.input(INPUTS.image, [o.images, 3, s, s]) : null;
  const embeddings = image ? g.scope('image_encoder', () => imageEncoder(g, image, config.imageEncoder)) : g.input(INPUTS.embedding, [o.images, c, side, side]);
  // The pixel branch's features, computed from the image or given beside the embedding (the click simulation's decoder).
  const fine = image ? g.scope('mask_decoder', () => fineFeatures(g, image, config.maskDecoder)) : fineInput(g, config, o.images);
  const instanceImage = g.input(INPUTS.instanceImage, [b], 'int64');
  const perInstance = op.gather(embeddings, instanceImage, 0); // [B, C, h, w]
  const perInstanceImage = { embedding: perInstance, ...(fine ? { fine: op.gather(fine, instanceImage, 0) } : {}) };
  const coords = g.input(INPUTS.coords, [b, o.promptTokens, 2]);
  const labels = g.input(INPUTS.labels, [b, o.promptTokens]);
  const emptySlots = o.emptySlots ? emptySlotsOf(labels) : undefined;
  const decode = (mask?: MaskPrompt) => decodePrompts(g, config, perInstanceImage, { coords, labels, mask }, { multimask: 'all', ultrasam: o.ultrasam, emptySlots });

  let firstMask: MaskPrompt | undefined;
  if (o.maskInput) {
    // Instances with a previous mask use it; the others get no_mask_embed (has_mask_input 0 or 1).
    // Embedded before the pass declares its other prompt parameters: the declaration order fixes
    // how the trainer packs the parameters, hence the exact sums of a step.
    const low = lowResSize(config);
    const logits = g.input(INPUTS.maskInput, [b, 1, low, low]);
    const has = g.input(INPUTS.hasMaskInput, [b]);
    firstMask = { dense: maskPromptEmbedding(g, config, b, { logits, has }), logits, has };
  }
  const { masks, iou } = decode(firstMask);
  return { g, coords, labels, masks, iou, decode };
}

/**
 * Graph computing the loss of one step (to be completed by appendAdamW). Outputs the metrics
 * `focal`, `dice`, `iou_mse`, `true_iou` of the first pass and, with refinement, `refine.*` too.
 */
export function buildTrainGraph(o: TrainGraphOptions): { graph: SharedParamGraph; loss: Tensor } {
  const { g, coords, labels, masks, iou, decode } = buildPasses(o);
  const b = o.images * o.instancesPerImage * o.iterations;
  const k = masks.shape[1];
  const side = o.targetSide ?? masks.shape[2];
  const target = g.input(INPUTS.target, [b, 1, side, side]);
  const weight = g.input(INPUTS.weight, [b]);
  const candidates = g.input(INPUTS.candidates, [b, k]);
  const scored = (logits: Tensor) => op.resizeBilinear(logits, side, side);
  const focus = o.loss?.clickFocus;
  const cellWeight = focus ? clickFocusWeights(coords, labels, side, o.config.imageEncoder.imgSize, focus) : undefined;
  const first = maskLoss({ logits: scored(masks), iouPred: iou, target, candidates, weight, cellWeight }, o.loss ?? ULTRASAM_LOSS);
  outputMetrics(g, '', first);
  let loss = first.total;
  if (o.refine) {
    // The mask prompt is the output the predictor would return (highest predicted IoU among the
    // candidates), with its gradient stopped: the refinement learns from the mask, not through it.
    const returned = firstMaxOneHot(op.where(op.greater(candidates, 0.5), iou, -1e9));
    const chosen = op.reduceSum(op.mul(masks, op.reshape(returned, [b, k, 1, 1])), [1], true); // [B,1,4h,4w]
    const second = decode({ logits: op.stopGradient(chosen) });
    const refineCandidates = g.input(INPUTS.refineCandidates, [b, k]);
    const refined = maskLoss({ logits: scored(second.masks), iouPred: second.iou, target, candidates: refineCandidates, weight, cellWeight }, o.loss ?? ULTRASAM_LOSS);
    outputMetrics(g, 'refine.', refined);
    loss = op.add(loss, refined.total);
  }
  return { graph: g, loss };
}

/** The forward graph: the same inputs less the loss's, outputs `low_res_logits` [B,K,4h,4w] and `iou_predictions` [B,K]. */
export function buildForwardGraph(o: TrainGraphOptions): SharedParamGraph {
  const { g, masks, iou } = buildPasses({ ...o, refine: false });
  g.output('low_res_logits', masks);
  g.output('iou_predictions', iou);
  return g;
}

function outputMetrics(g: SharedParamGraph, prefix: string, l: ReturnType<typeof maskLoss>): void {
  g.output(`${prefix}focal`, l.focal);
  g.output(`${prefix}dice`, l.dice);
  g.output(`${prefix}iou_mse`, l.iou);
  g.output(`${prefix}true_iou`, l.trueIou);
}
