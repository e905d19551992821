// Reads a model's architecture off its weights, so that a user's checkpoint needs no config file:
// widths, depths, patch and window sizes and the encoder's head count (from the relative-position
// tables) all show in tensor shapes. The decoder's head count does not: SAM's 8 is assumed unless
// the caller says otherwise (our safetensors files record the whole config instead).
import { type SamConfig, PIXEL_MEAN, PIXEL_STD, validateConfig } from './config.js';
import { CLICK_HEAD, FINE_STEM, MASK_SKIP } from './mask_decoder.js';

interface Shaped {
  shape: readonly number[];
}

export interface ConfigHints {
  /** Attention heads of the mask decoder's two-way transformer (not visible in shapes; default 8). */
  decoderHeads?: number;
  /** Run the encoder at another input size than the weights were trained at. */
  imgSize?: number;
  name?: string;
}

export function inferConfig(tensors: ReadonlyMap<string, Shaped>, hints: ConfigHints = {}): SamConfig {
  const shape = (key: string): readonly number[] => {
    const t = tensors.get(key);
    if (!t) throw new Error(`cannot infer the model config: weight '${key}' is missing`);
    return t.shape;
  };
  const count = (prefix: string) => {
    let n = 0;
    while ([...tensors.keys()].some((k) => k.startsWith(`${prefix}${n}.`))) n++;
    return n;
  };
  const [embedDim, inChans, patchSize] = shape('image_encoder.patch_embed.proj.weight');
  const useAbsPos = tensors.has('image_encoder.pos_embed');
  const depth = count('image_encoder.blocks.');
  if (depth === 0) throw new Error('cannot infer the model config: no image_encoder.blocks.* weights');
  const grid = useAbsPos ? shape('image_encoder.pos_embed')[1] : undefined;
  const useRelPos = tensors.has('image_encoder.blocks.0.attn.rel_pos_h');

  let numHeads = 0;
  let windowSize = 0;
  const globalAttnIndexes: number[] = [];
  let pretrainGrid = grid;
  if (useRelPos) {
    const sizes = Array.from({ length: depth }, (_, i) => (shape(`image_encoder.blocks.${i}.attn.rel_pos_h`)[0] + 1) / 2);
    numHeads = embedDim / shape('image_encoder.blocks.0.attn.rel_pos_h')[1];
    // A block whose table spans the whole grid attends globally; the others use windows. (A window
    // as large as the grid computes the same thing as global attention.)
    const fullGrid = grid ?? Math.max(...sizes);
    pretrainGrid ??= fullGrid;
    sizes.forEach((size, i) => {
      if (size === fullGrid) globalAttnIndexes.push(i);
      else windowSize = size;
    });
  } else {
    throw new Error('cannot infer the encoder head count without relative-position tables: give the config explicitly');
  }
  if (!Number.isInteger(numHeads)) throw new Error(`cannot infer the model config: head size does not divide width ${embedDim}`);
  const pretrainImgSize = (pretrainGrid ?? 64) * patchSize;
  const mlpHidden = shape('image_encoder.blocks.0.mlp.lin1.weight')[0];
  const outChans = shape('image_encoder.neck.0.weight')[0];
  const maskInChans = shape('prompt_encoder.mask_downscaling.3.weight')[0];
  const transformerDim = shape('mask_decoder.iou_token.weight')[1];
  const decoderDepth = count('mask_decoder.transformer.layers.');
  const crossQ = shape('mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.weight')[0];
  const iouHeadDepth = count('mask_decoder.iou_prediction_head.layers.');

  const config: SamConfig = {
    name: hints.name ?? `sam_${embedDim}x${depth}`,
    imageEncoder: {
      imgSize: hints.imgSize ?? pretrainImgSize,
      patchSize,
      inChans,
      embedDim,
      depth,
      numHeads,
      mlpRatio: mlpHidden / embedDim,
      outChans,
      qkvBias: tensors.has('image_encoder.blocks.0.attn.qkv.bias'),
      useAbsPos,
      useRelPos,
      windowSize,
      globalAttnIndexes,
      layerNormEps: 1e-6,
      pretrainImgSize,
    },
    promptEncoder: { maskInChans },
    maskDecoder: {
      transformerDim,
      depth: decoderDepth,
      numHeads: hints.decoderHeads ?? 8,
      mlpDim: shape('mask_decoder.transformer.layers.0.mlp.lin1.weight')[0],
      attentionDownsampleRate: transformerDim / crossQ,
      numMultimaskOutputs: shape('mask_decoder.mask_tokens.weight')[0] - 1,
      iouHeadDepth,
      iouHeadHiddenDim: shape('mask_decoder.iou_prediction_head.layers.0.weight')[0],
      ...upscaling(shape('mask_decoder.output_upscaling.3.weight')[1], transformerDim, tensors.has('mask_decoder.upscale_conv.weight')),
      ...(tensors.has(`mask_decoder.${FINE_STEM}.0.weight`) ? { fineChans: shape(`mask_decoder.${FINE_STEM}.0.weight`)[0] } : {}),
      ...(tensors.has(`mask_decoder.${MASK_SKIP}`) ? { maskSkip: true } : {}),
      ...(tensors.has(`mask_decoder.${CLICK_HEAD}.0.weight`) ? { clickHead: shape(`mask_decoder.${CLICK_HEAD}.0.weight`)[0] } : {}),
    },
    pixelMean: [...PIXEL_MEAN],
    pixelStd: [...PIXEL_STD],
  };
  validateConfig(config);
  return config;
}

/** The decoder's upscaling options (config.ts), present only where they differ from SAM's. */
function upscaling(chans: number, transformerDim: number, conv: boolean): { upscaleChans?: number; upscaleConv?: boolean } {
  return { ...(chans !== transformerDim / 8 ? { upscaleChans: chans } : {}), ...(conv ? { upscaleConv: true } : {}) };
}
