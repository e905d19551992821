// SAM's image encoder (segment_anything/modeling/image_encoder.py): a ViT with windowed and
// global attention, decomposed relative position bias, and a convolutional neck.
// Parameter names are relative to the `image_encoder` scope that sam.ts opens.
import type { Graph, Tensor } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { conv2d, layerNorm, layerNorm2d, linear, mlpBlock } from './common.js';
import type { ImageEncoderConfig } from './config.js';
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
  if (options.logitsPerGroup !== undefined && !(options.logitsPerGroup > 0)) throw new Error(`image encoder: logitsPerGroup must be a positive number, got ${options.logitsPerGroup}`);
  const grid = cfg.imgSize / cfg.patchSize;
  const trainedGrid = cfg.pretrainImgSize / cfg.patchSize;

  // Patch embedding, then channels last: the blocks work on [B, H, W, C].
  const patches = conv2d(g, 'patch_embed.proj', image, { out: cfg.embedDim, kernel: cfg.patchSize, stride: cfg.patchSize });
  let x = op.transpose(patches, [0, 2, 3, 1]);

  if (cfg.useAbsPos) {
    const pos = g.param('pos_embed', [1, trainedGrid, trainedGrid, cfg.embedDim]);
    x = op.add(x, resizePosEmbed(g, pos, grid));
  }

  for (let i = 0; i < cfg.depth; i++) {
    const window = cfg.globalAttnIndexes.includes(i) ? 0 : cfg.windowSize;
    // A block's rel-pos tables are sized for what it attends over when trained: its window, or the
    // whole trained grid for global blocks.
    const tableSide = window > 0 ? window : trainedGrid;
    x = g.scope(`blocks.${i}`, () => block(g, x, cfg, window, tableSide, options.forwardOnly ? (options.logitsPerGroup ?? GROUP_LOGITS) : null));
  }

  // Neck: 1×1 conv, LayerNorm2d, 3×3 conv, LayerNorm2d, all without conv bias.
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
  const [b, h, w, c] = x.shape;
  let y = layerNorm(g, 'norm1', x, cfg.layerNormEps);
  if (window > 0) {
    const { windows, padded } = windowPartition(y, window);
    y = attention(g, windows, cfg, tableSide, logitsPerGroup);
    y = windowUnpartition(y, b, padded, [h, w]);
  } else {
    y = attention(g, y, cfg, tableSide, logitsPerGroup);
  }
  const mid = op.add(x, y);
  const mlpOut = mlpBlock(g, 'mlp', layerNorm(g, 'norm2', mid, cfg.layerNormEps), c * cfg.mlpRatio, op.gelu);
  return op.add(mid, mlpOut);
}

/**
 * [B, H, W, C] → [B·nWindows, ws, ws, C], padding bottom and right with zeros to a multiple of the
 * window. The padded tokens take part in attention as keys, exactly as in the reference.
 */
function windowPartition(x: Tensor, ws: number): { windows: Tensor; padded: [number, number] } {
  const [b, h, w, c] = x.shape;
  const hp = Math.ceil(h / ws) * ws;
  const wp = Math.ceil(w / ws) * ws;
  const padded = op.pad(x, [0, 0, 0, 0, 0, hp - h, wp - w, 0]);
  const split = op.reshape(padded, [b, hp / ws, ws, wp / ws, ws, c]);
  const windows = op.reshape(op.transpose(split, [0, 1, 3, 2, 4, 5]), [-1, ws, ws, c]);
  return { windows, padded: [hp, wp] };
}

/** The inverse of windowPartition, dropping the padding. */
function windowUnpartition(windows: Tensor, b: number, [hp, wp]: [number, number], [h, w]: [number, number]): Tensor {
  const [, ws, , c] = windows.shape;
  const grid = op.reshape(windows, [b, hp / ws, wp / ws, ws, ws, c]);
  const x = op.reshape(op.transpose(grid, [0, 1, 3, 2, 4, 5]), [b, hp, wp, c]);
  return hp > h || wp > w ? op.slice(x, [0, 0], [h, w], [1, 2]) : x;
}

/**
 * Multi-head self-attention over x [B, H, W, C] with decomposed relative position bias; in the
 * inference form (logitsPerGroup given, see ImageEncoderOptions) or the training form (null).
 */
function attention(g: Graph, x: Tensor, cfg: ImageEncoderConfig, tableSide: number, logitsPerGroup: number | null): Tensor {
  return g.scope('attn', () => {
    const [b, h, w, c] = x.shape;
    const heads = cfg.numHeads;
    const hd = c / heads;
    const qkv = linear(g, 'qkv', x, c, 3 * c, cfg.qkvBias);
    // Channels of qkv are [3][heads][hd]: split q, k, v, then heads → [B, heads, HW, hd].
    const [q, k, v] = op.split(qkv, [c, c, c], -1).map((t) => op.transpose(op.reshape(t, [b, h * w, heads, hd]), [0, 2, 1, 3]));
    const tableLength = 2 * tableSide - 1;
    const tables = cfg.useRelPos ? { h: relativePositions(g, g.param('rel_pos_h', [tableLength, hd]), h), w: relativePositions(g, g.param('rel_pos_w', [tableLength, hd]), w) } : undefined;
    // The relative-position terms of queries [B, heads′, HW, hd].
    const relPos = (queries: Tensor) => tables && decomposedRelPos(queries, tables.h, tables.w, h, w);
    let out: Tensor; // [B, heads, HW, hd]
    if (logitsPerGroup !== null) {
      const perGroup = headsPerGroup(heads, b * h * w * h * w, logitsPerGroup);
      // Each of q, k, v split once along the heads into the groups.
      const inGroups = (t: Tensor) => (perGroup === heads ? [t] : op.split(t, new Array<number>(heads / perGroup).fill(perGroup), 1));
      const [qs, ks, vs] = [inGroups(q), inGroups(k), inGroups(v)];
      const groups = qs.map((qg, i) => {
        let logits = op.matmul(op.mul(qg, hd ** -0.5), op.transposeLast(ks[i]));
        const terms = relPos(qg);
        if (terms) {
          const grid = op.reshape(logits, [b * perGroup, h, w, h, w]);
          const biased = op.add(op.add(grid, op.unsqueeze(terms.relH, [4])), op.unsqueeze(terms.relW, [3]));
          logits = op.reshape(biased, logits.shape);
        }
        return op.matmul(op.softmax(logits, -1), vs[i]);
      });
      out = groups.length === 1 ? groups[0] : op.concat(groups, 1);
    } else {
      const terms = relPos(q);
      const bias = terms && op.reshape(op.add(op.unsqueeze(terms.relH, [4]), op.unsqueeze(terms.relW, [3])), [b, heads, h * w, h * w]);
      out = op.attention(q, k, v, { scale: hd ** -0.5, bias });
    }
    const merged = op.reshape(op.transpose(out, [0, 2, 1, 3]), [b, h, w, c]);
    return linear(g, 'proj', merged, c, c);
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
