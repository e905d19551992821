// The public predictor: load weights (a user's SAM / MedSAM / UltraSam .pth, our safetensors, or a
// bundled model by name), embed an image once, then decode any number of prompts against it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-common';
import { packageRoot } from '../package_root.js';
import { serialize } from '../graph/onnx.js';
import { type Feed, Runtime, type RuntimeOptions } from '../graph/runtime.js';
import { toRgb8 } from '../image/convert.js';
import { type ImageSource, readImage } from '../image/read.js';
import type { RawImage } from '../image/types.js';
import { loadSamWeights } from '../weights/checkpoint.js';
import { type SamConfig, lowResSize, validateConfig } from './config.js';
import { EVERYTHING_DEFAULTS, EVERYTHING_METADATA_KEY, type EverythingOptions, type GeneratedMask, generateEverything, parseRecordedEverythingDefaults } from './everything.js';
import { FLIP_AVERAGE_METADATA_KEY, averageWithMirror, mirrorImage, mirrorLowRes, mirrorPrompt, parseFlipAverage } from './flip.js';
import { type ConfigHints, inferConfig } from './infer_config.js';
import type { LowResPrediction, PredictInput, Prediction } from './prediction.js';
import { perImageFeeds } from './export_format.js';
import { MASK_THRESHOLD_METADATA_KEY, type PostprocessGeometry, parseMaskThreshold, postprocessMasks } from './postprocess.js';
import { preprocessImage } from './preprocess.js';
import { type Size, encodePrompt } from './prompts.js';
import { firstPassInput, refinementInput } from './refine.js';
import { LONE_POINT_METADATA_KEY, type LonePointOutput, multimaskByDefault, parseLonePointOutput } from '../eval/click_rule.js';
import { FINE_FEATURES, buildDecoderImageGraph, buildEncoderGraph, buildPromptDecoderGraph, parameterShapes, weightValues } from './sam.js';

/** Models that ship inside the package, by name → file under models/. */
export const BUNDLED_MODELS: Record<string, string> = { 'ultrasam-tiny': 'ultrasam-tiny.safetensors' };

/** safetensors metadata key with the full model config (JSON), written by our exporters and trainer. */
export const CONFIG_METADATA_KEY = 'ultrasam.config';
/** safetensors metadata key with the training record of weights written by `ultrasam train` (data, recipe, steps). */
export const TRAINING_RECORD_KEY = 'ultrasam.training';

export interface LoadOptions extends Omit<RuntimeOptions, 'optimization'>, ConfigHints {
  /** The architecture; read from our safetensors metadata or inferred from the weights otherwise. */
  config?: SamConfig;
  /** Encoder weights quantised to int8 (faster where onnxruntime has int8 kernels; less exact). */
  quantizeEncoder?: boolean;
}

export type { LowResPrediction, PredictInput, Prediction } from './prediction.js';

/** One view of an image that prompts are decoded against: its embedding and the decoder's per-image part. */
interface EmbeddedView {
  embedding: Float32Array;
  /** The pixel branch's features (the encoder's FINE_FEATURES output), where the config has one. */
  fine?: Float32Array;
  /** The decoder's per-image tensors (see buildDecoderImageGraph), computed at the first prompt. */
  decoderImage?: Promise<Record<string, Feed>>;
}

interface EmbeddedImage extends EmbeddedView {
  key: string;
  /** The image as read (kept for segment-everything crops). */
  image: RawImage;
  inputSize: Size;
  originalSize: Size;
  pixelSpacingMm?: [number, number];
  /** The mirror image's view, for flip averaging (embedded at the first prompt that needs it). */
  mirror?: Promise<EmbeddedView>;
}

/** Path of a bundled model's weights, or a clear error when the name is unknown or not shipped. */
export function bundledModelPath(name: string): string {
  const file = BUNDLED_MODELS[name];
  if (!file) throw new Error(`unknown bundled model '${name}' (bundled: ${Object.keys(BUNDLED_MODELS).join(', ')})`);
  const path = join(packageRoot(), 'models', file);
  if (!existsSync(path)) {
    throw new Error(
      `the bundled model '${name}' is not in this copy of ultrasam yet (expected ${path}); ` + 'pass weights explicitly: a SAM, MedSAM or UltraSam .pth checkpoint, or an ultrasam .safetensors file',
    );
  }
  return path;
}

/** Prompts decoded by the same decoder graph, so they run as one batch. */
interface DecoderKind {
  /** Prompt tokens (points, box corners, padding point). */
  tokens: number;
  hasMask: boolean;
  multimask: boolean;
}

function sameKind(a: DecoderKind, b: DecoderKind): boolean {
  return a.tokens === b.tokens && a.hasMask === b.hasMask && a.multimask === b.multimask;
}

/** FNV-1a over the pixels and size: the key under which an image's embedding is cached. */
function imageKey(image: RawImage): string {
  let h = 0x811c9dc5;
  const bytes = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return `${image.width}x${image.height}x${image.channels}:${(h >>> 0).toString(16)}`;
}

export class SamPredictor {
  private encoder: Runtime | null = null;
  private decoderImage: Promise<Runtime> | null = null;
  private readonly decoders = new Map<string, Promise<Runtime>>();
  private current: EmbeddedImage | null = null;
  /** The generator thresholds these weights record (EVERYTHING_METADATA_KEY); SAM's fill the rest. */
  everythingDefaults: EverythingOptions = {};
  /** The training record these weights carry (TRAINING_RECORD_KEY, JSON as written by `ultrasam train`), kept by convert-weights. */
  training: string | undefined;
  /** What a lone point is decoded into by default, as these weights record it (LONE_POINT_METADATA_KEY); SAM's 'candidates' otherwise. */
  lonePoint: LonePointOutput = 'candidates';
  /** The logit above which a pixel is in a mask, as these weights record it (MASK_THRESHOLD_METADATA_KEY); SAM's 0 otherwise. */
  maskThreshold = 0;
  /** Decode every prompt on the image and its mirror image and average (flip.ts), as these weights record it (FLIP_AVERAGE_METADATA_KEY); off otherwise. */
  flipAverage = false;

  private constructor(
    readonly config: SamConfig,
    /** UltraSam's decoder math (weights in UltraSam's layout, or recorded as such). */
    readonly ultrasam: boolean,
    /** Parameter values by canonical key (for export and fine-tuning). */
    readonly values: Map<string, Float32Array>,
    private readonly options: LoadOptions,
    /** Where the weights came from, for messages and reports. */
    readonly source: string,
  ) {}

  /** `source`: a checkpoint path (.pth or .safetensors) or a bundled model name ('ultrasam-tiny'). */
  static async load(source: string, options: LoadOptions = {}): Promise<SamPredictor> {
    const path = source in BUNDLED_MODELS ? bundledModelPath(source) : source;
    if (!existsSync(path)) throw new Error(`weights file not found: ${path}`);
    const weights = loadSamWeights(path);
    let config = options.config;
    if (!config) {
      const recorded = weights.metadata.get(CONFIG_METADATA_KEY);
      config = typeof recorded === 'string' ? (JSON.parse(recorded) as SamConfig) : inferConfig(weights.tensors, options);
    }
    validateConfig(config);
    const values = weightValues(config, weights.tensors);
    const predictor = new SamPredictor(config, weights.layout === 'ultrasam', values, options, path);
    predictor.everythingDefaults = parseRecordedEverythingDefaults(weights.metadata.get(EVERYTHING_METADATA_KEY), path);
    predictor.lonePoint = parseLonePointOutput(weights.metadata.get(LONE_POINT_METADATA_KEY), path);
    predictor.maskThreshold = parseMaskThreshold(weights.metadata.get(MASK_THRESHOLD_METADATA_KEY), path);
    predictor.flipAverage = parseFlipAverage(weights.metadata.get(FLIP_AVERAGE_METADATA_KEY), path);
    const training = weights.metadata.get(TRAINING_RECORD_KEY);
    predictor.training = typeof training === 'string' ? training : undefined;
    return predictor;
  }

  /** Builds a predictor from weights already in memory (canonical SAM keys). */
  static fromValues(config: SamConfig, values: Map<string, Float32Array>, ultrasam: boolean, options: LoadOptions = {}): SamPredictor {
    validateConfig(config);
    return new SamPredictor(config, ultrasam, values, options, '(in memory)');
  }

  /** Shape of every parameter, by canonical key. */
  get shapes(): Map<string, number[]> {
    return parameterShapes(this.config);
  }

  private runtimeOptions(): RuntimeOptions {
    return { threads: this.options.threads, provider: this.options.provider, ort: this.options.ort };
  }

  private async encoderRuntime(): Promise<Runtime> {
    if (!this.encoder) {
      const model = serialize(buildEncoderGraph(this.config, 1, { forwardOnly: true }), {
        params: 'initializers',
        values: this.values,
        quantize: this.options.quantizeEncoder ? 'int8' : undefined,
      });
      this.encoder = await Runtime.create(model, this.runtimeOptions());
    }
    return this.encoder;
  }

  /** The decoder's per-image tensors for the current image (once per image, shared by all its prompts). */
  private decoderImageFeeds(im: EmbeddedView): Promise<Record<string, Feed>> {
    im.decoderImage ??= (async () => {
      this.decoderImage ??= Runtime.create(serialize(buildDecoderImageGraph(this.config), { params: 'initializers', values: this.values }), this.runtimeOptions());
      const side: Record<string, Feed> = await (await this.decoderImage).run({ image_embedding: im.embedding });
      return im.fine ? { ...side, [FINE_FEATURES]: im.fine } : side;
    })();
    return im.decoderImage;
  }

  private decoderRuntime(kind: DecoderKind, batch: number): Promise<Runtime> {
    const key = `${kind.tokens}|${kind.hasMask}|${kind.multimask}|${batch}`; // a cache key, never parsed
    let rt = this.decoders.get(key);
    if (!rt) {
      const options = { numPoints: kind.tokens, hasMaskInput: kind.hasMask, multimask: kind.multimask, ultrasam: this.ultrasam, batch };
      const graph = buildPromptDecoderGraph(this.config, options);
      rt = Runtime.create(serialize(graph, { params: 'initializers', values: this.values }), this.runtimeOptions());
      this.decoders.set(key, rt);
    }
    return rt;
  }

  /** Computes the image embedding (once per distinct image: a repeated image reuses it). */
  async setImage(source: ImageSource): Promise<void> {
    const image = await readImage(source);
    if (image.width < 1 || image.height < 1) throw new Error(`image has no pixels (${image.width}×${image.height})`);
    const key = imageKey(image);
    if (this.current?.key === key) return;
    const pre = preprocessImage(image, this.config);
    this.current = {
      key,
      image,
      ...(await this.embed(pre.tensor)),
      inputSize: pre.inputSize,
      originalSize: pre.originalSize,
      pixelSpacingMm: image.pixelSpacingMm,
    };
  }

  private async embed(tensor: Float32Array): Promise<EmbeddedView> {
    const out = await (await this.encoderRuntime()).run({ image: tensor });
    const fine = out[FINE_FEATURES];
    return { embedding: Float32Array.from(out.embedding.data as Float32Array), ...(fine ? { fine: Float32Array.from(fine.data as Float32Array) } : {}) };
  }

  /** The mirror image's view of the current image (embedded once, at the first prompt that needs it). */
  private mirrorView(im: EmbeddedImage): Promise<EmbeddedView> {
    im.mirror ??= this.embed(preprocessImage(mirrorImage(im.image), this.config).tensor);
    return im.mirror;
  }

  /** The image embedding of the current image, [C, h, w]. */
  get embedding(): Float32Array {
    return this.image().embedding;
  }

  /** Size [height, width] and pixel spacing of the current image. */
  get imageInfo(): { height: number; width: number; pixelSpacingMm?: [number, number] } {
    const im = this.image();
    return { height: im.originalSize[0], width: im.originalSize[1], pixelSpacingMm: im.pixelSpacingMm };
  }

  private image(): EmbeddedImage {
    if (!this.current) throw new Error('no image set: call setImage(image) before predict()');
    return this.current;
  }

  /** How low-resolution logits map back to the current image (see postprocess.ts). */
  get geometry(): PostprocessGeometry {
    const im = this.image();
    return { imgSize: this.config.imageEncoder.imgSize, inputSize: im.inputSize, originalSize: im.originalSize };
  }

  /** Decodes one prompt (points and/or a box, optionally a previous mask) into masks and scores. */
  async predict(input: PredictInput): Promise<Prediction> {
    return (await this.predictBatch([input]))[0];
  }

  /**
   * Decodes several prompts on the current image, e.g. one box per object. Prompts of the same
   * kind (same number of prompt tokens, mask input or not, multimask or not) run as one batch.
   * Prompts with `refine` take a second pass (see PredictInput.refine).
   */
  async predictBatch(inputs: readonly PredictInput[]): Promise<Prediction[]> {
    if (inputs.length === 0) throw new Error('predictBatch: no prompts given');
    const lowSide = lowResSize(this.config);
    const first = (await this.decodeLowRes(inputs.map(firstPassInput))).map((p) => this.postprocess(p));
    const refining = inputs.flatMap((input, i) => (input.refine ? [i] : []));
    if (refining.length === 0) return first;
    const second = await this.decodeLowRes(refining.map((i) => refinementInput(inputs[i], first[i], lowSide)));
    refining.forEach((i, k) => (first[i] = this.postprocess(second[k])));
    return first;
  }

  private postprocess(p: LowResPrediction): Prediction {
    const im = this.image();
    const lowSide = lowResSize(this.config);
    return {
      masks: postprocessMasks(p.lowResLogits, p.count, [lowSide, lowSide], this.geometry, this.maskThreshold),
      scores: p.scores,
      lowResLogits: p.lowResLogits,
      width: im.originalSize[1],
      height: im.originalSize[0],
    };
  }

  /**
   * The decoder's outputs for several prompts on the current image, without upscaling to masks
   * (what predictBatch and segment-everything build on), averaged with the mirror image's under
   * flipAverage. `refine` is not applied here.
   */
  async decodeLowRes(inputs: readonly PredictInput[]): Promise<LowResPrediction[]> {
    if (inputs.length === 0) throw new Error('decodeLowRes: no prompts given');
    const im = this.image();
    const plain = await this.decodeOn(im, inputs);
    if (!this.flipAverage) return plain;
    const side = lowResSize(this.config);
    const s = this.config.imageEncoder.imgSize;
    const width = im.inputSize[1];
    const mirroredInputs = inputs.map((input) => ({
      ...mirrorPrompt(input, im.originalSize[1]),
      ...(input.maskInput ? { maskInput: mirrorLowRes(input.maskInput, 1, side, s, width) } : {}),
      // The mirror twin takes the same outputs as the prompt itself.
      multimask: input.multimask ?? this.defaultMultimask(input),
    }));
    const mirrored = await this.decodeOn(await this.mirrorView(im), mirroredInputs);
    return plain.map((p, i) => averageWithMirror(p, mirrored[i], side, s, width));
  }

  /** decodeLowRes on one view of the current image (the image itself or its mirror). */
  private async decodeOn(view: EmbeddedView, inputs: readonly PredictInput[]): Promise<LowResPrediction[]> {
    const im = this.image();
    const lowSide = lowResSize(this.config);
    // Every prompt is checked (and encoded) before anything runs.
    const encoded = inputs.map((input, i) => {
      const where = `prompt ${i}`;
      const prompt = encodePrompt(input, im.originalSize, this.config.imageEncoder.imgSize, where);
      if (input.maskInput && input.maskInput.length !== lowSide * lowSide) {
        throw new Error(`${where}: maskInput has ${input.maskInput.length} values, expected ${lowSide}×${lowSide} low-resolution logits`);
      }
      return prompt;
    });
    const groups: { kind: DecoderKind; members: number[] }[] = [];
    inputs.forEach((input, i) => {
      const kind = { tokens: encoded[i].count, hasMask: !!input.maskInput, multimask: input.multimask ?? this.defaultMultimask(input) };
      const group = groups.find((g) => sameKind(g.kind, kind));
      if (group) group.members.push(i);
      else groups.push({ kind, members: [i] });
    });
    const results: LowResPrediction[] = new Array(inputs.length);
    for (const { kind, members } of groups) {
      const batch = members.length;
      const count = kind.tokens;
      const rt = await this.decoderRuntime(kind, batch);
      const coords = new Float32Array(batch * count * 2);
      const labels = new Float32Array(batch * count);
      const maskInput = kind.hasMask ? new Float32Array(batch * lowSide * lowSide) : null;
      members.forEach((idx, b) => {
        coords.set(encoded[idx].coords, b * count * 2);
        labels.set(encoded[idx].labels, b * count);
        if (maskInput) maskInput.set(inputs[idx].maskInput!, b * lowSide * lowSide);
      });
      const feeds: Record<string, Float32Array | Ort.Tensor> = { point_coords: coords, point_labels: labels };
      if (maskInput) feeds.mask_input = maskInput;
      Object.assign(feeds, perImageFeeds(await this.decoderImageFeeds(view), rt.inputNames));
      const out = await rt.run(feeds);
      const low = out.low_res_logits.data as Float32Array;
      const iou = out.iou_predictions.data as Float32Array;
      const k = out.low_res_logits.dims[1];
      const per = k * lowSide * lowSide;
      members.forEach((idx, b) => {
        results[idx] = { lowResLogits: low.slice(b * per, (b + 1) * per), scores: iou.slice(b * k, (b + 1) * k), count: k };
      });
    }
    return results;
  }

  /** The generator options a run uses: those given, else the ones these weights record, else SAM's. */
  everythingOptions(given: EverythingOptions = {}): EverythingOptions {
    const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
    return { ...EVERYTHING_DEFAULTS, ...this.everythingDefaults, ...defined };
  }

  /**
   * Segment everything on the current image: SAM's automatic mask generator (see everything.ts for
   * the options and their defaults). Crop layers embed each crop; the image's own embedding is kept.
   */
  async generate(given: EverythingOptions = {}): Promise<GeneratedMask[]> {
    const options = this.everythingOptions(given);
    const whole = this.image();
    const rgb = toRgb8(whole.image);
    try {
      return await generateEverything(
        {
          embed: async (image) => {
            if (image === rgb) this.current = whole;
            else await this.setImage({ ...image, pixelSpacingMm: undefined });
          },
          decodePoints: async (batch) => {
            const lowSide = lowResSize(this.config);
            const out = await this.decodeLowRes(batch.map((p) => ({ points: [p], labels: [1], multimask: true })));
            const k = out[0].count;
            const lowResLogits = new Float32Array(batch.length * k * lowSide * lowSide);
            const scores = new Float32Array(batch.length * k);
            out.forEach((o, i) => {
              lowResLogits.set(o.lowResLogits, i * k * lowSide * lowSide);
              scores.set(o.scores, i * k);
            });
            return { lowResLogits, scores, masksPerPoint: k, lowResSide: lowSide, geometry: this.geometry };
          },
          maskThreshold: this.maskThreshold,
        },
        rgb,
        options,
      );
    } finally {
      this.current = whole;
    }
  }

  /** SAM's advice: several candidates for an ambiguous single click, one mask otherwise (unless the weights record 'single' for it). */
  private defaultMultimask(input: PredictInput): boolean {
    return multimaskByDefault(input, this.lonePoint);
  }

  async release(): Promise<void> {
    await this.encoder?.release();
    await (await this.decoderImage)?.release();
    for (const rt of this.decoders.values()) await (await rt).release();
    this.encoder = null;
    this.decoderImage = null;
    this.decoders.clear();
  }
}
