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
// Parameter names are those of mask_decoder.ts, relative to `mask_decoder`.
import type { Graph, Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { layerNorm, mlp } from './common.js';
import type { MaskDecoderConfig } from './config.js';
import { decoderTokens, emptySlotBias } from './mask_decoder.js';
import { type DecoderImageSide, promptTwoWayTransformer } from './prompt_transformer.js';

export interface PromptDecoderOptions {
  /** true: outputs 1..numMultimaskOutputs; false: output 0 alone; 'all': every output, 0 first. */
  multimask: boolean | 'all';
  ultrasam: boolean;
  /** Empty prompt slots: [B, N] true where a slot holds no prompt. */
  emptySlots?: Tensor;
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
  const { queries, keys } = g.scope('transformer', () =>
    promptTwoWayTransformer(g, image, keyPe, tokens, cfg, {
      ultrasam: options.ultrasam,
      tokenBias,
      finalTokens: [0, ...maskIndices.map((m) => 1 + m)],
    }),
  );

  // Upscaled image tokens as rows (pixel, sub-pixel, sub-pixel): [B, 16·h·w, C/8].
  const upscaled = g.scope('output_upscaling', () => {
    const x = op.gelu(layerNorm(g, '1', subPixelLinear(g, '0', keys, c / 4), 1e-6));
    return op.gelu(subPixelLinear(g, '3', x, c / 8));
  });
  const hyper = maskIndices.map((m, j) => mlp(g, `output_hypernetworks_mlps.${m}`, op.slice(queries, [1 + j], [2 + j], [1]), c, c / 8, 3));
  const hyperIn = hyper.length === 1 ? hyper[0] : op.concat(hyper, 1); // [B, K, C/8]
  const k = maskIndices.length;
  const s = UPSCALE;
  // Rows are (i, j, a, b, c, d) for the pixel (s²·i + s·a + c, s²·j + s·b + d).
  const rows = op.reshape(op.matmul(hyperIn, op.transposeLast(upscaled)), [b * k * h, w, s, s, s, s]);
  const masks = op.reshape(op.transpose(rows, [0, 2, 4, 1, 3, 5]), [b, k, s * s * h, s * s * w]);

  const iouTokenOut = op.reshape(op.slice(queries, [0], [1], [1]), [b, c]);
  const iouAll = mlp(g, 'iou_prediction_head', iouTokenOut, cfg.iouHeadHiddenDim, numMaskTokens, cfg.iouHeadDepth);
  const iou = options.multimask === 'all' ? iouAll : op.slice(iouAll, [maskIndices[0]], [maskIndices[k - 1] + 1], [1]);
  return { masks, iou };
}

/**
 * nn.ConvTranspose2d with kernel = stride = UPSCALE on rows: x [B, R, C_in] → [B, R·UPSCALE², out],
 * row r·UPSCALE² + a·UPSCALE + b the output at sub-pixel (a, b) of input row r. Declares
 * `name.weight` [C_in, out, k, k] and `name.bias` [out] as the convolution does.
 */
function subPixelLinear(g: Graph, name: string, x: Tensor, out: number): Tensor {
  const [b, r, inDim] = x.shape;
  const k = UPSCALE;
  return g.scope(name, () => {
    const weight = g.param('weight', [inDim, out, k, k]);
    const bias = g.param('bias', [out]);
    // Linear layout [(a, b, o), C_in]; the bias repeated for every sub-pixel.
    const rowsWeight = op.reshape(op.transpose(weight, [2, 3, 1, 0]), [k * k * out, inDim]);
    const y = op.linear(x, rowsWeight, op.tile(bias, [k * k]));
    return op.reshape(y, [b, r * k * k, out]);
  });
}
