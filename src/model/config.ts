// Model configurations: SAM ViT-B/L/H at 1024 and any smaller width, depth or input size. Every
// size the graph builders use comes from here; nothing else may assume one width.

export interface ImageEncoderConfig {
  /** Side of the square (padded) input image, a multiple of patchSize. */
  imgSize: number;
  patchSize: number;
  inChans: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  mlpRatio: number;
  /** Channels of the neck's output, the image embedding; equals the decoder's transformerDim. */
  outChans: number;
  qkvBias: boolean;
  useAbsPos: boolean;
  useRelPos: boolean;
  /** Window side of the windowed-attention blocks (0: every block is global). */
  windowSize: number;
  /** Blocks that attend over the whole grid. */
  globalAttnIndexes: number[];
  layerNormEps: number;
  /**
   * Input size the position tables were trained at. It fixes the parameter shapes (pos_embed and the
   * global blocks' rel_pos tables); when it differs from imgSize the tables are interpolated in the
   * graph as the reference variants do (see image_encoder.ts).
   */
  pretrainImgSize: number;
}

export interface PromptEncoderConfig {
  /** Channels of the mask-downscaling convolutions' output (their middle layer has a quarter). */
  maskInChans: number;
}

export interface MaskDecoderConfig {
  /** Width of the prompt embeddings, the two-way transformer and the image embedding. */
  transformerDim: number;
  depth: number;
  numHeads: number;
  mlpDim: number;
  attentionDownsampleRate: number;
  numMultimaskOutputs: number;
  iouHeadDepth: number;
  iouHeadHiddenDim: number;
  /**
   * Channels of the 4× upscaled image features and of the hypernetworks' outputs (SAM:
   * transformerDim / 8, the default). Not in SAM: ultrasam-tiny's 64 × 64 features are otherwise 16 wide.
   */
  upscaleChans?: number;
  /**
   * A residual 3 × 3 convolution over the upscaled features (not in SAM; default false). Without it
   * every 4 × 4 block of low-resolution logits is a function of one image token alone.
   */
  upscaleConv?: boolean;
  /**
   * A pixel branch (not in SAM; default none): F channels from two stride-2 3 × 3 convolutions of the
   * input image, projected to the upscaled features' channels and added to them, so that the 64 × 64
   * logits see the pixels and not only the 16-pixel image tokens (HQ-SAM adds early features likewise).
   */
  fineChans?: number;
  /**
   * A mask prompt's own logits added to every output it is decoded into, times a learned gain per
   * output (`mask_decoder.mask_skip`, not in SAM; default off). Without it a corrective click's mask
   * is re-derived whole through the image tokens, and the previous mask's detail away from the click
   * is lost and re-made each time; with it the decoder learns the change.
   */
  maskSkip?: boolean;
  /**
   * A click head of F channels (not in SAM; default none): small convolutions over each output's
   * logits, the mask prompt and maps of the prompt's clicks on the output grid, added to the logits
   * (mask_decoder.ts withClickHead), so that a click acts where it was placed and not only through
   * the 16-pixel image token it fell in.
   */
  clickHead?: number;
}

export interface SamConfig {
  name: string;
  imageEncoder: ImageEncoderConfig;
  promptEncoder: PromptEncoderConfig;
  maskDecoder: MaskDecoderConfig;
  /** Per-channel RGB mean and std of the normalisation applied before the encoder (0..255 scale). */
  pixelMean: [number, number, number];
  pixelStd: [number, number, number];
}

export const PIXEL_MEAN: [number, number, number] = [123.675, 116.28, 103.53];
export const PIXEL_STD: [number, number, number] = [58.395, 57.12, 57.375];

export type SamPreset = 'vit_b' | 'vit_l' | 'vit_h';

const PRESETS: Record<SamPreset, { embedDim: number; depth: number; numHeads: number; globalAttnIndexes: number[] }> = {
  vit_b: { embedDim: 768, depth: 12, numHeads: 12, globalAttnIndexes: [2, 5, 8, 11] },
  vit_l: { embedDim: 1024, depth: 24, numHeads: 16, globalAttnIndexes: [5, 11, 17, 23] },
  vit_h: { embedDim: 1280, depth: 32, numHeads: 16, globalAttnIndexes: [7, 15, 23, 31] },
};

export interface SamConfigOverrides {
  name?: string;
  imageEncoder?: Partial<ImageEncoderConfig>;
  promptEncoder?: Partial<PromptEncoderConfig>;
  maskDecoder?: Partial<MaskDecoderConfig>;
}

/** A released SAM architecture (1024 input, prompt width 256), optionally with changed numbers. */
export function samConfig(preset: SamPreset, overrides: SamConfigOverrides = {}): SamConfig {
  const p = PRESETS[preset];
  if (!p) throw new Error(`unknown SAM preset '${String(preset)}' (known: ${Object.keys(PRESETS).join(', ')})`);
  const imgSize = overrides.imageEncoder?.imgSize ?? 1024;
  const config: SamConfig = {
    name: overrides.name ?? `sam_${preset}`,
    imageEncoder: {
      imgSize,
      patchSize: 16,
      inChans: 3,
      embedDim: p.embedDim,
      depth: p.depth,
      numHeads: p.numHeads,
      mlpRatio: 4,
      outChans: 256,
      qkvBias: true,
      useAbsPos: true,
      useRelPos: true,
      windowSize: 14,
      globalAttnIndexes: p.globalAttnIndexes,
      layerNormEps: 1e-6,
      pretrainImgSize: imgSize,
      ...overrides.imageEncoder,
    },
    promptEncoder: { maskInChans: 16, ...overrides.promptEncoder },
    maskDecoder: {
      transformerDim: 256,
      depth: 2,
      numHeads: 8,
      mlpDim: 2048,
      attentionDownsampleRate: 2,
      numMultimaskOutputs: 3,
      iouHeadDepth: 3,
      iouHeadHiddenDim: 256,
      ...overrides.maskDecoder,
    },
    pixelMean: [...PIXEL_MEAN],
    pixelStd: [...PIXEL_STD],
  };
  validateConfig(config);
  return config;
}

/** Side of the image-embedding grid (64 for a 1024 input with 16-pixel patches). */
export function embeddingGrid(config: SamConfig): number {
  return config.imageEncoder.imgSize / config.imageEncoder.patchSize;
}

/**
 * How the exported encoder takes an image: in strips of `rows` token rows (`count` of them cover the
 * grid; the last, `lastRows` high, ends with it), each through the patch embedding and the `blocks`
 * windowed blocks before the first global one, which see nothing outside their window row; then
 * the rest over the whole grid (imageEncoderTail). A strip of padding only gives the same tokens for
 * every image, so a reader runs the strips the image reaches and takes the others from a table
 * made once per model (ViT-B: four strips of 14 rows and one of 8, 2 blocks; a landscape image
 * skips the strips below it). Without windowed leading blocks, one strip is the whole grid.
 */
export interface EncoderStrips {
  rows: number;
  count: number;
  lastRows: number;
  blocks: number;
}

export function encoderStrips(cfg: ImageEncoderConfig): EncoderStrips {
  const grid = cfg.imgSize / cfg.patchSize;
  const firstGlobal = Math.min(cfg.depth, ...cfg.globalAttnIndexes);
  const blocks = cfg.windowSize > 0 ? firstGlobal : 0;
  const rows = blocks > 0 ? Math.min(cfg.windowSize, grid) : grid;
  const count = Math.ceil(grid / rows);
  return { rows, count, lastRows: grid - (count - 1) * rows, blocks };
}

/** Side of the low-resolution mask logits: the decoder upscales the grid 4×. */
export function lowResSize(config: SamConfig): number {
  return 4 * embeddingGrid(config);
}

/** Channels of the upscaled image features the hypernetworks' outputs multiply (MaskDecoderConfig.upscaleChans). */
export function upscaleChannels(cfg: MaskDecoderConfig): number {
  return cfg.upscaleChans ?? cfg.transformerDim / 8;
}

/** Throws a message naming the first inconsistent number. */
export function validateConfig(config: SamConfig): void {
  const e = config.imageEncoder;
  const d = config.maskDecoder;
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`SAM config '${config.name}': ${what}`);
  };
  const positive = (v: number) => Number.isInteger(v) && v > 0;
  const integers = ['imgSize', 'patchSize', 'inChans', 'embedDim', 'depth', 'numHeads', 'outChans', 'pretrainImgSize'] as const;
  for (const k of integers) need(positive(e[k]), `imageEncoder.${k} must be a positive integer, got ${e[k]}`);
  need(Number.isInteger(e.windowSize) && e.windowSize >= 0, `imageEncoder.windowSize must be ≥ 0, got ${e.windowSize}`);
  need(e.imgSize % e.patchSize === 0, `imageEncoder.imgSize ${e.imgSize} is not a multiple of patchSize ${e.patchSize}`);
  need(e.pretrainImgSize % e.patchSize === 0, `imageEncoder.pretrainImgSize ${e.pretrainImgSize} is not a multiple of patchSize ${e.patchSize}`);
  need(e.embedDim % e.numHeads === 0, `imageEncoder.embedDim ${e.embedDim} is not divisible by numHeads ${e.numHeads}`);
  need(Number.isInteger(e.embedDim * e.mlpRatio), `imageEncoder.embedDim × mlpRatio must be an integer`);
  need(e.layerNormEps > 0, `imageEncoder.layerNormEps must be > 0`);
  for (const i of e.globalAttnIndexes) need(Number.isInteger(i) && i >= 0 && i < e.depth, `global block index ${i} outside 0..${e.depth - 1}`);
  const { upscaleChans, upscaleConv, fineChans, maskSkip, clickHead, ...sizes } = d;
  for (const [k, v] of Object.entries(sizes)) need(positive(v), `maskDecoder.${k} must be a positive integer, got ${v}`);
  need(upscaleChans === undefined || positive(upscaleChans), `maskDecoder.upscaleChans must be a positive integer, got ${upscaleChans}`);
  need(upscaleConv === undefined || typeof upscaleConv === 'boolean', `maskDecoder.upscaleConv must be true or false, got ${String(upscaleConv)}`);
  need(maskSkip === undefined || typeof maskSkip === 'boolean', `maskDecoder.maskSkip must be true or false, got ${String(maskSkip)}`);
  need(clickHead === undefined || positive(clickHead), `maskDecoder.clickHead must be a positive integer, got ${clickHead}`);
  need(fineChans === undefined || positive(fineChans), `maskDecoder.fineChans must be a positive integer, got ${fineChans}`);
  need(fineChans === undefined || e.imgSize % 4 === 0, `maskDecoder.fineChans needs imageEncoder.imgSize divisible by 4, got ${e.imgSize}`);
  need(positive(config.promptEncoder.maskInChans) && config.promptEncoder.maskInChans % 4 === 0, `promptEncoder.maskInChans must be a positive multiple of 4`);
  need(e.outChans === d.transformerDim, `imageEncoder.outChans ${e.outChans} must equal maskDecoder.transformerDim ${d.transformerDim}`);
  need(d.transformerDim % 8 === 0, `maskDecoder.transformerDim ${d.transformerDim} must be divisible by 8 (upscaling to C/4 then C/8)`);
  need(d.transformerDim % 2 === 0, `maskDecoder.transformerDim must be even (sin and cos halves of the positional encoding)`);
  need(d.transformerDim % d.numHeads === 0, `maskDecoder.transformerDim is not divisible by numHeads ${d.numHeads}`);
  const internal = d.transformerDim / d.attentionDownsampleRate;
  need(Number.isInteger(internal) && internal % d.numHeads === 0, `maskDecoder.transformerDim / attentionDownsampleRate = ${internal} is not divisible by numHeads ${d.numHeads}`);
}

/**
 * `ultrasam-tiny`, the model bundled with the package: SAM's architecture shrunk to train and run on
 * a laptop CPU. 256-pixel input (a 16 × 16 embedding grid, 64 × 64 low-resolution masks), a ViT of
 * width 192, depth 10 and 3 heads in which every block attends globally (over 256 tokens windows
 * save nothing: measured, 8 × 8 windows with two global blocks trained slower; docs/benchmarks.md),
 * and a decoder of width 128 with 4 heads: 5.88 M parameters. Depth 10 since the seventh training
 * stage, grown from 6 with identity blocks (scripts/grow.ts; why: models/ultrasam-tiny.md;
 * its encoder and per-prompt decoder times on 2 cores: docs/benchmarks.md, SAM section); a click
 * head of 16 channels since the eleventh (grown the same way, the model card says why).
 */
export function ultrasamTinyConfig(): SamConfig {
  return samConfig('vit_b', {
    name: 'ultrasam-tiny',
    imageEncoder: { imgSize: 256, embedDim: 192, depth: 10, numHeads: 3, windowSize: 0, globalAttnIndexes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], outChans: 128 },
    maskDecoder: { transformerDim: 128, numHeads: 4, mlpDim: 1024, iouHeadHiddenDim: 128, clickHead: 16 },
  });
}
