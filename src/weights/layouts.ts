// Checkpoint key layouts: detect which one a flat state dict uses and rename every tensor to SAM's
// canonical keys (facebookresearch/segment-anything), splitting the tensors that UltraSam's mmdet
// modules stack together. The fixture README documents the UltraSam renames.
import { shapeSize, type StateDict, type WeightTensor } from './types.js';

/** 'ultrasam' also tells the model to use UltraSam's decoder MLP residual (norm3(2q + MLP(q))). */
export type CheckpointLayout = 'sam' | 'medsam' | 'ultrasam';

export class UnknownLayoutError extends Error {
  override name = 'UnknownLayoutError';
  constructor(readonly keysSeen: string[]) {
    super(
      `unknown checkpoint layout: expected SAM keys (image_encoder.*, prompt_encoder.*, mask_decoder.*, possibly under model.) ` +
        `or UltraSam/mmdet keys (state_dict.backbone.*, decoder.*, prompt_encoder.*, bbox_head.*); saw ${keysSeen.length ? keysSeen.join(', ') : 'no tensors'}`,
    );
  }
}

export class LayoutMappingError extends Error {
  override name = 'LayoutMappingError';
}

export interface DetectedLayout {
  layout: CheckpointLayout;
  /** Prefix stripped from every model key, e.g. '', 'model.', 'state_dict.'. */
  prefix: string;
}

export interface SamWeights extends DetectedLayout {
  /** Tensors under SAM's canonical names. Keys no rule knows are passed through (stripped) for checkStateDict to report. */
  tensors: StateDict;
  /** Keys outside the model prefix (optimizer state, EMA copies, ...), left out. */
  ignored: string[];
}

const SAM_ROOTS = ['image_encoder.', 'prompt_encoder.', 'mask_decoder.'];
const ULTRASAM_ROOTS = ['backbone.', 'decoder.', 'prompt_encoder.', 'bbox_head.'];

/** Finds the prefix P for which P + root occurs for every root, preferring the shortest P. */
function findPrefix(keys: string[], roots: string[]): string | undefined {
  const candidates = new Set<string>();
  for (const key of keys) {
    const at = key.indexOf(roots[0]);
    if (at >= 0 && (at === 0 || key[at - 1] === '.')) candidates.add(key.slice(0, at));
  }
  const fits = [...candidates].filter((p) => roots.every((root) => keys.some((k) => k.startsWith(p + root))));
  return fits.sort((a, b) => a.length - b.length)[0];
}

/** Detects the layout of a flat (dotted-key) state dict. */
export function detectLayout(keys: Iterable<string>): DetectedLayout {
  const all = [...keys];
  const ultra = findPrefix(all, ULTRASAM_ROOTS);
  if (ultra !== undefined) return { layout: 'ultrasam', prefix: ultra };
  const sam = findPrefix(all, SAM_ROOTS);
  if (sam !== undefined) return { layout: sam === 'model.' ? 'medsam' : 'sam', prefix: sam };
  throw new UnknownLayoutError(all.slice(0, 8));
}

// UltraSam (mmpretrain ViTSAM backbone + mmdet SAM heads) → SAM, for keys with the prefix stripped.
// Order matters: the first matching rule wins.
const ULTRASAM_RULES: [RegExp, string][] = [
  [/^backbone\.patch_embed\.projection\./, 'image_encoder.patch_embed.proj.'],
  [/^backbone\.layers\.(\d+)\.ln([12])\./, 'image_encoder.blocks.$1.norm$2.'],
  [/^backbone\.layers\.(\d+)\.ffn\.layers\.0\.0\./, 'image_encoder.blocks.$1.mlp.lin1.'],
  [/^backbone\.layers\.(\d+)\.ffn\.layers\.1\./, 'image_encoder.blocks.$1.mlp.lin2.'],
  [/^backbone\.layers\.(\d+)\.attn\./, 'image_encoder.blocks.$1.attn.'],
  // mmpretrain's ViTSAM names the neck channel_reduction; some re-exports keep SAM's 'neck'.
  [/^backbone\.(?:channel_reduction|neck)\./, 'image_encoder.neck.'],
  [/^backbone\.pos_embed$/, 'image_encoder.pos_embed'],
  [
    /^decoder\.((?:layers\.\d+\.)?(?:self_attn|cross_attn_token_to_image|cross_attn_image_to_token|final_attn_token_to_image))\.attn\.([qkv])_proj_weight$/,
    'mask_decoder.transformer.$1.$2_proj.weight',
  ],
  [/^decoder\.((?:layers\.\d+\.)?(?:self_attn|cross_attn_token_to_image|cross_attn_image_to_token|final_attn_token_to_image))\.attn\.out_proj\./, 'mask_decoder.transformer.$1.out_proj.'],
  [/^decoder\.layers\.(\d+)\.mlp\.layers\.0\.0\./, 'mask_decoder.transformer.layers.$1.mlp.lin1.'],
  [/^decoder\.layers\.(\d+)\.mlp\.layers\.1\./, 'mask_decoder.transformer.layers.$1.mlp.lin2.'],
  [/^decoder\.layers\.(\d+)\.norm([1-4])\./, 'mask_decoder.transformer.layers.$1.norm$2.'],
  [/^decoder\.post_norm\./, 'mask_decoder.transformer.norm_final_attn.'],
  [/^prompt_encoder\.(pe_layer|mask_downscaling)\./, 'prompt_encoder.$1.'],
  [/^bbox_head\.(output_upscaling|output_hypernetworks_mlps|iou_prediction_head)\./, 'mask_decoder.$1.'],
];

const IN_PROJ_BIAS = /^decoder\.((?:layers\.\d+\.)?(?:self_attn|cross_attn_token_to_image|cross_attn_image_to_token|final_attn_token_to_image))\.attn\.in_proj_bias$/;
const LABEL_EMBEDDING = 'prompt_encoder.label_encoder.label_embedding.weight';

function rows(tensor: WeightTensor, from: number, to: number): WeightTensor {
  const width = tensor.shape[1];
  return { ...tensor, shape: [to - from, width], data: tensor.data.slice(from * width, to * width) };
}

/** Splits a concatenated q|k|v bias into its three equal parts. */
function splitInProjBias(key: string, tensor: WeightTensor, target: string, out: StateDict): void {
  if (tensor.shape.length !== 1 || tensor.shape[0] % 3 !== 0) {
    throw new LayoutMappingError(`${key}: in_proj_bias must be 1-D with a length divisible by 3, got shape [${tensor.shape}]`);
  }
  const part = tensor.shape[0] / 3;
  ['q', 'k', 'v'].forEach((name, i) => {
    out.set(`${target}.${name}_proj.bias`, { ...tensor, shape: [part], data: tensor.data.slice(i * part, (i + 1) * part) });
  });
}

/**
 * Splits UltraSam's stacked label embedding (rows: no_mask_embed, point_embeddings 0..3,
 * not_a_point_embed, mask tokens ×M, iou_token) into SAM's separate embeddings.
 */
function splitLabelEmbedding(key: string, tensor: WeightTensor, out: StateDict): void {
  if (tensor.shape.length !== 2 || tensor.shape[0] < 8) {
    throw new LayoutMappingError(`${key}: expected a 2-D table of at least 8 rows (7 prompt rows + mask tokens + iou token), got shape [${tensor.shape}]`);
  }
  const count = tensor.shape[0];
  out.set('prompt_encoder.no_mask_embed.weight', rows(tensor, 0, 1));
  for (let i = 0; i < 4; i++) out.set(`prompt_encoder.point_embeddings.${i}.weight`, rows(tensor, 1 + i, 2 + i));
  out.set('prompt_encoder.not_a_point_embed.weight', rows(tensor, 5, 6));
  out.set('mask_decoder.mask_tokens.weight', rows(tensor, 6, count - 1));
  out.set('mask_decoder.iou_token.weight', rows(tensor, count - 1, count));
}

function mapUltrasamKey(key: string, tensor: WeightTensor, out: StateDict): void {
  if (key === LABEL_EMBEDDING) return splitLabelEmbedding(key, tensor, out);
  const bias = IN_PROJ_BIAS.exec(key);
  if (bias) return splitInProjBias(key, tensor, `mask_decoder.transformer.${bias[1]}`, out);
  for (const [pattern, replacement] of ULTRASAM_RULES) {
    if (pattern.test(key)) {
      out.set(key.replace(pattern, replacement), tensor);
      return;
    }
  }
  out.set(key, tensor); // unknown: kept under its own name so that checkStateDict reports it
}

/** Renames a flat state dict (any supported layout) to SAM's canonical keys. */
export function toSamKeys(tensors: StateDict): SamWeights {
  const { layout, prefix } = detectLayout(tensors.keys());
  const out: StateDict = new Map();
  const ignored: string[] = [];
  for (const [key, tensor] of tensors) {
    if (!key.startsWith(prefix)) {
      ignored.push(key);
      continue;
    }
    const stripped = key.slice(prefix.length);
    const before = out.size;
    if (layout === 'ultrasam') mapUltrasamKey(stripped, tensor, out);
    else out.set(stripped, tensor);
    if (out.size === before) throw new LayoutMappingError(`${key}: maps to a SAM key that another tensor already took`);
  }
  return { layout, prefix, tensors: out, ignored };
}

export class StateDictMismatchError extends Error {
  override name = 'StateDictMismatchError';
  constructor(
    readonly missing: string[],
    readonly unexpected: string[],
    readonly shapeMismatches: { key: string; expected: number[]; got: number[] }[],
  ) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing keys (${missing.length}): ${missing.join(', ')}`);
    if (unexpected.length) parts.push(`unexpected keys (${unexpected.length}): ${unexpected.join(', ')}`);
    if (shapeMismatches.length) {
      parts.push(`shape mismatches (${shapeMismatches.length}): ${shapeMismatches.map((m) => `${m.key} expected [${m.expected}] got [${m.got}]`).join(', ')}`);
    }
    super(`state dict does not match the model: ${parts.join('; ')}`);
  }
}

/** Throws one StateDictMismatchError listing every missing key, unexpected key and shape mismatch. */
export function checkStateDict(expected: ReadonlyMap<string, readonly number[]>, got: ReadonlyMap<string, { shape: readonly number[] }>): void {
  const missing = [...expected.keys()].filter((k) => !got.has(k));
  const unexpected = [...got.keys()].filter((k) => !expected.has(k));
  const shapeMismatches: { key: string; expected: number[]; got: number[] }[] = [];
  for (const [key, shape] of expected) {
    const tensor = got.get(key);
    if (tensor && (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i]))) {
      shapeMismatches.push({ key, expected: [...shape], got: [...tensor.shape] });
    }
  }
  if (missing.length || unexpected.length || shapeMismatches.length) throw new StateDictMismatchError(missing, unexpected, shapeMismatches);
}

/** Total element count of a state dict (for reports). */
export function parameterCount(tensors: ReadonlyMap<string, { shape: readonly number[] }>): number {
  let n = 0;
  for (const t of tensors.values()) n += shapeSize(t.shape);
  return n;
}
