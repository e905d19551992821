// The assembled model as two graphs, the way SAM is used: an encoder run once per image and a
// prompt-to-mask decoder run per prompt. Parameters carry SAM's canonical state-dict keys and stay
// graph parameters, so the same builders serve inference (values baked in) and training (fed).
import { Graph, type Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { checkStateDict } from '../weights/layouts.js';
import { type SamConfig, embeddingGrid, encoderStrips, lowResSize, upscaleChannels, validateConfig } from './config.js';
import { type ImageEncoderOptions, imageEncoder, imageEncoderStrip, imageEncoderTail } from './image_encoder.js';
import { type MaskDecoderOptions, clickMaps, fineFeatures, maskDecoder, withClickHead, withMaskSkip } from './mask_decoder.js';
import { type DecoderImageSide, type MaskTerm, promptMaskDecoder, upscaleBase } from './prompt_decoder.js';
import { densePositionalEncoding, embedDense, embedPoints, gaussianMatrix, maskFeatures } from './prompt_encoder.js';
import { decoderImageSide } from './prompt_transformer.js';
import { ENCODER_STRIP } from './strip_encoder.js';

/** Name of the encoder graph's second output, the pixel branch's features (where the config has one). */
export const FINE_FEATURES = 'fine_features';

/**
 * Graph `image` [B, 3, S, S] (normalised, zero-padded to S) → `embedding` [B, C, S/16, S/16], and
 * with a pixel branch (maskDecoder.fineChans) `fine_features` [B, U, S/4, S/4], which the decoder
 * takes beside the embedding. `options.forwardOnly` for graphs never differentiated (see ImageEncoderOptions).
 */
export function buildEncoderGraph(config: SamConfig, batch = 1, options: ImageEncoderOptions = {}): Graph {
  validateConfig(config);
  const e = config.imageEncoder;
  const g = new Graph();
  const image = g.input('image', [batch, e.inChans, e.imgSize, e.imgSize]);
  g.output(
    'embedding',
    g.scope('image_encoder', () => imageEncoder(g, image, e, options)),
  );
  const fine = g.scope('mask_decoder', () => fineFeatures(g, image, config.maskDecoder));
  if (fine) g.output(FINE_FEATURES, fine);
  return g;
}

/**
 * The exported encoder's first part (see EncoderStrips): `image_strip` [1, 3, rows·16, S] (pixel
 * rows 16·rows·i onward of the normalised, padded image) and `strip` [1] (i, int64) → `tokens`
 * [1, rows, S/16, C] after the strip blocks; with `last`, the short last strip, `image_strip`
 * [1, 3, lastRows·16, S] (the image's last pixel rows) → `tokens` [1, lastRows, S/16, C].
 */
export function buildEncoderStripGraph(config: SamConfig, options: ImageEncoderOptions = {}, last = false): Graph {
  validateConfig(config);
  const e = config.imageEncoder;
  const strips = encoderStrips(e);
  const g = new Graph();
  const pixels = g.input(ENCODER_STRIP.pixels, [1, e.inChans, (last ? strips.lastRows : strips.rows) * e.patchSize, e.imgSize]);
  const index = last ? null : g.input(ENCODER_STRIP.index, [1], 'int64');
  g.output(
    ENCODER_STRIP.tokens,
    g.scope('image_encoder', () => imageEncoderStrip(g, pixels, index, e, options)),
  );
  return g;
}

/**
 * The exported encoder's second part: `tokens` [1, S/16, S/16, C] (the strips' outputs, rows past
 * the grid dropped) and `content_rows` [1] (int64): rows from there on are taken from the parameter
 * `strip_padding_tokens` instead, the strips' outputs on zeros (a strip the image does not reach);
 * with a pixel branch, also `image` [1, 3, S, S]. Outputs those of buildEncoderGraph.
 */
export function buildEncoderTailGraph(config: SamConfig, options: ImageEncoderOptions = {}): Graph {
  validateConfig(config);
  const e = config.imageEncoder;
  const grid = embeddingGrid(config);
  const g = new Graph();
  const tokens = g.input(ENCODER_STRIP.tokens, [1, grid, grid, e.embedDim]);
  const contentRows = g.input(ENCODER_STRIP.contentRows, [1], 'int64');
  const padding = g.param(ENCODER_STRIP.padding, [1, grid, grid, e.embedDim], { trainable: false });
  const row = g.constant(
    Array.from({ length: grid }, (_, r) => r),
    [1, grid, 1, 1],
    'int64',
  );
  const x = op.where(op.less(row, contentRows), tokens, padding);
  g.output(
    'embedding',
    g.scope('image_encoder', () => imageEncoderTail(g, x, e, options)),
  );
  // Without a pixel branch nothing reads `image`, and the serialised graph leaves it out.
  const image = g.input('image', [1, e.inChans, e.imgSize, e.imgSize]);
  const fine = g.scope('mask_decoder', () => fineFeatures(g, image, config.maskDecoder));
  if (fine) g.output(FINE_FEATURES, fine);
  return g;
}

export interface DecoderGraphOptions {
  /** Prompt tokens per prompt, padding point or box corners included (see prompts.ts). */
  numPoints: number;
  /** Adds the `mask_input` input (previous low-res logits) instead of no_mask_embed. */
  hasMaskInput: boolean;
  /** Outputs 1..3 (true) or output 0 (false). */
  multimask: boolean;
  /** UltraSam's decoder MLP residual (true for weights in UltraSam's layout). */
  ultrasam: boolean;
  /** Prompts decoded at once against the same image embedding (default 1). */
  batch?: number;
}

/**
 * The mask prompt of B prompts: previous low-res logits [B, 1, 4h, 4w], with `has` [B] (1 uses
 * them, 0 no_mask_embed) when only some prompts have one; or their dense embedding [B, C, h, w]
 * already computed by maskPromptEmbedding, with the logits and `has` beside it, which the mask
 * skip and the click head read (MaskDecoderConfig.maskSkip, clickHead).
 */
export type MaskPrompt = { logits: Tensor; has?: Tensor } | { dense: Tensor; logits?: Tensor; has?: Tensor };

/**
 * Dense prompt embeddings [B, C, h, w] of B prompts (parameters under `prompt_encoder`): the mask
 * prompt through the mask downscaling, or no_mask_embed without one.
 */
export function maskPromptEmbedding(g: Graph, config: SamConfig, batch: number, mask?: MaskPrompt): Tensor {
  if (mask && 'dense' in mask) return mask.dense;
  return g.scope('prompt_encoder', () => {
    if (!mask) return embedDense(g, null, batch, config);
    const withMask = embedDense(g, mask.logits, batch, config);
    if (!mask.has) return withMask;
    // Both dense paths; has (0 or 1 per prompt) picks one exactly.
    const without = embedDense(g, null, batch, config);
    const has = op.reshape(mask.has, [batch, 1, 1, 1]);
    return op.add(op.mul(withMask, has), op.mul(without, op.sub(1, has)));
  });
}

/**
 * What a batch of prompts is decoded against; it also picks the order the decoder is computed in.
 */
export type DecoderImage =
  /**
   * The image embedding [1 or B, C, h, w] (one image shared by every prompt, or one per prompt):
   * SAM's mask decoder as written (mask_decoder.ts), differentiated in training.
   */
  | { embedding: Tensor; fine?: Tensor }
  /**
   * The decoder's per-image tensors of one image with no mask prompt (buildDecoderImageGraph's
   * outputs; a mask prompt is added to them, see imageSideWithMask): the same function in
   * prompt_decoder.ts's few-token order, for inference and export.
   */
  | { imageSide: DecoderImageSide };

export interface PromptBatch {
  /** [B, N, 2] input-frame pixels, +0.5 applied. */
  coords: Tensor;
  /** [B, N] (see prompt_encoder.ts; −2 marks an empty slot where options.emptySlots says so). */
  labels: Tensor;
  /** None: no_mask_embed. */
  mask?: MaskPrompt;
}

/**
 * Prompt encoder + mask decoder: B prompts → masks (low-res logits) [B, K, 4h, 4w] and iou [B, K]
 * (K per options.multimask), plus the mask prompt's logits where the config has a mask skip. Every
 * graph that decodes prompts (inference, export, training) is assembled here; parameters under
 * `prompt_encoder` and `mask_decoder`.
 */
export function decodePrompts(g: Graph, config: SamConfig, image: DecoderImage, prompts: PromptBatch, options: MaskDecoderOptions): { masks: Tensor; iou: Tensor } {
  const [batch] = prompts.coords.shape;
  const { sparse, imagePe } = g.scope('prompt_encoder', () => {
    const gaussian = gaussianMatrix(g, config);
    return { sparse: embedPoints(g, prompts.coords, prompts.labels, gaussian, config), imagePe: densePositionalEncoding(g, gaussian, config) };
  });
  const decoder = { multimask: options.multimask, ultrasam: options.ultrasam, emptySlots: options.emptySlots };
  const mask = prompts.mask;
  let decoded: { masks: Tensor; iou: Tensor };
  if ('imageSide' in image) {
    if (mask && 'dense' in mask) throw new Error('decodePrompts: the few-token order takes a mask prompt as logits, not as a dense embedding');
    const { side, maskTerm } = mask ? imageSideWithMask(g, config, image.imageSide, mask) : { side: image.imageSide, maskTerm: undefined };
    const grid = embeddingGrid(config);
    decoded = g.scope('mask_decoder', () => promptMaskDecoder(g, side, asTokens(imagePe), sparse, [grid, grid], config.maskDecoder, { ...decoder, maskTerm }));
  } else {
    const dense = maskPromptEmbedding(g, config, batch, mask);
    decoded = g.scope('mask_decoder', () => maskDecoder(g, { imageEmbedding: image.embedding, imagePe, sparse, dense, fine: image.fine }, config.maskDecoder, decoder));
  }
  const m = config.maskDecoder;
  if ((m.maskSkip || m.clickHead) && mask && !mask.logits) throw new Error("decodePrompts: the mask skip and the click head need the mask prompt's logits beside its dense embedding");
  let masks = decoded.masks;
  if (m.maskSkip && mask?.logits) {
    // The outputs returned start at 1 for the multimask candidates, else at 0 (all, or the single mask).
    const firstOutput = options.multimask === true ? 1 : 0;
    const logits = mask.logits;
    masks = g.scope('mask_decoder', () => withMaskSkip(g, masks, logits, firstOutput, m, mask.has));
  }
  if (m.clickHead) {
    const clicks = clickMaps(prompts.coords, prompts.labels, lowResSize(config), config.imageEncoder.imgSize);
    const before = masks;
    masks = g.scope('mask_decoder', () => withClickHead(g, before, clicks, mask?.logits ?? null, m, mask?.has));
  }
  return { ...decoded, masks };
}

/**
 * The image side of B prompts with a mask prompt, from the image's side without one (batch 1,
 * computed once per image). The mask reaches the decoder only through the dense embedding
 * D = h·W₆ᵀ + b₆ that replaces no_mask_embed, where h [B, maskInChans, h, w] is the mask
 * downscaling before its last layer, a 1×1 convolution; every image-side tensor is affine in the
 * image tokens, so each gains (D − no_mask)·Wᵀ = h·(W₆ᵀWᵀ) + (b₆ − no_mask)·Wᵀ. The products then
 * run over maskInChans (16) inner channels instead of C, and no image-side tensor is recomputed:
 * a prompt with a mask costs little more than one without. Exact up to float rounding. With
 * `has` [B], a prompt with 0 keeps the side without a mask. The upscaling's per-image product
 * (upscaleBase) gets its share inside the decoder, from the returned MaskTerm.
 */
function imageSideWithMask(g: Graph, config: SamConfig, side: DecoderImageSide, mask: { logits: Tensor; has?: Tensor }): { side: DecoderImageSide; maskTerm: MaskTerm } {
  const m = config.maskDecoder;
  const c = m.transformerDim;
  const chans = config.promptEncoder.maskInChans;
  const internal = c / m.attentionDownsampleRate;
  const headDim = internal / m.numHeads;
  const [b] = mask.logits.shape;
  const n = embeddingGrid(config) ** 2;
  const { features, w6, shift } = g.scope('prompt_encoder', () => {
    const noMask = g.param('no_mask_embed.weight', [1, c]);
    return g.scope('mask_downscaling', () => ({
      features: op.transpose(op.reshape(maskFeatures(g, mask.logits, config), [b, chans, n]), [0, 2, 1]), // [B, N, chans]
      w6: op.transpose(op.reshape(g.param('6.weight', [c, chans, 1, 1]), [c, chans]), [1, 0]), // [chans, C]
      shift: op.sub(op.reshape(g.param('6.bias', [c]), [1, c]), noMask), // [1, C]
    }));
  });
  // h with a ones column, both scaled by `has`: h′·[W; b] = has·(h·W + b), the bias and the gate
  // inside one product over chans + 1 channels (the image-side tensors are too large for extra passes).
  const ones = g.constant(new Float32Array(b * n).fill(1), [b, n, 1]);
  let augmented = op.concat([features, ones], 2); // [B, N, chans + 1]
  if (mask.has) augmented = op.mul(augmented, op.reshape(mask.has, [b, 1, 1]));
  // [chans + 1, out] for D − no_mask projected by W [out, C] (identity: the tokens themselves).
  const rows = (w?: Tensor) => (w ? op.concat([op.matmul(w6, op.transpose(w, [1, 0])), op.matmul(shift, op.transpose(w, [1, 0]))], 0) : op.concat([w6, shift], 0));
  // Layer 0's image-side projections ([C′, C] each), under the names transformer.ts gives them.
  const proj = (attention: string, name: string) =>
    g.scope('mask_decoder', () => g.scope('transformer', () => g.scope('layers.0', () => g.scope(attention, () => g.param(`${name}_proj.weight`, [internal, c])))));
  const wk = proj('cross_attn_token_to_image', 'k');
  const wv = proj('cross_attn_token_to_image', 'v');
  const wq = proj('cross_attn_image_to_token', 'q');
  // base + h′·R, with the addition inside the product (Gemm's C) where the batch allows.
  const plus = (base: Tensor, h: Tensor, r: Tensor, transposed = false): Tensor => {
    if (b === 1) {
      const [rowsOut, colsOut] = transposed ? [r.shape[1], n] : [n, r.shape[1]];
      const sum = transposed
        ? op.gemm(r, op.reshape(h, [n, chans + 1]), op.reshape(base, [rowsOut, colsOut]), { transA: true, transB: true })
        : op.gemm(op.reshape(h, [n, chans + 1]), r, op.reshape(base, [rowsOut, colsOut]));
      return op.reshape(sum, [1, ...base.shape.slice(1)]);
    }
    const delta = transposed ? op.matmul(op.transpose(r, [1, 0]), op.transpose(h, [0, 2, 1])) : op.matmul(h, r);
    return op.add(base, op.reshape(delta, [b, ...base.shape.slice(1)]));
  };
  // Values per head [B, heads, N, headDim] straight from a batched product (no transpose of N rows).
  const valueRows = op.transpose(op.reshape(rows(wv), [chans + 1, m.numHeads, headDim]), [1, 0, 2]); // [heads, chans + 1, headDim]
  const values = op.add(side.values, op.matmul(op.unsqueeze(augmented, [1]), op.unsqueeze(valueRows, [0])));
  return {
    side: {
      tokens: plus(side.tokens, augmented, rows()),
      keysT: plus(side.keysT, augmented, rows(wk), true), // [B, heads, headDim, N] is [B, C′, N]
      values,
      queries: plus(side.queries, augmented, rows(wq)),
      upscaleBase: side.upscaleBase,
      ...(side.fine ? { fine: side.fine } : {}),
    },
    maskTerm: { features: augmented, project: rows },
  };
}

/** The graph's `point_coords` [B, N, 2] and `point_labels` [B, N] inputs. */
function promptInputs(g: Graph, batch: number, numPoints: number): { coords: Tensor; labels: Tensor } {
  if (!Number.isInteger(numPoints) || numPoints < 1) {
    throw new Error(`decoder graph: numPoints must be a positive integer (padding point included), got ${numPoints}`);
  }
  return { coords: g.input('point_coords', [batch, numPoints, 2]), labels: g.input('point_labels', [batch, numPoints]) };
}

/** The graph's `mask_input` [B, 1, 4h, 4w] input (previous low-res logits). */
function maskInput(g: Graph, config: SamConfig, batch: number): Tensor {
  const low = lowResSize(config);
  return g.input('mask_input', [batch, 1, low, low]);
}

function outputDecoded(g: Graph, { masks, iou }: { masks: Tensor; iou: Tensor }): Graph {
  g.output('low_res_logits', masks);
  g.output('iou_predictions', iou);
  return g;
}

/**
 * Graph with inputs
 *   `image_embedding` [1, C, h, w],
 *   `point_coords` [B, N, 2] (input-frame pixels, +0.5 applied), `point_labels` [B, N] (float),
 *   `mask_input` [B, 1, 4h, 4w] when hasMaskInput,
 * and outputs `low_res_logits` [B, K, 4h, 4w] and `iou_predictions` [B, K]: SAM's decoder as
 * written (the reference buildPromptDecoderGraph is checked against).
 */
export function buildDecoderGraph(config: SamConfig, options: DecoderGraphOptions): Graph {
  validateConfig(config);
  const batch = options.batch ?? 1;
  const g = new Graph();
  const embedding = g.input('image_embedding', [1, config.maskDecoder.transformerDim, embeddingGrid(config), embeddingGrid(config)]);
  const fine = fineInput(g, config);
  const prompts = promptInputs(g, batch, options.numPoints);
  const mask = options.hasMaskInput ? { logits: maskInput(g, config, batch) } : undefined;
  return outputDecoded(g, decodePrompts(g, config, { embedding, ...(fine ? { fine } : {}) }, { ...prompts, mask }, options));
}

/** The decoder's per-image tensors that buildDecoderImageGraph computes (see prompt_transformer.ts), by graph input/output name. */
export const DECODER_IMAGE_SIDE = {
  tokens: 'image_tokens',
  keysT: 'token_to_image_keys_t',
  values: 'token_to_image_values',
  queries: 'image_to_token_queries',
  upscaleBase: 'upscale_base',
} as const satisfies Record<Exclude<keyof DecoderImageSide, 'fine'>, string>;

/** A `fine_features` input [B, U, 4h, 4w] (the encoder's output of that name), where the config has a pixel branch. */
export function fineInput(g: Graph, config: SamConfig, batch = 1): Tensor | undefined {
  if (!config.maskDecoder.fineChans) return undefined;
  const low = lowResSize(config);
  return g.input(FINE_FEATURES, [batch, upscaleChannels(config.maskDecoder), low, low]);
}

/** Maps [B, C, h, w] to tokens [B, h·w, C]. */
function asTokens(t: Tensor): Tensor {
  const [b, c, h, w] = t.shape;
  return op.transpose(op.reshape(t, [b, c, h * w]), [0, 2, 1]);
}

/** Shapes of the decoder's per-image tensors of one image. */
function imageSideShapes(config: SamConfig): Record<keyof typeof DECODER_IMAGE_SIDE, number[]> {
  const m = config.maskDecoder;
  const n = embeddingGrid(config) ** 2;
  const internal = m.transformerDim / m.attentionDownsampleRate;
  return {
    tokens: [1, n, m.transformerDim],
    keysT: [1, m.numHeads, internal / m.numHeads, n],
    values: [1, m.numHeads, n, internal / m.numHeads],
    queries: [1, n, internal],
    upscaleBase: [1, n, m.transformerDim],
  };
}

/** The decoder's per-image tensors of one image as graph inputs (named in DECODER_IMAGE_SIDE). */
function imageSideInputs(g: Graph, config: SamConfig): DecoderImageSide {
  const shapes = imageSideShapes(config);
  const keys = Object.keys(DECODER_IMAGE_SIDE) as (keyof typeof DECODER_IMAGE_SIDE)[];
  const side = Object.fromEntries(keys.map((key) => [key, g.input(DECODER_IMAGE_SIDE[key], shapes[key])])) as unknown as DecoderImageSide;
  const fine = fineInput(g, config);
  return fine ? { ...side, fine } : side;
}

/**
 * The decoder's per-image part, computed once per image and shared by every prompt on it (a mask
 * prompt is added to it inside the decoder, see imageSideWithMask): input `image_embedding`
 * [1, C, h, w] → the image side with no mask prompt, outputs named in DECODER_IMAGE_SIDE.
 */
export function buildDecoderImageGraph(config: SamConfig): Graph {
  validateConfig(config);
  const c = config.maskDecoder.transformerDim;
  const side = embeddingGrid(config);
  const g = new Graph();
  const embedding = g.input('image_embedding', [1, c, side, side]);
  const dense = maskPromptEmbedding(g, config, 1);
  const imagePe = g.scope('prompt_encoder', () => densePositionalEncoding(g, gaussianMatrix(g, config), config));
  const tokens = asTokens(op.add(embedding, dense));
  const imageSide: DecoderImageSide = g.scope('mask_decoder', () => ({
    ...g.scope('transformer', () => decoderImageSide(g, tokens, asTokens(imagePe), config.maskDecoder)),
    upscaleBase: upscaleBase(g, tokens, config.maskDecoder),
  }));
  for (const key of Object.keys(DECODER_IMAGE_SIDE) as (keyof typeof DECODER_IMAGE_SIDE)[]) g.output(DECODER_IMAGE_SIDE[key], imageSide[key]);
  return g;
}

/**
 * The decoder for inference: the same function as buildDecoderGraph's (same options and outputs),
 * computed in the few-token order of prompt_transformer.ts. Its image-side inputs are
 * buildDecoderImageGraph's outputs (named in DECODER_IMAGE_SIDE, batch 1: shared by every prompt),
 * with `mask_input` [B, 1, 4h, 4w] beside them when hasMaskInput.
 */
export function buildPromptDecoderGraph(config: SamConfig, options: DecoderGraphOptions): Graph {
  validateConfig(config);
  const batch = options.batch ?? 1;
  const g = new Graph();
  const image: DecoderImage = { imageSide: imageSideInputs(g, config) };
  const prompts = promptInputs(g, batch, options.numPoints);
  const mask = options.hasMaskInput ? { logits: maskInput(g, config, batch) } : undefined;
  return outputDecoded(g, decodePrompts(g, config, image, { ...prompts, mask }, options));
}

export interface ExportDecoderOptions {
  /** Prompt slots: points plus box corners plus padding point, at most (default 16). */
  slots?: number;
  ultrasam: boolean;
}

/** Label marking an unused prompt slot of an exported decoder. */
export const EMPTY_SLOT_LABEL = -2;

/** Prompt slots labelled EMPTY_SLOT_LABEL, [B, N] → true where a slot holds no prompt. */
export function emptySlotsOf(labels: Tensor): Tensor {
  return op.less(labels, EMPTY_SLOT_LABEL + 0.5);
}

/**
 * The decoder as exported for other runtimes (browser, Python): one graph for any prompt, like
 * SAM's own ONNX export, on the image side of buildDecoderImageGraph (run once per image). Inputs:
 * the image side (names in DECODER_IMAGE_SIDE, batch 1), `point_coords` [1, P, 2] (input-frame
 * pixels, +0.5 applied), `point_labels` [1, P] (−1 padding point, 0/1 points, 2/3 box corners,
 * −2 empty slot: excluded from attention, so the result equals a decoder built for the exact
 * count), `mask_input` [1, 1, 4h, 4w] and `has_mask_input` [1] (1: the mask prompt, 0: none, as in
 * SAM's export). Outputs every mask:
 * `low_res_logits` [1, 1 + M, 4h, 4w] and `iou_predictions` [1, 1 + M] (output 0 the single-mask
 * answer, 1..M the multimask candidates).
 */
export function buildExportDecoderGraph(config: SamConfig, options: ExportDecoderOptions): Graph {
  validateConfig(config);
  const g = new Graph();
  const imageSide = imageSideInputs(g, config);
  const prompts = promptInputs(g, 1, options.slots ?? 16);
  const mask = { logits: maskInput(g, config, 1), has: g.input('has_mask_input', [1]) };
  return outputDecoded(
    g,
    decodePrompts(
      g,
      config,
      { imageSide },
      { ...prompts, mask },
      {
        multimask: 'all',
        ultrasam: options.ultrasam,
        emptySlots: emptySlotsOf(prompts.labels),
      },
    ),
  );
}

/** Every canonical state-dict key of the model with its shape (the mask path and no_mask_embed both). */
export function parameterShapes(config: SamConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const graphs = [
    buildEncoderGraph(config),
    buildDecoderGraph(config, { numPoints: 1, hasMaskInput: true, multimask: true, ultrasam: false }),
    buildDecoderGraph(config, { numPoints: 1, hasMaskInput: false, multimask: true, ultrasam: false }),
  ];
  for (const g of graphs) for (const [name, spec] of g.params) shapes.set(name, [...spec.tensor.shape]);
  return shapes;
}

/** A checkpoint tensor as the weight readers hand it out. */
export interface WeightLike {
  shape: readonly number[];
  data: ArrayLike<number | bigint>;
}

/**
 * Checks a canonical-key state dict against the model (every missing key, unexpected key and shape
 * mismatch in one StateDictMismatchError) and returns float32 values by parameter name, ready for
 * `serialize(graph, { params: 'initializers', values })` or for feeding.
 */
export function weightValues(config: SamConfig, tensors: ReadonlyMap<string, WeightLike>): Map<string, Float32Array> {
  checkStateDict(parameterShapes(config), tensors);
  const values = new Map<string, Float32Array>();
  for (const [key, t] of tensors) {
    if (t.data instanceof Float32Array) values.set(key, t.data);
    else if (t.data instanceof Float64Array) values.set(key, Float32Array.from(t.data));
    else throw new Error(`weight '${key}' [${t.shape}]: expected floating-point data, got ${t.data.constructor.name}`);
  }
  return values;
}
