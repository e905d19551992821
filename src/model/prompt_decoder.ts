// SAM's mask decoder for inference (mask_decoder.ts computes the same function for training): the
// two-way transformer in the few-token order of prompt_transformer.ts on layer 0's precomputed
// image side, the outputs nobody asked for left out, and the 4× upscaling in a layout without
// transposes of its large tensors.
//
// Upscaling: each ConvTranspose has kernel = stride = 2, so every input pixel's output is its own
// 2 × 2 block: a product of the pixel's channels with the weight reshaped to [C_in, 2·2·C_out]. Kept
// as rows (pixel, sub-pixel) — [N·4, C/4], then [N·16, C/8] — the image tokens need no transpose to
// channels-first, LayerNorm2d normalises rows (one LayerNormalization kernel), and the pixel order is
// restored once, on the masks (T × 16N values instead of the 2–4 M of the intermediates).
//
// The first ConvTranspose, taken over the image tokens once per image. The keys it reads leave the
// transformer as K = LN(… LN(X + P₀ᵀV₀) … + P_{L−1}ᵀV_{L−1}) (prompt_transformer.ts, KeyUpdate):
// the image tokens X plus each layer's low-rank update (heads·T rows), every LayerNorm a per-row
// scalar r_i and shift μ_i around a per-channel scale γ_i and shift β_i. Multiplied out, with
// S_i = r_i ⋯ r_{L−1} and G_i = γ_i ⋯ γ_{L−1} (S_L, G_L = 1),
//   K·W = S_0 ⊙ (X·G_0W) + Σ_i [ S_i ⊙ (P_iᵀ·(V_i G_i W)) − (S_i μ_i) ⊗ (1ᵀG_iW) + S_{i+1} ⊗ (β_i G_{i+1} W) ],
// so X·G_0W is computed with the image side (`upscaleBase`, per image) and a prompt pays one
// product over L·heads·T + 2L inner rows instead of C: exact up to float rounding. Where an
// attention ran in the plain order, or the prompt has so many tokens that this is not cheaper, the
// keys are multiplied as they are.
// Parameter names are those of mask_decoder.ts, relative to `mask_decoder`.
import type { Graph, Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { layerNorm, mlp } from './common.js';
import { type MaskDecoderConfig, upscaleChannels } from './config.js';
import { decoderTokens, emptySlotBias, upscaleConvolved } from './mask_decoder.js';
import { type KeyUpdate, type TransformerImageSide, productPlus, promptTwoWayTransformer } from './prompt_transformer.js';

/** The decoder's per-image tensors: layer 0's (TransformerImageSide) and the upscaling's first product over the image tokens. */
export interface DecoderImageSide extends TransformerImageSide {
  /** X·G_0W [B′, N, 4·C/4] (see the top of this file), rows in subPixelLinear's layout. */
  upscaleBase: Tensor;
  /** The pixel branch's features [1, U, 4h, 4w] (mask_decoder.ts fineFeatures), from the encoder, where the config has one. */
  fine?: Tensor;
}

/**
 * A mask prompt's share of the image tokens, h′·R (sam.ts, imageSideWithMask): `features` h′
 * [B, N, k], and `project(w)` = R·wᵀ [k, out] for a weight w [out, C] applied to the tokens.
 */
export interface MaskTerm {
  features: Tensor;
  project: (w: Tensor) => Tensor;
}

export interface PromptDecoderOptions {
  /** true: outputs 1..numMultimaskOutputs; false: output 0 alone; 'all': every output, 0 first. */
  multimask: boolean | 'all';
  ultrasam: boolean;
  /** Empty prompt slots: [B, N] true where a slot holds no prompt. */
  emptySlots?: Tensor;
  /** A mask prompt's share of image.tokens (already in them; image.upscaleBase gets it here). */
  maskTerm?: MaskTerm;
}

/** Kernel and stride of both upscaling ConvTransposes. */
const UPSCALE = 2;

/**
 * Layer 0's image side (see decoderImageSide; for h × w image tokens), the dense positional
 * encoding as tokens [1, h·w, C] and the sparse prompt embeddings [B, N, C] → masks (low-res
 * logits) [B, K, 4h, 4w] and iou [B, K], as maskDecoder returns them.
 */
export function promptMaskDecoder(
  g: Graph,
  image: DecoderImageSide,
  keyPe: Tensor,
  sparse: Tensor,
  [h, w]: readonly [number, number],
  cfg: MaskDecoderConfig,
  options: PromptDecoderOptions,
): { masks: Tensor; iou: Tensor } {
  const [b, , c] = sparse.shape;
  const numMaskTokens = cfg.numMultimaskOutputs + 1;
  const maskIndices = options.multimask === 'all' ? Array.from({ length: numMaskTokens }, (_, i) => i) : options.multimask ? Array.from({ length: cfg.numMultimaskOutputs }, (_, i) => i + 1) : [0];
  const tokens = decoderTokens(g, sparse, cfg);
  const tokenBias = options.emptySlots ? emptySlotBias(g, options.emptySlots, cfg) : undefined;
  const { queries, keys, updates } = g.scope('transformer', () =>
    promptTwoWayTransformer(g, image, keyPe, tokens, cfg, {
      ultrasam: options.ultrasam,
      tokenBias,
      finalTokens: [0, ...maskIndices.map((m) => 1 + m)],
    }),
  );

  // Upscaled image tokens as rows (pixel, sub-pixel, sub-pixel): [B, 16·h·w, U] (U = C/8 in SAM).
  const u = upscaleChannels(cfg);
  const upscaled = g.scope('output_upscaling', () => {
    const first = subPixelWeights(g, '0', c, c / 4);
    const product = updates && foldPays(updates, c, options.maskTerm) ? foldedProduct(image.upscaleBase, updates, first, options.maskTerm) : op.linear(keys, first.rowsWeight, first.rowsBias);
    const x = op.gelu(layerNorm(g, '1', op.reshape(product, [b, keys.shape[1] * UPSCALE * UPSCALE, c / 4]), 1e-6));
    return op.gelu(subPixelLinear(g, '3', x, u));
  });
  const hyper = maskIndices.map((m, j) => mlp(g, `output_hypernetworks_mlps.${m}`, op.slice(queries, [1 + j], [2 + j], [1]), c, u, 3));
  const hyperIn = hyper.length === 1 ? hyper[0] : op.concat(hyper, 1); // [B, K, U]
  const k = maskIndices.length;
  const s = UPSCALE;
  const side = [s * s * h, s * s * w];
  let masks: Tensor;
  if (cfg.upscaleConv) {
    // The convolution needs the pixel order: restore it on the features, then multiply.
    const features = op.reshape(op.transpose(op.reshape(upscaled, [b, h, w, s, s, s, s, u]), [0, 7, 1, 3, 5, 2, 4, 6]), [b, u, side[0], side[1]]);
    const mixed = op.reshape(upscaleConvolved(g, features, cfg), [b, u, side[0] * side[1]]);
    masks = op.reshape(op.matmul(hyperIn, mixed), [b, k, side[0], side[1]]);
  } else {
    // Rows are (i, j, a, b, c, d) for the pixel (s²·i + s·a + c, s²·j + s·b + d).
    const rows = op.reshape(op.matmul(hyperIn, op.transposeLast(upscaled)), [b * k * h, w, s, s, s, s]);
    masks = op.reshape(op.transpose(rows, [0, 2, 4, 1, 3, 5]), [b, k, side[0], side[1]]);
  }
  if (!cfg.fineChans !== !image.fine) throw new Error(`prompt decoder: the pixel branch's features must be given exactly where the config has one (fineChans ${cfg.fineChans})`);
  if (image.fine) {
    // Added to the features the hypernetworks weigh, so to the masks as their own product (pixel order).
    const fine = op.reshape(image.fine, [image.fine.shape[0], u, side[0] * side[1]]);
    masks = op.add(masks, op.reshape(op.matmul(hyperIn, fine), [b, k, side[0], side[1]]));
  }

  const iouTokenOut = op.reshape(op.slice(queries, [0], [1], [1]), [b, c]);
  const iouAll = mlp(g, 'iou_prediction_head', iouTokenOut, cfg.iouHeadHiddenDim, numMaskTokens, cfg.iouHeadDepth);
  const iou = options.multimask === 'all' ? iouAll : op.slice(iouAll, [maskIndices[0]], [maskIndices[k - 1] + 1], [1]);
  return { masks, iou };
}

/**
 * nn.ConvTranspose2d with kernel = stride = UPSCALE as a linear map of each input row: weight
 * [(a, b, o), C_in] and bias [(a, b, o)] for the output at sub-pixel (a, b). Declares `name.weight`
 * [C_in, out, k, k] and `name.bias` [out] as the convolution does (the bias only if asked for).
 */
function subPixelWeights(g: Graph, name: string, inDim: number, out: number): { rowsWeight: Tensor; rowsBias: Tensor };
function subPixelWeights(g: Graph, name: string, inDim: number, out: number, withBias: false): { rowsWeight: Tensor };
function subPixelWeights(g: Graph, name: string, inDim: number, out: number, withBias = true): { rowsWeight: Tensor; rowsBias?: Tensor } {
  const k = UPSCALE;
  return g.scope(name, () => {
    const weight = g.param('weight', [inDim, out, k, k]);
    const rowsWeight = op.reshape(op.transpose(weight, [2, 3, 1, 0]), [k * k * out, inDim]);
    return withBias ? { rowsWeight, rowsBias: op.tile(g.param('bias', [out]), [k * k]) } : { rowsWeight };
  });
}

/**
 * nn.ConvTranspose2d with kernel = stride = UPSCALE on rows: x [B, R, C_in] → [B, R·UPSCALE², out],
 * row r·UPSCALE² + a·UPSCALE + b the output at sub-pixel (a, b) of input row r.
 */
function subPixelLinear(g: Graph, name: string, x: Tensor, out: number): Tensor {
  const [b, r, inDim] = x.shape;
  const { rowsWeight, rowsBias } = subPixelWeights(g, name, inDim, out);
  return op.reshape(op.linear(x, rowsWeight, rowsBias), [b, r * UPSCALE * UPSCALE, out]);
}

/** G_0 = γ_0 ⋯ γ_{L−1} [C] from the layers' LayerNorm scales (see the top of this file). */
function scaleProduct(scales: readonly Tensor[]): Tensor {
  return scales.reduce((acc, s) => op.mul(acc, s));
}

/**
 * The upscaling's first product over the image tokens [B′, N, C], once per image: X·G_0W with the
 * keys' LayerNorm scales of every transformer layer (`transformer.layers.i.norm4.weight`) and the
 * first ConvTranspose (`output_upscaling.0.weight`). Call inside the `mask_decoder` scope.
 */
export function upscaleBase(g: Graph, tokens: Tensor, cfg: MaskDecoderConfig): Tensor {
  const c = tokens.shape[2];
  const scales = g.scope('transformer', () => Array.from({ length: cfg.depth }, (_, i) => g.scope(`layers.${i}`, () => g.scope('norm4', () => g.param('weight', [c])))));
  const { rowsWeight } = g.scope('output_upscaling', () => subPixelWeights(g, '0', c, c / 4, false));
  return op.linear(tokens, op.mul(rowsWeight, scaleProduct(scales)), null);
}

/** Whether the folded product's inner rows (L·heads·T + 2L, plus a mask prompt's k) are fewer than the keys' width C. */
function foldPays(updates: readonly KeyUpdate[], width: number, maskTerm?: MaskTerm): boolean {
  return updates.reduce((rows, u) => rows + u.probsT.shape[1] + 2, maskTerm ? maskTerm.features.shape[2] : 0) < width;
}

/** K·W + b for the final keys K from the image side's X·G_0W and the layers' updates (see the top of this file). */
function foldedProduct(base: Tensor, updates: readonly KeyUpdate[], first: { rowsWeight: Tensor; rowsBias: Tensor }, maskTerm?: MaskTerm): Tensor {
  const g = base.graph;
  const depth = updates.length;
  const [b, n] = updates[0].invStd.shape;
  const weightT = op.transpose(first.rowsWeight, [1, 0]); // W [C, out]
  // G_i [C] and S_i [B, N, 1] for i = 0..L−1 (G_L and S_L are ones: left out of the products).
  const gains: Tensor[] = [];
  const rowScales: Tensor[] = [];
  for (let i = depth - 1; i >= 0; i--) {
    gains.unshift(i === depth - 1 ? updates[i].scale : op.mul(updates[i].scale, gains[0]));
    rowScales.unshift(i === depth - 1 ? updates[i].invStd : op.mul(updates[i].invStd, rowScales[0]));
  }
  const asRow = (v: Tensor) => op.reshape(v, [1, v.shape[0]]);
  const onRows = (s: Tensor) => op.reshape(s, [b, 1, n]); // [B, N, 1] → [B, 1, N]
  const perPrompt = (x: Tensor) => op.expand(op.unsqueeze(x, [0]), [b, ...x.shape]);
  const left: Tensor[] = []; // [B, rows, N] each
  const right: Tensor[] = []; // [B, rows, out] each
  for (let i = 0; i < depth; i++) {
    const u = updates[i];
    // S_i ⊙ (P_iᵀ·(V_i G_i W)): V_i G_i W = V_i·((G_i W)ᵀ)ᵀ, the weight rows scaled by G_i.
    left.push(op.mul(u.probsT, onRows(rowScales[i])));
    right.push(op.matmul(u.values, op.transpose(op.mul(first.rowsWeight, gains[i]), [1, 0])));
    // − (S_i μ_i) ⊗ (1ᵀG_iW)
    left.push(op.neg(onRows(op.mul(rowScales[i], u.mean))));
    right.push(perPrompt(op.matmul(asRow(gains[i]), weightT)));
    // S_{i+1} ⊗ (β_i G_{i+1} W), the last with the ConvTranspose's bias (S_L = 1)
    const last = i === depth - 1;
    left.push(last ? g.constant(new Float32Array(b * n).fill(1), [b, 1, n]) : onRows(rowScales[i + 1]));
    const shift = op.matmul(asRow(last ? u.shift : op.mul(u.shift, gains[i + 1])), weightT);
    right.push(perPrompt(last ? op.add(shift, first.rowsBias) : shift));
  }
  if (maskTerm) {
    // The mask prompt's share of the image tokens, h′·R, rides in the same product: S_0 ⊙ (h′·(R G_0W)).
    left.push(op.mul(op.transpose(maskTerm.features, [0, 2, 1]), onRows(rowScales[0])));
    right.push(perPrompt(maskTerm.project(op.mul(first.rowsWeight, gains[0]))));
  }
  return productPlus(op.concat(left, 1), op.concat(right, 1), op.mul(base, rowScales[0]), { a: true });
}
