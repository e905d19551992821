// SAM's prompt encoder (segment_anything/modeling/prompt_encoder.py). Parameter names are relative
// to the `prompt_encoder` scope that sam.ts opens.
//
// Points and box corners arrive as one padded sequence (see prompts.ts): coordinates in input-frame
// pixels with the +0.5 pixel-centre shift already applied, and float labels
//   −1 padding (positional encoding zeroed, not_a_point_embed added),
//    0 negative point, 1 positive point, 2 box top-left, 3 box bottom-right
//      (point_embeddings[label] added to the positional encoding).
// This is exactly SAM's _embed_points followed by _embed_boxes when the corners come last.
import type { Graph, Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { conv2d, layerNorm2d } from './common.js';
import { type SamConfig, embeddingGrid } from './config.js';

/**
 * The random-Fourier table [2, dim/2]: a buffer in SAM's state dict, never trained. Declared once
 * per graph and passed to both encodings that use it.
 */
export function gaussianMatrix(g: Graph, config: SamConfig): Tensor {
  return g.param('pe_layer.positional_encoding_gaussian_matrix', [2, config.maskDecoder.transformerDim / 2], { trainable: false });
}

/** PositionEmbeddingRandom._pe_encoding: coords in [0,1] [..., 2] → [sin | cos] [..., dim]. */
function peEncoding(coords: Tensor, gaussian: Tensor): Tensor {
  const centred = op.sub(op.mul(coords, 2), 1);
  const projected = op.mul(op.matmul(centred, gaussian), 2 * Math.PI);
  return op.concat([op.sin(projected), op.cos(projected)], -1);
}

/** get_dense_pe: the encoding of every embedding-grid cell centre → [1, dim, h, w]. */
export function densePositionalEncoding(g: Graph, gaussian: Tensor, config: SamConfig): Tensor {
  const side = embeddingGrid(config);
  const centres = new Float32Array(side * side * 2);
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      centres[(i * side + j) * 2] = (j + 0.5) / side; // x first, as the reference stacks [x, y]
      centres[(i * side + j) * 2 + 1] = (i + 0.5) / side;
    }
  }
  const pe = peEncoding(g.constant(centres, [side, side, 2]), gaussian); // [h, w, dim]
  return op.unsqueeze(op.transpose(pe, [2, 0, 1]), [0]);
}

/** Sparse embeddings of the padded prompt sequence: coords [B, N, 2], labels [B, N] → [B, N, dim]. */
export function embedPoints(g: Graph, coords: Tensor, labels: Tensor, gaussian: Tensor, config: SamConfig): Tensor {
  const dim = config.maskDecoder.transformerDim;
  const size = config.imageEncoder.imgSize;
  const normalised = op.div(coords, size); // input_image_size is the square padded input
  const pe = peEncoding(normalised, gaussian);
  const label = op.unsqueeze(labels, [-1]); // [B, N, 1]
  let emb = op.where(op.equal(label, -1), g.param('not_a_point_embed.weight', [1, dim]), pe);
  // The reference adds (label == k) · embedding_k; a Where picks the same values without a Cast,
  // whose kernel in onnxruntime-web is one very large WebAssembly function: the browser compiled it
  // with its optimising tier during the first clicks, holding one of the decoder's cores for over a
  // second (docs/benchmarks.md, issue 13, twenty-third session).
  for (let k = 0; k < 4; k++) {
    emb = op.add(emb, op.where(op.equal(label, k), g.param(`point_embeddings.${k}.weight`, [1, dim]), 0));
  }
  return emb;
}

/**
 * Dense embeddings [B, dim, h, w]: the mask input (low-res logits [B, 1, 4h, 4w]) through the
 * downscaling convolutions, or no_mask_embed broadcast over the grid when there is none.
 */
export function embedDense(g: Graph, maskInput: Tensor | null, batch: number, config: SamConfig): Tensor {
  const dim = config.maskDecoder.transformerDim;
  const side = embeddingGrid(config);
  if (!maskInput) {
    const noMask = op.reshape(g.param('no_mask_embed.weight', [1, dim]), [1, dim, 1, 1]);
    return op.expand(noMask, [batch, dim, side, side]);
  }
  return g.scope('mask_downscaling', () => conv2d(g, '6', maskFeatures(g, maskInput, config), { out: dim, kernel: 1 }));
}

/**
 * The mask downscaling up to its last layer (a 1×1 convolution, '6'): low-res logits [B, 1, 4h, 4w]
 * → [B, maskInChans, h, w]. Call inside the `mask_downscaling` scope.
 */
export function maskFeatures(g: Graph, maskInput: Tensor, config: SamConfig): Tensor {
  const chans = config.promptEncoder.maskInChans;
  let x = conv2d(g, '0', maskInput, { out: chans / 4, kernel: 2, stride: 2 });
  x = op.gelu(layerNorm2d(g, '1', x));
  x = conv2d(g, '3', x, { out: chans, kernel: 2, stride: 2 });
  return op.gelu(layerNorm2d(g, '4', x));
}
