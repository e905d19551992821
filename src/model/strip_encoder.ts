// Running the exported encoder, the strip graphs then the tail graph (see EncoderStrips): the
// strips the image reaches through the strip graphs, the rest from the tail's table of padding
// strips. The page, the export (which makes that table) and the tests run it this one way. Free of
// Node imports, and of onnxruntime's: the caller passes its module (onnxruntime-node or -web).
import type * as Ort from 'onnxruntime-common';
import { type ImageEncoderConfig, encoderStrips } from './config.js';
import type { EncoderFiles } from './export_format.js';

export interface TensorModule {
  Tensor: typeof Ort.Tensor;
}

export interface SessionLike {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, Ort.Tensor>): Promise<Record<string, Ort.Tensor>>;
}

/** Names of the strip and tail graphs' inputs and outputs and of the tail's table (sam.ts builds the graphs with them). */
export const ENCODER_STRIP = { pixels: 'image_strip', index: 'strip', tokens: 'tokens', contentRows: 'content_rows', padding: 'strip_padding_tokens' } as const;

/** The strips an image reaches whose resized height is `inputHeight` pixels (at least one). */
export function stripsReached(cfg: ImageEncoderConfig, inputHeight: number): number {
  if (!(Number.isInteger(inputHeight) && inputHeight > 0 && inputHeight <= cfg.imgSize)) {
    throw new Error(`the resized image's height must be an integer from 1 to ${cfg.imgSize}, got ${inputHeight}`);
  }
  const { rows, count } = encoderStrips(cfg);
  return Math.min(count, Math.ceil(Math.ceil(inputHeight / cfg.patchSize) / rows));
}

/** The strip graphs' sessions: full-height strips, and the short last strip where the model has one. */
export interface StripSessions {
  strip: SessionLike;
  last?: SessionLike;
}

/** A file's external data, as onnxruntime's session option `externalData` takes it. */
export interface ExternalData {
  path: string;
  data: Uint8Array;
}

/**
 * Sessions for an export's encoder files: `read` gives a file's bytes (by its name in the manifest),
 * `create` a session from a graph's bytes and the external data it reads.
 */
export async function encoderSessions<S extends SessionLike>(
  files: EncoderFiles,
  read: (file: string) => Promise<Uint8Array>,
  create: (graph: Uint8Array, externalData: ExternalData[]) => Promise<S>,
): Promise<{ strips: { strip: S; last?: S }; tail: S; bytes: number }> {
  const external = files.stripWeights ? [{ path: files.stripWeights, data: await read(files.stripWeights) }] : [];
  const strip = await read(files.strip);
  const last = files.lastStrip ? await read(files.lastStrip) : undefined;
  const tail = await read(files.tail);
  return {
    strips: { strip: await create(strip, external), ...(last ? { last: await create(last, external) } : {}) },
    tail: await create(tail, []),
    bytes: [strip, last, tail, ...external.map((e) => e.data)].reduce((sum, b) => sum + (b?.length ?? 0), 0),
  };
}

/**
 * Strips 0 … reached−1 of `image` [1, inChans, S, S] through the strip graphs → tokens [1, grid,
 * grid, C] with their rows filled and the rest zeros.
 */
export async function runStrips(ort: TensorModule, sessions: StripSessions, image: Float32Array, cfg: ImageEncoderConfig, reached: number): Promise<Float32Array> {
  const s = cfg.imgSize;
  const grid = s / cfg.patchSize;
  const c = cfg.embedDim;
  const { rows, count, lastRows } = encoderStrips(cfg);
  if (image.length !== cfg.inChans * s * s) throw new Error(`the encoder's image must hold ${cfg.inChans}·${s}·${s} values, got ${image.length}`);
  if (!(Number.isInteger(reached) && reached >= 1 && reached <= count)) throw new Error(`strips to run must be 1 to ${count}, got ${reached}`);
  if (lastRows !== rows && !sessions.last) throw new Error(`this model's last strip is ${lastRows} token rows high, not ${rows}: it needs the last-strip graph (files.encoder.lastStrip)`);
  const tokens = new Float32Array(grid * grid * c);
  for (let i = 0; i < reached; i++) {
    const last = lastRows !== rows && i === count - 1;
    const side = (last ? lastRows : rows) * cfg.patchSize;
    const top = i * rows * cfg.patchSize;
    const pixels = new Float32Array(cfg.inChans * side * s);
    for (let ch = 0; ch < cfg.inChans; ch++) pixels.set(image.subarray(ch * s * s + top * s, ch * s * s + (top + side) * s), ch * side * s);
    const feeds: Record<string, Ort.Tensor> = { [ENCODER_STRIP.pixels]: new ort.Tensor('float32', pixels, [1, cfg.inChans, side, s]) };
    if (!last) feeds[ENCODER_STRIP.index] = new ort.Tensor('int64', BigInt64Array.of(BigInt(i)), [1]);
    const out = await (last ? sessions.last! : sessions.strip).run(feeds);
    tokens.set(out[ENCODER_STRIP.tokens].data as Float32Array, i * rows * grid * c);
  }
  return tokens;
}

/** The strip graphs' tokens for an image of zeros, every strip: the tail's table (ENCODER_STRIP.padding), made once per model. */
export function paddingTokens(ort: TensorModule, sessions: StripSessions, cfg: ImageEncoderConfig): Promise<Float32Array> {
  return runStrips(ort, sessions, new Float32Array(cfg.inChans * cfg.imgSize * cfg.imgSize), cfg, encoderStrips(cfg).count);
}

/**
 * The exported encoder on a preprocessed image `image` [1, inChans, S, S] whose resized content is
 * `inputHeight` rows high: the tail's outputs (`embedding`, and a pixel branch's `fine_features`).
 */
export async function encodeInStrips(
  ort: TensorModule,
  sessions: StripSessions,
  tail: SessionLike,
  image: Float32Array,
  inputHeight: number,
  cfg: ImageEncoderConfig,
): Promise<Record<string, Ort.Tensor>> {
  const grid = cfg.imgSize / cfg.patchSize;
  const reached = stripsReached(cfg, inputHeight);
  const tokens = await runStrips(ort, sessions, image, cfg, reached);
  const feeds: Record<string, Ort.Tensor> = {
    [ENCODER_STRIP.tokens]: new ort.Tensor('float32', tokens, [1, grid, grid, cfg.embedDim]),
    [ENCODER_STRIP.contentRows]: new ort.Tensor('int64', BigInt64Array.of(BigInt(Math.min(grid, reached * encoderStrips(cfg).rows))), [1]),
  };
  if (tail.inputNames.includes('image')) feeds.image = new ort.Tensor('float32', image, [1, cfg.inChans, cfg.imgSize, cfg.imgSize]);
  return tail.run(feeds);
}
