// SAM's two-way transformer (transformer.ts) computed for a few prompt tokens against many image
// tokens: the same function, in an order that costs O(T·N·C) per head instead of O(N·C·C′), with
// T prompt tokens (≈ 7–10), N image tokens (4096) and C, C′ the widths (256, 128). Two things make it
// cheaper, both exact up to float rounding:
// - Per image: layer 0's image side does not depend on the prompt when there is no mask input, so
//   its projections (token→image keys and values, image→token queries) are computed once per image
//   (`decoderImageSide`) and fed to every prompt.
// - Reordering: with X the image tokens, q_h and k_h, v_h a head's projected prompt tokens,
//     token→image  softmax(q_h (X W_k,h + b_k,h)ᵀ) (X W_v,h + b_v,h) = softmax((q_h W_k,hᵀ) Xᵀ) X W_v,h + b_v,h
//   (q_h·b_k,h is constant along a softmax row, and the rows sum to 1), and
//     image→token  Σ_h softmax((X W_q,h + b_q,h) k_hᵀ) v_h W_o,h = Σ_h softmax(X (W_q,h k_hᵀ) + b_q,h k_hᵀ) (v_h W_o,h),
//   so no product of the N image tokens with a weight matrix remains; the heads' small factors
//   are stacked block-diagonally so that each side is one matrix product over all heads.
// Where the prompt has so many tokens that heads·T approaches C′, the plain order is cheaper, and
// each attention picks the order with fewer multiply-adds (`reorderPays`). Parameter names are
// those of transformer.ts, relative to `mask_decoder.transformer`.
import type { Graph, Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { layerNorm, linear, mlpBlock } from './common.js';
import type { MaskDecoderConfig } from './config.js';
import { attention } from './transformer.js';

// nn.LayerNorm's default, as in transformer.ts.
const EPS = 1e-5;

/** Layer 0's prompt-independent tensors, for N image tokens of width C and C′ = C / downsample rate. */
export interface TransformerImageSide {
  /** The image tokens entering layer 0, embedding + dense prompt embedding: [B′, N, C]. */
  tokens: Tensor;
  /** Token→image keys per head, transposed: ((tokens + pe)·W_kᵀ + b_k) as [B′, heads, C′/heads, N]. */
  keysT: Tensor;
  /** Token→image values per head: (tokens·W_vᵀ + b_v) as [B′, heads, N, C′/heads]. */
  values: Tensor;
  /** Image→token queries, (tokens + pe)·W_qᵀ + b_q: [B′, N, C′]. */
  queries: Tensor;
}

/**
 * Layer 0's image side from the image tokens [B′, N, C] and the dense positional encoding as tokens
 * [1, N, C]. Opens the `layers.0` scope itself (call inside `mask_decoder.transformer`).
 */
export function decoderImageSide(g: Graph, tokens: Tensor, keyPe: Tensor, cfg: MaskDecoderConfig): TransformerImageSide {
  const [b, n, c] = tokens.shape;
  const internal = c / cfg.attentionDownsampleRate;
  const headDim = internal / cfg.numHeads;
  return g.scope('layers.0', () => {
    const withPe = op.add(tokens, keyPe);
    const { keysT, values } = g.scope('cross_attn_token_to_image', () => ({
      keysT: op.transpose(op.reshape(linear(g, 'k_proj', withPe, c, internal), [b, n, cfg.numHeads, headDim]), [0, 2, 3, 1]),
      values: op.transpose(op.reshape(linear(g, 'v_proj', tokens, c, internal), [b, n, cfg.numHeads, headDim]), [0, 2, 1, 3]),
    }));
    const queries = g.scope('cross_attn_image_to_token', () => linear(g, 'q_proj', withPe, c, internal));
    return { tokens, keysT, values, queries };
  });
}

export interface PromptTransformerOptions {
  /** UltraSam's decoder block (see TwoWayOptions.ultrasam). */
  ultrasam: boolean;
  /** [B, 1, 1, T]: 0 for real tokens, a large negative number for empty prompt slots (see TwoWayOptions.tokenBias). */
  tokenBias?: Tensor;
  /**
   * The tokens whose final outputs are used (the IoU token and the mask tokens asked for). The
   * final token→image attention acts on each token alone, so the others are left out of it.
   */
  finalTokens: readonly number[];
}

/**
 * One layer's update of the image tokens, as the keys leave it: K_i = LN(K_{i−1} + P_iᵀ V_i) with
 * K_{−1} the image tokens, the attention's probabilities P_i and value rows V_i (the image→token
 * attention in the reordered form), and LN's row statistics and parameters. The chain is affine
 * in the image tokens but for per-row scalars, which lets a product with the final keys be taken
 * over the image tokens once per image (prompt_decoder.ts).
 */
export interface KeyUpdate {
  /** P_i [B, heads·T, N]. */
  probsT: Tensor;
  /** V_i [B, heads·T, C] (the output projection's bias included). */
  values: Tensor;
  /** LN's mean and inverse standard deviation per image token, [B, N, 1]. */
  mean: Tensor;
  invStd: Tensor;
  /** LN's scale and shift [C]. */
  scale: Tensor;
  shift: Tensor;
}

/**
 * The two-way transformer on layer 0's image side (see decoderImageSide), the dense positional
 * encoding as tokens keyPe [1, N, C] and the tokens [B, T, C] →
 * queries [B, finalTokens.length, C] (the final tokens, in that order), keys [B, N, C] and, where
 * every layer's image→token attention ran in the reordered form, how the keys were made from the
 * image tokens (`updates`, one per layer).
 */
export function promptTwoWayTransformer(
  g: Graph,
  image: TransformerImageSide,
  keyPe: Tensor,
  tokens: Tensor,
  cfg: MaskDecoderConfig,
  options: PromptTransformerOptions,
): { queries: Tensor; keys: Tensor; updates?: KeyUpdate[] } {
  const [b, t, c] = tokens.shape;
  if (image.tokens.shape[2] !== c || (image.tokens.shape[0] !== 1 && image.tokens.shape[0] !== b)) {
    throw new Error(`prompt transformer: tokens [${tokens.shape}] do not match the image tokens [${image.tokens.shape}]`);
  }
  const bias = options.tokenBias;
  let queries = tokens;
  let keys = image.tokens;
  let updates: KeyUpdate[] | undefined = [];
  for (let i = 0; i < cfg.depth; i++) {
    g.scope(`layers.${i}`, () => {
      // Token side, as transformer.ts: self-attention (layer 0 without positional term and residual), MLP.
      if (i === 0) {
        queries = attention(g, 'self_attn', queries, queries, queries, cfg.numHeads, 1, bias);
      } else {
        const q = op.add(queries, tokens);
        queries = op.add(queries, attention(g, 'self_attn', q, q, queries, cfg.numHeads, 1, bias));
      }
      queries = layerNorm(g, 'norm1', queries, EPS);

      const keysPe = i === 0 ? null : op.add(keys, keyPe);
      const toImage =
        i === 0
          ? tokenToImagePrecomputed(g, 'cross_attn_token_to_image', op.add(queries, tokens), image, cfg)
          : tokenToImage(g, 'cross_attn_token_to_image', op.add(queries, tokens), keysPe!, keys, cfg);
      queries = layerNorm(g, 'norm2', op.add(queries, toImage), EPS);

      const mlpOut = mlpBlock(g, 'mlp', queries, cfg.mlpDim, op.relu);
      const updated = options.ultrasam ? op.add(queries, op.add(queries, mlpOut)) : op.add(queries, mlpOut);
      queries = layerNorm(g, 'norm3', updated, EPS);

      // Image side: the image tokens plus their attention to the tokens.
      const k = op.add(queries, tokens);
      const { out: updatedKeys, update } =
        i === 0
          ? imageToTokenPrecomputed(g, 'cross_attn_image_to_token', image.queries, k, queries, keys, cfg, bias)
          : imageToToken(g, 'cross_attn_image_to_token', keysPe!, k, queries, keys, cfg, bias);
      const norm = g.scope('norm4', () => {
        const [scale, shift] = [g.param('weight', [c]), g.param('bias', [c])];
        return { scale, shift, ...op.layerNormWithStats(updatedKeys, scale, shift, EPS) };
      });
      keys = norm.y;
      updates = update && updates ? [...updates, { ...update, mean: norm.mean, invStd: norm.invStd, scale: norm.scale, shift: norm.shift }] : undefined;
    });
  }
  // The final token→image attention, for the tokens whose outputs are used.
  const pick = (x: Tensor) => selectTokens(x, options.finalTokens, t);
  const finalQueries = pick(queries);
  const out = tokenToImage(g, 'final_attn_token_to_image', op.add(finalQueries, pick(tokens)), op.add(keys, keyPe), keys, cfg);
  return { queries: layerNorm(g, 'norm_final_attn', op.add(finalQueries, out), EPS), keys, updates };
}

/** x[:, indices] along axis 1 as runs of consecutive indices ([B, T, C] → [B, indices.length, C]). */
function selectTokens(x: Tensor, indices: readonly number[], count: number): Tensor {
  if (indices.length === count && indices.every((v, i) => v === i)) return x;
  const runs: [number, number][] = [];
  for (const v of indices) {
    if (!Number.isInteger(v) || v < 0 || v >= count) throw new Error(`prompt transformer: token ${v} is not one of ${count}`);
    const last = runs[runs.length - 1];
    if (last && last[1] === v) last[1] = v + 1;
    else runs.push([v, v + 1]);
  }
  const parts = runs.map(([from, to]) => op.slice(x, [from], [to], [1]));
  return parts.length === 1 ? parts[0] : op.concat(parts, 1);
}

/**
 * Multiply-adds per image token of an attention between T tokens and the image, reordered against
 * plain: reordered, two products of the stacked heads (heads·T rows) with width C; plain, two
 * projections C → C′ and the per-head products with the tokens.
 */
export function reorderPays(tokens: number, heads: number, dim: number, internal: number): boolean {
  return 2 * heads * tokens * dim < 2 * dim * internal + 2 * tokens * internal;
}

/**
 * x [B, T, C′] → [B, heads·T, C′]: row h·T + t holds token t's channels of head h and zeros
 * elsewhere, so that one product with a [C′, …] matrix gives every head's own product at once.
 */
function headBlocks(x: Tensor, heads: number): Tensor {
  const [b, t, internal] = x.shape;
  const headDim = internal / heads;
  const mask = new Float32Array(heads * internal);
  for (let h = 0; h < heads; h++) mask.fill(1, h * internal + h * headDim, h * internal + (h + 1) * headDim);
  const blocks = op.mul(op.expand(op.unsqueeze(x, [1]), [b, heads, t, internal]), x.graph.constant(mask, [heads, 1, internal]));
  return op.reshape(blocks, [b, heads * t, internal]);
}

/** Splits [B, T, C′] into heads [B, heads, T, C′/heads]. */
function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, t, internal] = x.shape;
  return op.transpose(op.reshape(x, [b, t, heads, internal / heads]), [0, 2, 1, 3]);
}

/** Merges heads [B, heads, T, d] into [B, T, heads·d]. */
function mergeHeads(x: Tensor): Tensor {
  const [b, heads, t, d] = x.shape;
  return op.reshape(op.transpose(x, [0, 2, 1, 3]), [b, t, heads * d]);
}

/** The attention's weight and bias parameters (declared as transformer.ts's attention declares them). */
function projection(g: Graph, name: string, inDim: number, outDim: number): { weight: Tensor; bias: Tensor } {
  return g.scope(name, () => ({ weight: g.param('weight', [outDim, inDim]), bias: g.param('bias', [outDim]) }));
}

/**
 * Token→image attention: queries q [B, T, C] (positional term added), image keys [B′, N, C]
 * (positional term added) and values [B′, N, C] → [B, T, C].
 */
function tokenToImage(g: Graph, name: string, q: Tensor, keys: Tensor, values: Tensor, cfg: MaskDecoderConfig): Tensor {
  const [b, t, c] = q.shape;
  const heads = cfg.numHeads;
  const internal = c / cfg.attentionDownsampleRate;
  if (!reorderPays(t, heads, c, internal)) {
    return attention(g, name, q, keys, values, heads, cfg.attentionDownsampleRate);
  }
  const headDim = internal / heads;
  return g.scope(name, () => {
    const qp = op.mul(linear(g, 'q_proj', q, c, internal), 1 / Math.sqrt(headDim));
    const kProj = projection(g, 'k_proj', c, internal);
    const vProj = projection(g, 'v_proj', c, internal);
    // Logits (q_h W_k,h) Xᵀ for all heads at once: [B, heads·T, N]; b_k only shifts each row.
    const logits = op.matmul(op.matmul(headBlocks(qp, heads), kProj.weight), op.transposeLast(keys));
    const mixed = op.matmul(op.softmax(logits, -1), values); // (P_h X): [B, heads·T, C]
    // Each head's rows through its own slice of W_v: [B, heads, T, C] · [heads, C, d] → [B, heads, T, d].
    const wv = op.transposeLast(op.reshape(vProj.weight, [heads, headDim, c]));
    const perHead = op.matmul(op.reshape(mixed, [b, heads, t, c]), wv);
    const merged = op.add(mergeHeads(perHead), vProj.bias);
    return linear(g, 'out_proj', merged, internal, c);
  });
}

/** Layer 0's token→image attention on the precomputed keys and values (plain order, no image-side product). */
function tokenToImagePrecomputed(g: Graph, name: string, q: Tensor, image: TransformerImageSide, cfg: MaskDecoderConfig): Tensor {
  const c = q.shape[2];
  const internal = c / cfg.attentionDownsampleRate;
  const headDim = internal / cfg.numHeads;
  return g.scope(name, () => {
    const qh = splitHeads(op.mul(linear(g, 'q_proj', q, c, internal), 1 / Math.sqrt(headDim)), cfg.numHeads);
    const p = op.softmax(op.matmul(qh, image.keysT), -1); // [B, heads, T, N]
    return linear(g, 'out_proj', mergeHeads(op.matmul(p, image.values)), internal, c);
  });
}

/**
 * A · B + c with A = a or aᵀ and B = b or bᵀ (the last two axes; `transpose` says which), c
 * broadcasting to the product [B, m, n]: one Gemm (c as its C input) when every batch is 1, which
 * saves a pass over the result.
 */
export function productPlus(a: Tensor, b: Tensor, c: Tensor, transpose: { a?: boolean; b?: boolean }): Tensor {
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  if (a.rank === 3 && a.shape[0] === 1 && b.rank === 3 && b.shape[0] === 1 && c.rank === 3 && c.shape[0] === 1) {
    const product = op.gemm(op.reshape(a, [ar, ac]), op.reshape(b, [br, bc]), op.reshape(c, c.shape.slice(1)), { transA: transpose.a, transB: transpose.b });
    return op.reshape(product, [1, ...product.shape]);
  }
  return op.add(op.matmul(transpose.a ? op.transposeLast(a) : a, transpose.b ? op.transposeLast(b) : b), c);
}

/**
 * Softmax over the token axis of per-head logits [B, heads, T, N]. Image→token attention
 * normalises each image token's T ≈ 7 logits per head; onnxruntime's Softmax works row by row over
 * the last axis, which for rows of 7 costs more than the products around it (docs/benchmarks.md).
 * With the tokens on axis 2, every step (max, exp, sum, divide) runs along N.
 */
function softmaxOverTokens(x: Tensor): Tensor {
  const e = op.exp(op.sub(x, op.reduceMax(x, [2], true)));
  return op.div(e, op.reduceSum(e, [2], true));
}

/** An image→token attention's output plus its residual [B, N, C], and its factors where reordered (see KeyUpdate). */
interface ImageToTokenResult {
  out: Tensor;
  update?: Pick<KeyUpdate, 'probsT' | 'values'>;
}

/**
 * Image→token attention in the reordered form plus its residual [B′, N, C], given the logits'
 * image factor: `logitsOf(Kbdᵀ)` returns the logits, transposed, [B, heads·T, N] for the
 * block-diagonal scaled keys Kbdᵀ [B, heads·T, C′].
 */
function imageToTokenReordered(g: Graph, k: Tensor, v: Tensor, residual: Tensor, cfg: MaskDecoderConfig, bias: Tensor | undefined, logitsOf: (keyBlocksT: Tensor) => Tensor): ImageToTokenResult {
  const [b, t, c] = k.shape;
  const heads = cfg.numHeads;
  const internal = c / cfg.attentionDownsampleRate;
  const headDim = internal / heads;
  const kp = op.mul(linear(g, 'k_proj', k, c, internal), 1 / Math.sqrt(headDim));
  const vp = linear(g, 'v_proj', v, c, internal);
  const logits = logitsOf(headBlocks(kp, heads)); // [B, heads·T, N]
  const n = logits.shape[2];
  let perHead = op.reshape(logits, [b, heads, t, n]);
  if (bias) perHead = op.add(perHead, op.transpose(bias, [0, 1, 3, 2])); // [B, 1, 1, T] → [B, 1, T, 1]
  const p = op.reshape(softmaxOverTokens(perHead), [b, heads * t, n]);
  // v_h W_o,h for all heads: [B, heads·T, C′] · W_oᵀ [C′, C] → [B, heads·T, C]. Each head's
  // probabilities sum to 1, so b_o / heads added to every row adds b_o to the output.
  const out = projection(g, 'out_proj', internal, c);
  const valuesOut = op.add(op.matmul(headBlocks(vp, heads), op.transposeLast(out.weight)), op.div(out.bias, heads));
  return { out: productPlus(p, valuesOut, residual, { a: true }), update: { probsT: p, values: valuesOut } };
}

/**
 * Image→token attention plus its residual: image queries [B′, N, C] (positional term added), token
 * keys k [B, T, C] (positional term added) and values v [B, T, C], the image tokens [B′, N, C] as
 * the residual, keys bias [B, 1, 1, T] → [B, N, C].
 */
function imageToToken(g: Graph, name: string, queries: Tensor, k: Tensor, v: Tensor, residual: Tensor, cfg: MaskDecoderConfig, bias?: Tensor): ImageToTokenResult {
  const [, t, c] = k.shape;
  const internal = c / cfg.attentionDownsampleRate;
  if (!reorderPays(t, cfg.numHeads, c, internal)) {
    return { out: op.add(residual, attention(g, name, queries, k, v, cfg.numHeads, cfg.attentionDownsampleRate, bias)) };
  }
  return g.scope(name, () => {
    const qProj = projection(g, 'q_proj', c, internal);
    // (X (W_qᵀ Kbd) + b_q Kbd)ᵀ = (Kbdᵀ W_q) Xᵀ + Kbdᵀ b_qᵀ: the queries' weight folded into the keys' side.
    return imageToTokenReordered(g, k, v, residual, cfg, bias, (kbdT) => {
      const folded = op.matmul(kbdT, qProj.weight); // [B, heads·T, C]
      const shift = op.matmul(kbdT, op.reshape(qProj.bias, [internal, 1])); // [B, heads·T, 1]
      return productPlus(folded, queries, shift, { b: true });
    });
  });
}

/** Layer 0's image→token attention on the precomputed image queries [B′, N, C′], plus its residual. */
function imageToTokenPrecomputed(g: Graph, name: string, queries: Tensor, k: Tensor, v: Tensor, residual: Tensor, cfg: MaskDecoderConfig, bias?: Tensor): ImageToTokenResult {
  const [, t, c] = k.shape;
  const heads = cfg.numHeads;
  const internal = c / cfg.attentionDownsampleRate;
  const headDim = internal / heads;
  // Reordered: logits Q·Kbd (N·C′·heads·T) and output (N·heads·T·C); plain: per-head logits and
  // values (2·N·T·C′) and out_proj (N·C′·C).
  const reordered = internal * heads * t + heads * t * c < 2 * t * internal + internal * c;
  return g.scope(name, () => {
    if (reordered) return imageToTokenReordered(g, k, v, residual, cfg, bias, (kbdT) => op.matmul(kbdT, op.transposeLast(queries)));
    const qh = splitHeads(queries, heads);
    const kh = splitHeads(op.mul(linear(g, 'k_proj', k, c, internal), 1 / Math.sqrt(headDim)), heads);
    const vh = splitHeads(linear(g, 'v_proj', v, c, internal), heads);
    let logits = op.matmul(qh, op.transposeLast(kh)); // [B, heads, N, T]
    if (bias) logits = op.add(logits, bias);
    return { out: op.add(residual, linear(g, 'out_proj', mergeHeads(op.matmul(op.softmax(logits, -1), vh)), internal, c)) };
  });
}
