// Access to ../shared/fixtures/sam-parity (see its README) for the model tests.
import { readFileSync } from 'node:fs';
import { type SamConfig, PIXEL_MEAN, PIXEL_STD, samConfig } from '../../src/model/config.js';
import { readNpyFile } from '../../src/weights/npy.js';
import { sharedPath, skipWithoutShared } from '../helpers/shared.js';

export const FIXTURE_DIR = sharedPath('fixtures/sam-parity/');

/** Why the parity tests skip, or false when the fixture is there. */
export const fixtureMissing = skipWithoutShared('SAM parity fixture', 'fixtures/sam-parity/cases.json');

export interface FixtureCase {
  name: string;
  points?: [number, number][];
  labels?: number[];
  box?: [number, number, number, number];
  multimask: boolean;
}

export interface FixtureCases {
  encoder: {
    embed_dim: number;
    depth: number;
    num_heads: number;
    global_attn_indexes: number[];
    window_size: number;
    patch_size: number;
    img_size: number;
    mlp_ratio: number;
    out_chans: number;
    use_rel_pos: boolean;
    qkv_bias: boolean;
    layer_norm_eps: number;
  };
  decoder: {
    transformer_dim: number;
    mlp_dim: number;
    num_heads: number;
    depth: number;
    iou_head_depth: number;
    iou_head_hidden_dim: number;
    num_multimask_outputs: number;
    mask_in_chans: number;
    attention_downsample_rate: number;
  };
  image_size: [number, number];
  cases: FixtureCase[];
}

export function readCases(): FixtureCases {
  return JSON.parse(readFileSync(`${FIXTURE_DIR}cases.json`, 'utf8')) as FixtureCases;
}

/** The fixture's model as our config (the reference's constructor arguments, renamed). */
export function fixtureConfig(cases: FixtureCases): SamConfig {
  const e = cases.encoder;
  const d = cases.decoder;
  return samConfig('vit_b', {
    name: 'sam-parity-fixture',
    imageEncoder: {
      imgSize: e.img_size,
      pretrainImgSize: e.img_size,
      patchSize: e.patch_size,
      embedDim: e.embed_dim,
      depth: e.depth,
      numHeads: e.num_heads,
      globalAttnIndexes: e.global_attn_indexes,
      windowSize: e.window_size,
      mlpRatio: e.mlp_ratio,
      outChans: e.out_chans,
      useRelPos: e.use_rel_pos,
      qkvBias: e.qkv_bias,
      layerNormEps: e.layer_norm_eps,
    },
    promptEncoder: { maskInChans: d.mask_in_chans },
    maskDecoder: {
      transformerDim: d.transformer_dim,
      depth: d.depth,
      numHeads: d.num_heads,
      mlpDim: d.mlp_dim,
      attentionDownsampleRate: d.attention_downsample_rate,
      numMultimaskOutputs: d.num_multimask_outputs,
      iouHeadDepth: d.iou_head_depth,
      iouHeadHiddenDim: d.iou_head_hidden_dim,
    },
  });
}

export function readArray(name: string): { shape: number[]; data: Float32Array | Uint8Array } {
  const a = readNpyFile(`${FIXTURE_DIR}${name}`);
  if (!(a.data instanceof Float32Array) && !(a.data instanceof Uint8Array)) {
    throw new Error(`${name}: unexpected dtype ${a.dtype}`);
  }
  return { shape: a.shape, data: a.data };
}

/**
 * Steps 2–3 of the README on the already resized image (H×W×3 uint8): normalise per channel, CHW,
 * zero-pad bottom and right to size × size.
 */
export function normaliseAndPad(rgb: Uint8Array, h: number, w: number, size: number): Float32Array {
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        out[c * size * size + y * size + x] = (rgb[(y * w + x) * 3 + c] - PIXEL_MEAN[c]) / PIXEL_STD[c];
      }
    }
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
