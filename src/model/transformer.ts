// SAM's two-way transformer (segment_anything/modeling/transformer.py): prompt tokens and image
// tokens attend to each other in turn. Parameter names are relative to `mask_decoder.transformer`.
import type { Graph, Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { layerNorm, linear, mlpBlock } from './common.js';
import type { MaskDecoderConfig } from './config.js';

// nn.LayerNorm's default: the decoder does not pass an eps.
const EPS = 1e-5;

export interface TwoWayOptions {
  /**
   * UltraSam's decoder block: its MLP (an mmcv FFN) adds its own residual and the block adds the
   * residual again, so the MLP step computes norm3(2·q + MLP(q)) instead of norm3(q + MLP(q)).
   */
  ultrasam: boolean;
  /**
   * [B, 1, 1, N] added to the attention logits wherever the tokens are the keys: 0 for real
   * tokens, a large negative number for empty prompt slots, which then take no part (exported
   * decoders with a fixed number of slots use it to serve any number of prompts).
   */
  tokenBias?: Tensor;
}

/**
 * image [B, C, h, w], imagePe [1|B, C, h, w], tokens [B, N, C] →
 * queries (updated tokens) [B, N, C] and keys (updated image tokens) [B, h·w, C].
 */
export function twoWayTransformer(g: Graph, image: Tensor, imagePe: Tensor, tokens: Tensor, cfg: MaskDecoderConfig, options: TwoWayOptions): { queries: Tensor; keys: Tensor } {
  const [b, c, h, w] = image.shape;
  const flatten = (t: Tensor) => op.transpose(op.reshape(t, [t.shape[0], c, h * w]), [0, 2, 1]);
  let keys = flatten(image);
  const keyPe = flatten(imagePe);
  let queries = tokens;
  if (tokens.shape[0] !== b || tokens.shape[2] !== c) {
    throw new Error(`two-way transformer: tokens [${tokens.shape}] do not match the image embedding [${image.shape}]`);
  }
  for (let i = 0; i < cfg.depth; i++) {
    [queries, keys] = g.scope(`layers.${i}`, () => twoWayBlock(g, queries, keys, tokens, keyPe, cfg, i === 0, options));
  }
  // Final attention from the tokens to the image, then a norm.
  const q = op.add(queries, tokens);
  const k = op.add(keys, keyPe);
  const out = attention(g, 'final_attn_token_to_image', q, k, keys, cfg.numHeads, cfg.attentionDownsampleRate);
  queries = layerNorm(g, 'norm_final_attn', op.add(queries, out), EPS);
  return { queries, keys };
}

function twoWayBlock(g: Graph, queries: Tensor, keys: Tensor, queryPe: Tensor, keyPe: Tensor, cfg: MaskDecoderConfig, skipFirstLayerPe: boolean, options: TwoWayOptions): [Tensor, Tensor] {
  // Self-attention of the tokens. The first layer has no positional term and no residual: its
  // queries are the prompt embeddings themselves.
  if (skipFirstLayerPe) {
    queries = attention(g, 'self_attn', queries, queries, queries, cfg.numHeads, 1, options.tokenBias);
  } else {
    const q = op.add(queries, queryPe);
    queries = op.add(queries, attention(g, 'self_attn', q, q, queries, cfg.numHeads, 1, options.tokenBias));
  }
  queries = layerNorm(g, 'norm1', queries, EPS);

  // Tokens attend to the image.
  let q = op.add(queries, queryPe);
  let k = op.add(keys, keyPe);
  queries = op.add(queries, attention(g, 'cross_attn_token_to_image', q, k, keys, cfg.numHeads, cfg.attentionDownsampleRate));
  queries = layerNorm(g, 'norm2', queries, EPS);

  // MLP on the tokens.
  const mlpOut = mlpBlock(g, 'mlp', queries, cfg.mlpDim, op.relu);
  // UltraSam: the FFN returns q + MLP(q) and the block adds q again (same rounding as the reference).
  const updated = options.ultrasam ? op.add(queries, op.add(queries, mlpOut)) : op.add(queries, mlpOut);
  queries = layerNorm(g, 'norm3', updated, EPS);

  // The image attends to the tokens.
  q = op.add(queries, queryPe);
  k = op.add(keys, keyPe);
  keys = op.add(keys, attention(g, 'cross_attn_image_to_token', k, q, queries, cfg.numHeads, cfg.attentionDownsampleRate, options.tokenBias));
  keys = layerNorm(g, 'norm4', keys, EPS);
  return [queries, keys];
}

/**
 * SAM's decoder Attention: q, k, v projected to C / downsampleRate channels, split into heads,
 * softmax(q·kᵀ / √headDim + keyBias)·v, heads merged, projected back to C.
 */
export function attention(g: Graph, name: string, q: Tensor, k: Tensor, v: Tensor, heads: number, downsampleRate: number, keyBias?: Tensor): Tensor {
  return g.scope(name, () => {
    const dim = q.shape[2];
    const internal = dim / downsampleRate;
    const headDim = internal / heads;
    const split = (t: Tensor) => op.transpose(op.reshape(t, [t.shape[0], t.shape[1], heads, headDim]), [0, 2, 1, 3]);
    const qh = split(linear(g, 'q_proj', q, dim, internal));
    const kh = split(linear(g, 'k_proj', k, dim, internal));
    const vh = split(linear(g, 'v_proj', v, dim, internal));
    const scaled = op.div(op.matmul(qh, op.transposeLast(kh)), Math.sqrt(headDim));
    const logits = keyBias ? op.add(scaled, keyBias) : scaled;
    const out = op.matmul(op.softmax(logits, -1), vh); // [B, heads, n, headDim]
    const merged = op.reshape(op.transpose(out, [0, 2, 1, 3]), [q.shape[0], q.shape[1], internal]);
    return linear(g, 'out_proj', merged, internal, dim);
  });
}
