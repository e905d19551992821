// SAM's mask decoder (segment_anything/modeling/mask_decoder.py). Parameter names are relative to
// the `mask_decoder` scope that sam.ts opens.
import type { Graph, Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { conv2d, convTranspose2d, layerNorm2d, mlp } from './common.js';
import { type MaskDecoderConfig, upscaleChannels } from './config.js';
import { twoWayTransformer } from './transformer.js';

export interface MaskDecoderInputs {
  /** [1 or B, C, h, w]; a single image is shared by every prompt of the batch. */
  imageEmbedding: Tensor;
  /** The dense positional encoding [1, C, h, w]. */
  imagePe: Tensor;
  /** Sparse prompt embeddings [B, N, C]. */
  sparse: Tensor;
  /** Dense prompt embeddings [B, C, h, w]. */
  dense: Tensor;
  /** The pixel branch's features [1 or B, U, 4h, 4w] (fineFeatures), where the config has one. */
  fine?: Tensor;
}

export interface MaskDecoderOptions {
  /** true: outputs 1..numMultimaskOutputs; false: output 0 alone; 'all': every output, 0 first. */
  multimask: boolean | 'all';
  ultrasam: boolean;
  /** Empty prompt slots: [B, N] true where a slot holds no prompt (see TwoWayOptions.tokenBias). */
  emptySlots?: Tensor;
}

/** The output tokens (IoU token, then one token per mask) before the prompt tokens [B, N, C] → [B, 1 + M + N, C]. */
export function decoderTokens(g: Graph, sparse: Tensor, cfg: MaskDecoderConfig): Tensor {
  const [b, , c] = sparse.shape;
  const numMaskTokens = cfg.numMultimaskOutputs + 1;
  const outputTokens = op.concat([g.param('iou_token.weight', [1, c]), g.param('mask_tokens.weight', [numMaskTokens, c])], 0);
  return op.concat([op.expand(op.unsqueeze(outputTokens, [0]), [b, 1 + numMaskTokens, c]), sparse], 1);
}

/** The attention bias [B, 1, 1, 1 + M + N] of decoderTokens' sequence for empty prompt slots [B, N] (true = empty). */
export function emptySlotBias(g: Graph, emptySlots: Tensor, cfg: MaskDecoderConfig): Tensor {
  const [b, n] = emptySlots.shape;
  const numMaskTokens = cfg.numMultimaskOutputs + 1;
  // Output tokens are always real; an empty prompt slot gets −1e9, which exp() turns into 0.
  const slots = op.where(emptySlots, -1e9, g.constant([0], [1, 1]));
  const bias = op.concat([g.constant(new Float32Array(b * (1 + numMaskTokens)), [b, 1 + numMaskTokens]), slots], 1);
  return op.reshape(bias, [b, 1, 1, 1 + numMaskTokens + n]);
}

/**
 * Upscaled features [B, U, 4h, 4w] plus cfg.upscaleConv's 3 × 3 convolution of them (`upscale_conv`),
 * so that a logit near an image token's edge also sees its neighbours'; unchanged without it.
 */
export function upscaleConvolved(g: Graph, upscaled: Tensor, cfg: MaskDecoderConfig): Tensor {
  if (!cfg.upscaleConv) return upscaled;
  return op.add(upscaled, conv2d(g, 'upscale_conv', upscaled, { out: upscaled.shape[1], kernel: 3, padding: 1 }));
}

/** Parameter scopes of the pixel branch (MaskDecoderConfig.fineChans), under `mask_decoder`. */
export const FINE_STEM = 'fine_stem';
export const FINE_PROJ = 'fine_proj';
/**
 * The projection's output is multiplied by this gain: a branch grown into a trained model starts at
 * zero, and at a fine-tuning rate Adam moves a weight by about lr per step whatever its gradient, so
 * the gain makes the new branch move as fast as the decoder around it can use (at gain 1 a 2,000-step
 * run left the projection at 1.5e-3 rms: the branch did nothing).
 */
export const FINE_GAIN = 32;

/**
 * The pixel branch: the normalised, padded image [B, 3, S, S] → [B, U, S/4, S/4] on the grid of the
 * upscaled features (two stride-2 3 × 3 convolutions with GELU, F channels, then a 1 × 1 projection
 * to U, times FINE_GAIN). Computed once per image, with the encoder; null where the config has no pixel branch.
 */
export function fineFeatures(g: Graph, image: Tensor, cfg: MaskDecoderConfig): Tensor | null {
  const f = cfg.fineChans;
  if (!f) return null;
  const stem = g.scope(FINE_STEM, () => {
    const x = op.gelu(conv2d(g, '0', image, { out: f, kernel: 3, stride: 2, padding: 1 }));
    return op.gelu(conv2d(g, '2', x, { out: f, kernel: 3, stride: 2, padding: 1 }));
  });
  return op.mul(conv2d(g, FINE_PROJ, stem, { out: upscaleChannels(cfg), kernel: 1 }), FINE_GAIN);
}

/** Parameter name of the mask prompt's gains (MaskDecoderConfig.maskSkip), under `mask_decoder`: [1 + numMultimaskOutputs]. */
export const MASK_SKIP = 'mask_skip';
/**
 * The gains' parametrisation: a skip grown into a trained model starts at zero, and Adam moves a
 * parameter by about lr per step, so the gain lets a fine-tuning run reach a useful weight (as
 * FINE_GAIN does for the pixel branch).
 */
export const MASK_SKIP_GAIN = 16;

/**
 * Decoded masks [B, K, 4h, 4w] plus the mask prompt's logits [B, 1, 4h, 4w] times each output's gain
 * (MaskDecoderConfig.maskSkip; `has` [B] gates it per prompt). The K masks are the outputs
 * `first`..`first` + K − 1 of all 1 + numMultimaskOutputs. Call inside the `mask_decoder` scope.
 */
export function withMaskSkip(g: Graph, masks: Tensor, logits: Tensor, first: number, cfg: MaskDecoderConfig, has?: Tensor): Tensor {
  const [b, k] = masks.shape;
  if (first + k > cfg.numMultimaskOutputs + 1) throw new Error(`mask skip: outputs ${first}..${first + k - 1} of ${cfg.numMultimaskOutputs + 1}`);
  const all = g.param(MASK_SKIP, [cfg.numMultimaskOutputs + 1]);
  const gains = op.reshape(op.mul(op.slice(all, [first], [first + k], [0]), MASK_SKIP_GAIN), [1, k, 1, 1]);
  const gated = has ? op.mul(logits, op.reshape(has, [b, 1, 1, 1])) : logits;
  return op.add(masks, op.mul(gated, gains));
}

/** Parameter scope of the click head (MaskDecoderConfig.clickHead), under `mask_decoder`. */
export const CLICK_HEAD = 'click_head';
/** The head's output gain, for the reason MASK_SKIP_GAIN has one (its last layer starts at zero). */
export const CLICK_HEAD_GAIN = 16;
/** Widths σ of the click maps, in low-resolution cells: the click's own cell, and its neighbourhood. */
export const CLICK_MAP_SIGMAS = [1, 3] as const;
/** Logits reach the head as tanh(logit / LOGIT_SCALE): sign and nearness to the boundary, bounded. */
const LOGIT_SCALE = 4;

/**
 * d² [B, N, L²] from each prompt token (`coords` [B, N, 2], input-frame pixels, +0.5 applied) to the
 * centre of each cell of an L × L grid over the `imgSize` input frame, in cells.
 */
export function squaredCellDistances(coords: Tensor, side: number, imgSize: number): Tensor {
  const g = coords.graph;
  const centres = (axis: 0 | 1) =>
    g.constant(
      Float32Array.from({ length: side * side }, (_, i) => (axis === 0 ? i % side : Math.floor(i / side)) + 0.5),
      [1, 1, side * side],
    );
  const [x, y] = op.split(op.mul(coords, side / imgSize), [1, 1], 2); // [B, N, 1] each, in cells
  const dx = op.sub(x, centres(0));
  const dy = op.sub(y, centres(1));
  return op.add(op.mul(dx, dx), op.mul(dy, dy));
}

/**
 * The prompt's clicks on the low-resolution grid [B, 2·σs, L, L]: for each σ of CLICK_MAP_SIGMAS, the
 * positive clicks' (label 1) and negative clicks' (label 0) Σ exp(−d² / 2σ²), d the distance from a
 * cell's centre in cells. Box corners, padding points and empty slots take no part. `coords` [B, N, 2]
 * input-frame pixels (+0.5 applied), `labels` [B, N], `imgSize` the input frame's side. No Cast: the
 * exported decoder runs in onnxruntime-web, where a Cast kernel costs the page a slow click.
 */
export function clickMaps(coords: Tensor, labels: Tensor, side: number, imgSize: number): Tensor {
  const [b, n] = labels.shape;
  const g = coords.graph;
  const d2 = squaredCellDistances(coords, side, imgSize);
  const one = g.constant([1], [1]);
  const of = (label: number) => op.reshape(op.where(op.equal(labels, label), one, 0), [b, n, 1]);
  const maps: Tensor[] = [];
  for (const sigma of CLICK_MAP_SIGMAS) {
    const near = op.exp(op.mul(d2, -1 / (2 * sigma * sigma)));
    for (const label of [1, 0]) maps.push(op.reduceSum(op.mul(near, of(label)), [1], true)); // [B, 1, L²]
  }
  return op.reshape(op.concat(maps, 1), [b, maps.length, side, side]);
}

/**
 * Decoded masks [B, K, L, L] plus the click head's correction (MaskDecoderConfig.clickHead, not in
 * SAM): three 3 × 3 convolutions (F channels, GELU; the last to one channel, times CLICK_HEAD_GAIN)
 * over each output's logits, the mask prompt's (`prompt` [B, 1, L, L], zero where none; `has` [B]
 * gates it) and the clicks (clickMaps), the same weights for every output. The decoder places a
 * click through the 16-pixel image tokens; the head sees where it fell on the output grid, so that
 * a corrective click moves the boundary where it was placed. Call inside the `mask_decoder` scope.
 */
export function withClickHead(g: Graph, masks: Tensor, clicks: Tensor, prompt: Tensor | null, cfg: MaskDecoderConfig, has?: Tensor): Tensor {
  const f = cfg.clickHead;
  if (!f) return masks;
  const [b, k, h, w] = masks.shape;
  const squash = (t: Tensor) => op.tanh(op.mul(t, 1 / LOGIT_SCALE));
  let guide = prompt ? squash(prompt) : g.constant(new Float32Array(b * h * w), [b, 1, h, w]);
  if (prompt && has) guide = op.mul(guide, op.reshape(has, [b, 1, 1, 1]));
  const shared = op.concat([guide, clicks], 1); // [B, 1 + maps, L, L]
  const per = shared.shape[1];
  const input = op.concat([op.reshape(squash(masks), [b * k, 1, h, w]), op.reshape(op.expand(op.unsqueeze(shared, [1]), [b, k, per, h, w]), [b * k, per, h, w])], 1);
  const delta = g.scope(CLICK_HEAD, () => {
    const x = op.gelu(conv2d(g, '0', input, { out: f, kernel: 3, padding: 1 }));
    const y = op.gelu(conv2d(g, '2', x, { out: f, kernel: 3, padding: 1 }));
    return conv2d(g, '4', y, { out: 1, kernel: 3, padding: 1 });
  });
  return op.add(masks, op.reshape(op.mul(delta, CLICK_HEAD_GAIN), [b, k, h, w]));
}

/** → masks (low-res logits) [B, K, 4h, 4w] and iou [B, K], K = numMultimaskOutputs or 1. */
export function maskDecoder(g: Graph, inputs: MaskDecoderInputs, cfg: MaskDecoderConfig, options: MaskDecoderOptions): { masks: Tensor; iou: Tensor } {
  const { imagePe, sparse, dense } = inputs;
  const [b, n, c] = sparse.shape;
  const [, , h, w] = dense.shape;
  const numMaskTokens = cfg.numMultimaskOutputs + 1;

  const tokens = decoderTokens(g, sparse, cfg);

  // SAM repeats the image embedding for every prompt of the batch.
  const src = op.add(op.expand(inputs.imageEmbedding, [b, c, h, w]), dense);
  const tokenBias = options.emptySlots ? emptySlotBias(g, options.emptySlots, cfg) : undefined;
  const { queries, keys } = g.scope('transformer', () => twoWayTransformer(g, src, imagePe, tokens, cfg, { ultrasam: options.ultrasam, tokenBias }));
  if (queries.shape[1] !== 1 + numMaskTokens + n) throw new Error(`mask decoder: unexpected token count ${queries.shape[1]}`);
  const iouTokenOut = op.reshape(op.slice(queries, [0], [1], [1]), [b, c]);
  const maskTokensOut = op.slice(queries, [1], [1 + numMaskTokens], [1]); // [B, T, C]

  // Upscale the image tokens 4×: ConvT, LayerNorm2d, GELU, ConvT, GELU → [B, U, 4h, 4w] (U = C/8 in SAM).
  const image = op.reshape(op.transpose(keys, [0, 2, 1]), [b, c, h, w]);
  const u = upscaleChannels(cfg);
  const convolved = upscaleConvolved(
    g,
    g.scope('output_upscaling', () => {
      const x = op.gelu(layerNorm2d(g, '1', convTranspose2d(g, '0', image, c / 4, 2)));
      return op.gelu(convTranspose2d(g, '3', x, u, 2));
    }),
    cfg,
  );
  if (!cfg.fineChans !== !inputs.fine) throw new Error(`mask decoder: the pixel branch's features must be given exactly where the config has one (fineChans ${cfg.fineChans})`);
  const upscaled = inputs.fine ? op.add(convolved, inputs.fine) : convolved;

  // One hypernetwork MLP per mask token turns it into weights over the upscaled channels.
  const hyper: Tensor[] = [];
  for (let i = 0; i < numMaskTokens; i++) {
    const token = op.slice(maskTokensOut, [i], [i + 1], [1]); // [B, 1, C]
    hyper.push(mlp(g, `output_hypernetworks_mlps.${i}`, token, c, u, 3));
  }
  const hyperIn = op.concat(hyper, 1); // [B, T, U]
  const [, , uh, uw] = upscaled.shape;
  const masks = op.reshape(op.matmul(hyperIn, op.reshape(upscaled, [b, u, uh * uw])), [b, numMaskTokens, uh, uw]);
  const iou = mlp(g, 'iou_prediction_head', iouTokenOut, cfg.iouHeadHiddenDim, numMaskTokens, cfg.iouHeadDepth);

  // Multimask: outputs 1..T−1; otherwise the single-mask output 0.
  if (options.multimask === 'all') return { masks, iou };
  const [from, to] = options.multimask ? [1, numMaskTokens] : [0, 1];
  return { masks: op.slice(masks, [from], [to], [1]), iou: op.slice(iou, [from], [to], [1]) };
}
