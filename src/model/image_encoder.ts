// SAM's image encoder (segment_anything/modeling/image_encoder.py): a ViT with windowed and
// global attention, decomposed relative position bias, and a convolutional neck.
// Parameter names are relative to the `image_encoder` scope that sam.ts opens.
import type { Graph, Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { conv2d, layerNorm, layerNorm2d, mlpBlock } from './common.js';
import { type ImageEncoderConfig, encoderStrips } from './config.js';
import { bicubicMatrix, linearMatrix } from './interpolate.js';

export interface ImageEncoderOptions {
  /**
   * For graphs that are never differentiated (inference): attention adds the relative-position
   * terms to its logits in two broadcast adds instead of building them into one bias of the
   * logits' size for op.attention (whose form gives training its short backward pass). The same
   * function; in the global blocks it saves writing and reading a 12 × 4096 × 4096 tensor.
   */
  forwardOnly?: boolean;
  /**
   * With forwardOnly: the most attention logits one group of heads holds at once (default
   * GROUP_LOGITS); heads are taken in groups of the largest divisor of their number that fits.
   */
  logitsPerGroup?: number;
}

/** image [B, inChans, S, S], normalised and padded → embedding [B, outChans, S/patch, S/patch]. */
export function imageEncoder(g: Graph, image: Tensor, cfg: ImageEncoderConfig, options: ImageEncoderOptions = {}): Tensor {
  const [, c, h, w] = image.shape;
  if (image.rank !== 4 || c !== cfg.inChans || h !== cfg.imgSize || w !== cfg.imgSize) {
    throw new Error(`image encoder: expected an image [B,${cfg.inChans},${cfg.imgSize},${cfg.imgSize}], got [${image.shape}]`);
  }
  checkOptions(options);
  let x = patchEmbed(g, image, cfg);
  if (cfg.useAbsPos) x = op.add(x, positionEmbedding(g, cfg));
  return neck(g, blocks(g, x, cfg, 0, cfg.depth, options), cfg);
}

/**
 * One strip of the normalised, padded image (see EncoderStrips) → its tokens after the strip blocks
 * [1, h, S/patch, C]: with `index` ([1] int64), strip `index` of the full-height ones, pixels
 * [1, inChans, rows·patch, S]; without, the last strip, pixels [1, inChans, lastRows·patch, S].
 * The windowed attention pads a short last strip as it pads the whole grid.
 */
export function imageEncoderStrip(g: Graph, pixels: Tensor, index: Tensor | null, cfg: ImageEncoderConfig, options: ImageEncoderOptions = {}): Tensor {
  const strips = encoderStrips(cfg);
  const grid = cfg.imgSize / cfg.patchSize;
  // Strips of the full height: all of them when the last is one, else all but the last.
  const full = strips.lastRows === strips.rows ? strips.count : strips.count - 1;
  if (!index && full === strips.count) throw new Error('image encoder strip: this model has no short last strip; every strip takes an index');
  const rows = index ? strips.rows : strips.lastRows;
  const side = rows * cfg.patchSize;
  if (pixels.rank !== 4 || pixels.shape[0] !== 1 || pixels.shape[1] !== cfg.inChans || pixels.shape[2] !== side || pixels.shape[3] !== cfg.imgSize) {
    throw new Error(`image encoder strip: expected pixels [1,${cfg.inChans},${side},${cfg.imgSize}], got [${pixels.shape}]`);
  }
  checkOptions(options);
  let x = patchEmbed(g, pixels, cfg);
  if (cfg.useAbsPos) {
    const pos = positionEmbedding(g, cfg);
    const first = full * strips.rows;
    // The strip's rows of the table: gathered by `index` from the full strips', or the last rows.
    const ofStrip = index ? op.gather(op.reshape(op.slice(pos, [0], [first], [1]), [full, strips.rows, grid, cfg.embedDim]), index, 0) : op.slice(pos, [first], [grid], [1]);
    x = op.add(x, ofStrip);
  }
  return blocks(g, x, cfg, 0, strips.blocks, options);
}

/** Tokens [B, S/patch, S/patch, C] after the strip blocks → embedding [B, outChans, S/patch, S/patch]. */
export function imageEncoderTail(g: Graph, tokens: Tensor, cfg: ImageEncoderConfig, options: ImageEncoderOptions = {}): Tensor {
  const grid = cfg.imgSize / cfg.patchSize;
  if (tokens.rank !== 4 || tokens.shape[1] !== grid || tokens.shape[2] !== grid || tokens.shape[3] !== cfg.embedDim) {
    throw new Error(`image encoder tail: expected tokens [B,${grid},${grid},${cfg.embedDim}], got [${tokens.shape}]`);
  }
  checkOptions(options);
  return neck(g, blocks(g, tokens, cfg, encoderStrips(cfg).blocks, cfg.depth, options), cfg);
}

function checkOptions(options: ImageEncoderOptions): void {
  if (options.logitsPerGroup !== undefined && !(options.logitsPerGroup > 0)) throw new Error(`image encoder: logitsPerGroup must be a positive number, got ${options.logitsPerGroup}`);
}

/** Patch embedding, then channels last: the blocks work on [B, H, W, C]. */
function patchEmbed(g: Graph, image: Tensor, cfg: ImageEncoderConfig): Tensor {
  const patches = conv2d(g, 'patch_embed.proj', image, { out: cfg.embedDim, kernel: cfg.patchSize, stride: cfg.patchSize });
  return op.transpose(patches, [0, 2, 3, 1]);
}

/** The absolute position embedding at the running grid, [1, grid, grid, C]. */
function positionEmbedding(g: Graph, cfg: ImageEncoderConfig): Tensor {
  const trainedGrid = cfg.pretrainImgSize / cfg.patchSize;
  return resizePosEmbed(g, g.param('pos_embed', [1, trainedGrid, trainedGrid, cfg.embedDim]), cfg.imgSize / cfg.patchSize);
}

/** Blocks from..to−1. */
function blocks(g: Graph, x: Tensor, cfg: ImageEncoderConfig, from: number, to: number, options: ImageEncoderOptions): Tensor {
  const trainedGrid = cfg.pretrainImgSize / cfg.patchSize;
  for (let i = from; i < to; i++) {
    const window = cfg.globalAttnIndexes.includes(i) ? 0 : cfg.windowSize;
    // A block's rel-pos tables are sized for what it attends over when trained: its window, or the
    // whole trained grid for global blocks.
    const tableSide = window > 0 ? window : trainedGrid;
    x = g.scope(`blocks.${i}`, () => block(g, x, cfg, window, tableSide, options.forwardOnly ? (options.logitsPerGroup ?? GROUP_LOGITS) : null));
  }
  return x;
}

/** Neck: 1×1 conv, LayerNorm2d, 3×3 conv, LayerNorm2d, all without conv bias. */
function neck(g: Graph, x: Tensor, cfg: ImageEncoderConfig): Tensor {
  return g.scope('neck', () => {
    let y = op.transpose(x, [0, 3, 1, 2]);
    y = conv2d(g, '0', y, { out: cfg.outChans, kernel: 1, bias: false });
    y = layerNorm2d(g, '1', y);
    y = conv2d(g, '2', y, { out: cfg.outChans, kernel: 3, padding: 1, bias: false });
    return layerNorm2d(g, '3', y);
  });
}

/**
 * The absolute position embedding at the running grid. SAM itself only runs at its trained size;
 * for another input size we resize the table bicubically (align_corners=False), as mmpretrain's
 * ViTSAM (UltraSam's backbone) does with `resize_pos_embed`. Separable: Rh · P · Rwᵀ per channel.
 */
function resizePosEmbed(g: Graph, pos: Tensor, grid: number): Tensor {
  const trained = pos.shape[1];
  if (trained === grid) return pos;
  const r = g.constant(Float32Array.from(bicubicMatrix(trained, grid)), [grid, trained]);
  const rT = g.constant(Float32Array.from(transposed(bicubicMatrix(trained, grid), grid, trained)), [trained, grid]);
  const channelsFirst = op.reshape(op.transpose(pos, [0, 3, 1, 2]), [pos.shape[3], trained, trained]);
  const resized = op.matmul(op.matmul(r, channelsFirst), rT); // [C, grid, grid]
  return op.transpose(op.unsqueeze(resized, [0]), [0, 2, 3, 1]);
}

function transposed(m: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
  return t;
}

function block(g: Graph, x: Tensor, cfg: ImageEncoderConfig, window: number, tableSide: number, logitsPerGroup: number | null): Tensor {
  const y = attention(g, layerNorm(g, 'norm1', x, cfg.layerNormEps), cfg, window, tableSide, logitsPerGroup);
  const mid = op.add(x, y);
  const mlpOut = mlpBlock(g, 'mlp', layerNorm(g, 'norm2', mid, cfg.layerNormEps), x.shape[3] * cfg.mlpRatio, op.gelu);
  return op.add(mid, mlpOut);
}

/**
 * Multi-head self-attention over x [B, H, W, C] with decomposed relative position bias, within
 * windows of `window` × `window` tokens (the grid padded bottom and right to a multiple of it) or
 * over the whole grid (window 0); in the inference form (logitsPerGroup given, see
 * ImageEncoderOptions) or the training form (null).
 *
 * The reference pads the normalised tokens with zeros and projects every padded window, so a
 * padded token's q, k, v are the biases and it takes part in attention as a key. Here q, k, v are
 * projected for the real tokens only and the padding goes onto them, with the same result: a key
 * bias adds q·b_k to all of a query's logits (softmax does not see it), so keys go without it and
 * pad with zeros; values go without b_v and pad with zeros, and since a query's probabilities sum
 * to 1, b_v is added after attention, folded into the output projection's bias (b_p + W_p b_v).
 * Padded queries are dropped before the output projection. ViT-B's 64 × 64 grid pads to 70 × 70
 * in its 14 × 14 windows: the two projections skip 804 of 4,900 tokens in each windowed block.
 */
function attention(g: Graph, x: Tensor, cfg: ImageEncoderConfig, window: number, tableSide: number, logitsPerGroup: number | null): Tensor {
  return g.scope('attn', () => {
    const [b, h, w, width] = x.shape;
    const heads = cfg.numHeads;
    const hd = width / heads;
    const [wh, ww] = window > 0 ? [window, window] : [h, w];
    const [hp, wp] = [Math.ceil(h / wh) * wh, Math.ceil(w / ww) * ww];
    const padded = hp > h || wp > w;
    const qkvParams = g.scope('qkv', () => ({ weight: g.param('weight', [3 * width, width]), bias: cfg.qkvBias ? g.param('bias', [3 * width]) : null }));
    let qkvBias = qkvParams.bias;
    let valueBias: Tensor | null = null;
    if (padded && qkvBias) {
      const [queryBias, , vBias] = op.split(qkvBias, [width, width, width], 0);
      qkvBias = op.concat([queryBias, g.constant(new Float32Array(2 * width), [2 * width])], 0);
      valueBias = vBias;
    }
    let qkv = op.linear(x, qkvParams.weight, qkvBias); // [B, H, W, 3C], channels [3][heads][hd]
    if (padded) qkv = op.pad(qkv, [0, 0, 0, 0, 0, hp - h, wp - w, 0]);
    // One transpose takes the windows and the heads out: [B·nH, wh, nW, ww, 3, heads, hd] →
    // [3, B·nH, nW, heads, wh, ww, hd], then q, k, v [B·nWindows, heads, wh·ww, hd].
    const windows = b * (hp / wh) * (wp / ww);
    const split = op.reshape(qkv, [b * (hp / wh), wh, wp / ww, ww, 3, heads, hd]);
    const byHead = op.reshape(op.transpose(split, [4, 0, 2, 5, 1, 3, 6]), [3, windows, heads, wh * ww, hd]);
    const [q, k, v] = op.split(byHead, [1, 1, 1], 0).map((t) => op.reshape(t, [windows, heads, wh * ww, hd]));

    const tableLength = 2 * tableSide - 1;
    const tables = cfg.useRelPos ? { h: relativePositions(g, g.param('rel_pos_h', [tableLength, hd]), wh), w: relativePositions(g, g.param('rel_pos_w', [tableLength, hd]), ww) } : undefined;
    // The relative-position terms of queries [B, heads′, HW, hd].
    const relPos = (queries: Tensor) => tables && decomposedRelPos(queries, tables.h, tables.w, wh, ww);
    let out: Tensor; // [B·nWindows, heads, wh·ww, hd]
    if (logitsPerGroup !== null) {
      const perGroup = headsPerGroup(heads, windows * (wh * ww) ** 2, logitsPerGroup);
      // Each of q, k, v split once along the heads into the groups.
      const inGroups = (t: Tensor) => (perGroup === heads ? [t] : op.split(t, new Array<number>(heads / perGroup).fill(perGroup), 1));
      const [qs, ks, vs] = [inGroups(q), inGroups(k), inGroups(v)];
      const groups = qs.map((qg, i) => {
        let logits = op.matmul(op.mul(qg, hd ** -0.5), op.transposeLast(ks[i]));
        const terms = relPos(qg);
        if (terms) {
          const grid = op.reshape(logits, [windows * perGroup, wh, ww, wh, ww]);
          const biased = op.add(op.add(grid, op.unsqueeze(terms.relH, [4])), op.unsqueeze(terms.relW, [3]));
          logits = op.reshape(biased, logits.shape);
        }
        return op.matmul(op.softmax(logits, -1), vs[i]);
      });
      out = groups.length === 1 ? groups[0] : op.concat(groups, 1);
    } else {
      const terms = relPos(q);
      const bias = terms && op.reshape(op.add(op.unsqueeze(terms.relH, [4]), op.unsqueeze(terms.relW, [3])), [windows, heads, wh * ww, wh * ww]);
      out = op.attention(q, k, v, { scale: hd ** -0.5, bias });
    }
    // Back to the grid: [B·nH, nW, heads, wh, ww, hd] → [B·nH, wh, nW, ww, heads, hd] → [B, H, W, C].
    const cells = op.transpose(op.reshape(out, [b * (hp / wh), wp / ww, heads, wh, ww, hd]), [0, 3, 1, 4, 2, 5]);
    let merged = op.reshape(cells, [b, hp, wp, width]);
    if (padded) merged = op.slice(merged, [0, 0], [h, w], [1, 2]);
    return g.scope('proj', () => {
      const weight = g.param('weight', [width, width]);
      let bias = g.param('bias', [width]);
      if (valueBias) bias = op.add(bias, op.reshape(op.matmul(op.unsqueeze(valueBias, [0]), op.transpose(weight, [1, 0])), [width]));
      return op.linear(merged, weight, bias);
    });
  });
}

/**
 * Logit elements one group of heads holds at once in the inference encoder by default: one head of
 * a 64 × 64 grid's global attention. ViT-B's global blocks would otherwise hold 12 × 4096 × 4096
 * logits (805 MB) in each of their buffers, memory that the first image touches page by page (in
 * the browser's WASM heap, a large part of the first encoder run) and that sets the peak; heads
 * taken one after the other reuse one head's buffers, and natively run no slower
 * (docs/benchmarks.md). Windowed blocks and small grids stay in one group.
 */
const GROUP_LOGITS = 4096 * 4096;

/** The largest divisor of `heads` whose logits (`perHead` elements each) fit `budget`; at least 1. */
function headsPerGroup(heads: number, perHead: number, budget: number): number {
  for (let n = heads; n > 1; n--) if (heads % n === 0 && n * perHead <= budget) return n;
  return 1;
}

/**
 * get_rel_pos for equal query and key sizes: the table resized (linearly) to 2·size − 1 rows when
 * its length differs, then row (i − j + size − 1) for every query i and key j → [size, size, hd].
 */
function relativePositions(g: Graph, table: Tensor, size: number): Tensor {
  const length = 2 * size - 1;
  let resized = table;
  if (table.shape[0] !== length) {
    const r = linearMatrix(table.shape[0], length);
    resized = op.matmul(g.constant(Float32Array.from(r), [length, table.shape[0]]), table);
  }
  const index = new Array<number>(size * size);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) index[i * size + j] = i - j + size - 1;
  return op.gather(resized, g.constant(index, [size, size], 'int64'), 0);
}

/**
 * The two terms of the bias attn[b, (qh,qw), (kh,kw)] gets, q[b,qh,qw]·Rh[qh,kh] as relH
 * [B·heads, qh, qw, kh] and q[b,qh,qw]·Rw[qw,kw] as relW [B·heads, qh, qw, kw], with the unscaled
 * q. Rh and Rw are [size, size, hd].
 */
function decomposedRelPos(q: Tensor, rh: Tensor, rw: Tensor, h: number, w: number): { relH: Tensor; relW: Tensor } {
  const [b, heads, , hd] = q.shape;
  const n = b * heads;
  const rq = op.reshape(q, [n, h, w, hd]);
  // Batched over qh (resp. qw): [n, qh, qw, hd] · [qh, hd, kh] → [n, qh, qw, kh].
  const relH = op.matmul(rq, op.transpose(rh, [0, 2, 1]));
  const relW = op.transpose(op.matmul(op.transpose(rq, [0, 2, 1, 3]), op.transpose(rw, [0, 2, 1])), [0, 2, 1, 3]);
  return { relH, relW };
}
