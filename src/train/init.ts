// Initial weights for training from scratch, as PyTorch would draw them for SAM's modules (SAM sets
// no custom init): nn.Linear / nn.Conv2d / nn.ConvTranspose2d weights and biases uniform in
// ±1/√fan_in, LayerNorm weights 1 and biases 0, nn.Embedding rows N(0, 1), the absolute and
// relative position tables zero (nn.Parameter(torch.zeros(...))), and the random-Fourier table
// N(0, 1) (scale 1). The mask skip's gains and the click head's last layer (neither in SAM) start at
// zero: each is off until trained.
import { sizeOf } from '../graph/graph.js';
import { Rng, fanInUniform, normalArray } from '../graph/random.js';
import { type SamConfig, upscaleChannels } from '../model/config.js';
import { CLICK_HEAD, FINE_PROJ, FINE_STEM, MASK_SKIP } from '../model/mask_decoder.js';
import { parameterShapes } from '../model/sam.js';

const EMBEDDINGS = /(point_embeddings\.\d+|not_a_point_embed|no_mask_embed|iou_token|mask_tokens)\.weight$/;
const ZERO_TABLES = /(pos_embed|rel_pos_[hw])$/;
const FOURIER = /positional_encoding_gaussian_matrix$/;
/** The click head's last convolution, zero: the head adds nothing until trained (as the mask skip). */
const CLICK_HEAD_LAST = `mask_decoder.${CLICK_HEAD}.4.`;

/** torch's fan_in: dim 1 times the kernel area (for ConvTranspose2d that is its output channels). */
function fanIn(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, d) => a * d, 1);
}

/** He-normal values for a convolution's weight [out, in, k, k]: N(0, 2 / fan_in). */
function heNormal(rng: Rng, shape: readonly number[]): Float32Array {
  return normalArray(rng, sizeOf(shape), Math.sqrt(2 / fanIn(shape)));
}

/** Fresh weights for every parameter of `config`, by canonical key; the same seed gives the same weights. */
export function initSamWeights(config: SamConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const shapes = parameterShapes(config);
  const values = new Map<string, Float32Array>();
  for (const [key, shape] of shapes) {
    const size = sizeOf(shape);
    if (FOURIER.test(key) || EMBEDDINGS.test(key)) values.set(key, normalArray(rng, size));
    else if (ZERO_TABLES.test(key) || key === `mask_decoder.${MASK_SKIP}` || key.startsWith(CLICK_HEAD_LAST)) values.set(key, new Float32Array(size));
    else if (key.endsWith('.weight') && shape.length === 1)
      values.set(key, new Float32Array(size).fill(1)); // a norm
    else if (key.endsWith('.weight')) values.set(key, fanInUniform(rng, shape, fanIn(shape)));
    else if (key.endsWith('.bias')) {
      const weight = shapes.get(key.slice(0, -'bias'.length) + 'weight');
      if (!weight) throw new Error(`init: bias '${key}' has no weight beside it`);
      values.set(key, weight.length === 1 ? new Float32Array(size) : fanInUniform(rng, shape, fanIn(weight)));
    } else {
      throw new Error(`init: no rule for parameter '${key}' [${shape.join(',')}]`);
    }
  }
  return values;
}

/** Where each block of a grown encoder comes from: an index of the original's blocks, or 'new'. */
export type GrowOrder = readonly (number | 'new')[];

/**
 * A deeper encoder that computes exactly what `config`'s does: the original blocks in `order`, and
 * each 'new' block an identity at first (attention output projection and second MLP layer zero, so
 * both residual branches add nothing), with its first projections drawn N(0, 0.02²) so that the
 * zero layers get gradients from the first step. Every block of the result attends globally when
 * the original's all do; a windowed original is refused (where a new block's window would go is
 * a choice this function does not make).
 */
export function growEncoder(config: SamConfig, values: ReadonlyMap<string, Float32Array>, order: GrowOrder, seed: number): { config: SamConfig; values: Map<string, Float32Array> } {
  const e = config.imageEncoder;
  if (e.globalAttnIndexes.length !== e.depth)
    throw new Error(`growEncoder: the encoder has windowed blocks (global: ${e.globalAttnIndexes.join(', ')} of ${e.depth}); only all-global encoders can be grown`);
  for (const from of order) {
    if (from !== 'new' && !(Number.isInteger(from) && from >= 0 && from < e.depth)) throw new Error(`growEncoder: block ${from} is not one of the encoder's 0..${e.depth - 1}`);
  }
  const grown: SamConfig = { ...config, imageEncoder: { ...e, depth: order.length, globalAttnIndexes: order.map((_, i) => i) } };
  const block = (i: number) => `image_encoder.blocks.${i}.`;
  const out = new Map([...values].filter(([k]) => !k.startsWith('image_encoder.blocks.')));
  const rng = new Rng(seed);
  const shapes = parameterShapes(grown);
  order.forEach((from, to) => {
    for (const [key, shape] of shapes) {
      if (!key.startsWith(block(to))) continue;
      const suffix = key.slice(block(to).length);
      if (from !== 'new') {
        const value = values.get(block(from) + suffix);
        if (!value) throw new Error(`growEncoder: missing '${block(from) + suffix}'`);
        out.set(key, value);
        continue;
      }
      const size = sizeOf(shape);
      if (suffix === 'norm1.weight' || suffix === 'norm2.weight') out.set(key, new Float32Array(size).fill(1));
      else if (suffix === 'attn.qkv.weight' || suffix === 'mlp.lin1.weight') out.set(key, normalArray(rng, size, 0.02));
      else out.set(key, new Float32Array(size)); // biases, relative-position tables, attn.proj and mlp.lin2
    }
  });
  return { config: grown, values: out };
}

/** How the decoder's upscaled features grow (MaskDecoderConfig.upscaleChans and upscaleConv). */
export interface UpscalingGrowth {
  /** Channels of the upscaled features; at least the current number. */
  chans: number;
  /** Add the residual 3 × 3 convolution (a model that has it keeps it). */
  conv: boolean;
}

const UPSCALE_OUT = 'mask_decoder.output_upscaling.3.';
// The hypernetworks' last layer (their MLPs have three: 0, 1, 2).
const HYPER_LAST = /^mask_decoder\.output_hypernetworks_mlps\.\d+\.layers\.2\.(weight|bias)$/;

/**
 * A decoder with wider upscaled features (and optionally the residual convolution over them) that
 * computes exactly what `config`'s does: the new feature channels of the last ConvTranspose are
 * drawn like the existing ones (normal, their standard deviation, bias 0) while every
 * hypernetwork's rows for them are zero, so no mask sees them at first; the convolution starts at
 * zero. The zero rows and the convolution get gradients from the first step (their inputs are not
 * zero), and the new channels as soon as those rows move.
 */
export function growUpscaling(config: SamConfig, values: ReadonlyMap<string, Float32Array>, growth: UpscalingGrowth, seed: number): { config: SamConfig; values: Map<string, Float32Array> } {
  const m = config.maskDecoder;
  const from = upscaleChannels(m);
  if (!Number.isInteger(growth.chans) || growth.chans < from) throw new Error(`growUpscaling: ${growth.chans} channels is not an integer ≥ the decoder's ${from}`);
  if (!growth.conv && m.upscaleConv) throw new Error('growUpscaling: the decoder has the upscaling convolution; it cannot be removed');
  const grown: SamConfig = { ...config, maskDecoder: { ...m, upscaleChans: growth.chans, ...(growth.conv ? { upscaleConv: true } : {}) } };
  const shapes = parameterShapes(grown);
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const [key, shape] of shapes) {
    const size = sizeOf(shape);
    const old = values.get(key);
    if (key.startsWith('mask_decoder.upscale_conv.')) {
      out.set(key, old ?? new Float32Array(size));
      continue;
    }
    if (!old) throw new Error(`growUpscaling: missing '${key}'`);
    if (key === `${UPSCALE_OUT}weight`) {
      // [C/4, U, 2, 2]: per input channel, the old U₀ output channels then the new ones.
      const [cin, , kh, kw] = shape;
      const area = kh * kw;
      const std = Math.sqrt(old.reduce((a, v) => a + v * v, 0) / old.length);
      const drawn = normalArray(rng, size, std);
      for (let i = 0; i < cin; i++) drawn.set(old.subarray(i * from * area, (i + 1) * from * area), i * growth.chans * area);
      out.set(key, drawn);
    } else if (key === `${UPSCALE_OUT}bias` || HYPER_LAST.test(key)) {
      // Bias [U] and the hypernetworks' last layer ([U, C] weight, [U] bias): new rows zero.
      const grownRows = new Float32Array(size);
      grownRows.set(old);
      out.set(key, grownRows);
    } else {
      out.set(key, old);
    }
  }
  return { config: grown, values: out };
}

/**
 * Adds a pixel branch of `chans` channels (MaskDecoderConfig.fineChans) to a model without one: the
 * two stem convolutions drawn He-normal (std √(2 / fan-in), biases zero), the projection to the
 * upscaled features zero, so the grown model computes exactly the masks it computed before and the
 * projection learns first. Every other value is kept.
 */
export function growPixelBranch(config: SamConfig, values: ReadonlyMap<string, Float32Array>, chans: number, seed: number): { config: SamConfig; values: Map<string, Float32Array> } {
  if (config.maskDecoder.fineChans) throw new Error(`growPixelBranch: the model already has a pixel branch (fineChans ${config.maskDecoder.fineChans})`);
  if (!Number.isInteger(chans) || chans < 1) throw new Error(`growPixelBranch: ${chans} channels is not a positive integer`);
  const grown: SamConfig = { ...config, maskDecoder: { ...config.maskDecoder, fineChans: chans } };
  const rng = new Rng(seed);
  return keepAndAdd('growPixelBranch', grown, values, (key, shape) => {
    const size = sizeOf(shape);
    if (key.startsWith(`mask_decoder.${FINE_STEM}.`) && key.endsWith('.weight')) return heNormal(rng, shape);
    if (key.startsWith(`mask_decoder.${FINE_STEM}.`) || key.startsWith(`mask_decoder.${FINE_PROJ}.`)) return new Float32Array(size);
    return null;
  });
}

/**
 * Adds the mask skip (MaskDecoderConfig.maskSkip) to a model without one, its gains zero: the grown
 * model computes exactly the masks it computed before. Every other value is kept.
 */
export function growMaskSkip(config: SamConfig, values: ReadonlyMap<string, Float32Array>): { config: SamConfig; values: Map<string, Float32Array> } {
  if (config.maskDecoder.maskSkip) throw new Error('growMaskSkip: the model already has the mask skip');
  const grown: SamConfig = { ...config, maskDecoder: { ...config.maskDecoder, maskSkip: true } };
  return keepAndAdd('growMaskSkip', grown, values, (key, shape) => (key === `mask_decoder.${MASK_SKIP}` ? new Float32Array(sizeOf(shape)) : null));
}

/**
 * Adds a click head of `chans` channels (MaskDecoderConfig.clickHead) to a model without one: its
 * first two convolutions drawn He-normal (biases zero), the last zero, so the grown model computes
 * exactly the masks it computed before. Every other value is kept.
 */
export function growClickHead(config: SamConfig, values: ReadonlyMap<string, Float32Array>, chans: number, seed: number): { config: SamConfig; values: Map<string, Float32Array> } {
  if (config.maskDecoder.clickHead) throw new Error(`growClickHead: the model already has a click head (clickHead ${config.maskDecoder.clickHead})`);
  if (!Number.isInteger(chans) || chans < 1) throw new Error(`growClickHead: ${chans} channels is not a positive integer`);
  const grown: SamConfig = { ...config, maskDecoder: { ...config.maskDecoder, clickHead: chans } };
  const rng = new Rng(seed);
  return keepAndAdd('growClickHead', grown, values, (key, shape) => {
    if (!key.startsWith(`mask_decoder.${CLICK_HEAD}.`)) return null;
    if (key.endsWith('.weight') && !key.startsWith(CLICK_HEAD_LAST)) return heNormal(rng, shape);
    return new Float32Array(sizeOf(shape));
  });
}

/**
 * The grown model's values: every parameter of `grown` the original has keeps its value, the others
 * come from `fresh` (in parameter order, so a seeded draw is reproducible); a parameter `fresh`
 * does not make (null) is reported as missing from the original.
 */
function keepAndAdd(
  name: string,
  grown: SamConfig,
  values: ReadonlyMap<string, Float32Array>,
  fresh: (key: string, shape: readonly number[]) => Float32Array | null,
): { config: SamConfig; values: Map<string, Float32Array> } {
  const out = new Map<string, Float32Array>();
  for (const [key, shape] of parameterShapes(grown)) {
    const value = values.get(key) ?? fresh(key, shape);
    if (!value) throw new Error(`${name}: missing '${key}'`);
    out.set(key, value);
  }
  return { config: grown, values: out };
}
