// Export for other runtimes: the encoder as strip graphs and a tail graph (encoder_strip*.onnx,
// encoder_tail.onnx: a reader skips the strips of padding below an image, see strip_encoder.ts),
// decoder_image.onnx (the decoder's per-image part, see buildDecoderImageGraph), decoder.onnx (any
// prompt, see buildExportDecoderGraph; optionally also built for fewer prompt slots,
// decoder_<n>.onnx), decoder_weights.bin (the decoder files' weights, as ONNX external data they all
// point into) and ultrasam.json with the config and the exact preprocessing, written to a temporary
// folder first and renamed into place, so a failed export never leaves a half-written model.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Graph } from '../graph/graph.js';
import { serialize, shareInitializers } from '../graph/onnx.js';
import { Runtime } from '../graph/runtime.js';
import { type SamConfig, encoderStrips, lowResSize } from './config.js';
import { DECODER_WEIGHTS_FILE, EXPORT_FORMAT_VERSION, type EncoderFiles, type ExportManifest } from './export_format.js';
import type { LonePointOutput } from '../eval/click_rule.js';
import type { EverythingOptions } from './everything.js';
import { DECODER_IMAGE_SIDE, EMPTY_SLOT_LABEL, buildDecoderImageGraph, buildEncoderStripGraph, buildEncoderTailGraph, buildExportDecoderGraph } from './sam.js';
import { ENCODER_STRIP, paddingTokens } from './strip_encoder.js';

export { EXPORT_FORMAT_VERSION, type ExportManifest } from './export_format.js';

export interface ExportOptions {
  /** Prompt slots of the decoder (points + 2 per box + 1 padding point); default 16. */
  slots?: number;
  /** Also write the decoder for each of these smaller slot counts (decoder_<n>.onnx; faster for short prompts). */
  fewerSlots?: number[];
  /** Also write the encoder with int8 weight products (encoder_*.int8.onnx; smaller, faster where int8 kernels exist). */
  int8Encoder?: boolean;
  /** Replace an existing export folder. */
  force?: boolean;
}

export async function exportModel(
  model: {
    config: SamConfig;
    values: ReadonlyMap<string, Float32Array>;
    ultrasam: boolean;
    everythingDefaults?: EverythingOptions;
    lonePoint?: LonePointOutput;
    maskThreshold?: number;
    flipAverage?: boolean;
  },
  outDir: string,
  options: ExportOptions = {},
): Promise<ExportManifest> {
  const out = resolve(outDir);
  if (existsSync(out) && !options.force) throw new Error(`${out} exists already (use --force to replace it)`);
  const slots = options.slots ?? 16;
  if (!Number.isInteger(slots) || slots < 2) throw new Error(`decoder slots must be an integer ≥ 2, got ${slots}`);
  const fewerSlots = [...new Set(options.fewerSlots ?? [])].sort((a, b) => a - b);
  for (const n of fewerSlots) {
    if (!Number.isInteger(n) || n < 2 || n >= slots) throw new Error(`smaller decoder slots must be integers from 2 to ${slots - 1} (fewer than --slots), got ${n}`);
  }
  const { config, values, ultrasam } = model;
  const strips = encoderStrips(config.imageEncoder);
  const short = strips.lastRows !== strips.rows;
  // With a short last strip, its graph shares the strip weights with the full strips' graph: one
  // file of them per precision.
  const fp32Encoder: EncoderFiles = {
    strip: 'encoder_strip.onnx',
    ...(short ? { lastStrip: 'encoder_strip_last.onnx', stripWeights: 'encoder_strip_weights.bin' } : {}),
    tail: 'encoder_tail.onnx',
  };
  const int8Encoder: EncoderFiles = {
    strip: 'encoder_strip.int8.onnx',
    ...(short ? { lastStrip: 'encoder_strip_last.int8.onnx', stripWeights: 'encoder_strip_weights.int8.bin' } : {}),
    tail: 'encoder_tail.int8.onnx',
  };
  const smaller = fewerSlots.map((n) => ({ slots: n, file: `decoder_${n}.onnx` }));
  const decoderGraphs: [string, Graph][] = [
    ['decoder_image.onnx', buildDecoderImageGraph(config)],
    ['decoder.onnx', buildExportDecoderGraph(config, { slots, ultrasam })],
    ...smaller.map(({ slots: n, file }): [string, Graph] => [file, buildExportDecoderGraph(config, { slots: n, ultrasam })]),
  ];
  // The decoder files share one copy of their weights, so that a decoder for another slot count
  // costs a reader its graph only. The page runs them in onnxruntime-web's WASM backend (the encoder
  // may run on WebGPU): LayerNorms as primitives.
  const decoderOptions = { params: 'initializers', values, layerNorm: 'primitives' } as const;
  const shared = shareInitializers(
    decoderGraphs.map(([file, graph]) => serialize(graph, { ...decoderOptions, name: `ultrasam_${file.replace('.onnx', '')}` }).bytes),
    DECODER_WEIGHTS_FILE,
  );
  const files: [string, Uint8Array][] = [
    ...(await encoderFiles(config, values, fp32Encoder)),
    ...decoderGraphs.map(([file], i): [string, Uint8Array] => [file, shared.models[i]]),
    [DECODER_WEIGHTS_FILE, shared.bytes],
  ];
  if (options.int8Encoder) files.push(...(await encoderFiles(config, values, int8Encoder, 'int8')));
  const s = config.imageEncoder.imgSize;
  const p = config.imageEncoder.patchSize;
  const manifest: ExportManifest = {
    format: 'ultrasam-onnx',
    version: EXPORT_FORMAT_VERSION,
    config,
    ultrasam,
    ...(model.everythingDefaults && Object.keys(model.everythingDefaults).length > 0 ? { everything: model.everythingDefaults } : {}),
    ...(model.lonePoint && model.lonePoint !== 'candidates' ? { lonePoint: model.lonePoint } : {}),
    ...(model.maskThreshold ? { maskThreshold: model.maskThreshold } : {}),
    ...(model.flipAverage ? { flipAverage: true } : {}),
    files: {
      encoder: fp32Encoder,
      decoderImage: 'decoder_image.onnx',
      decoder: 'decoder.onnx',
      decoderWeights: DECODER_WEIGHTS_FILE,
      ...(options.int8Encoder ? { encoderInt8: int8Encoder } : {}),
      ...(smaller.length > 0 ? { fewerSlots: smaller } : {}),
    },
    preprocessing: {
      description: "image → 8-bit RGB → resize → normalise → pad → the encoder's image [1, 3, S, S]",
      longSide: s,
      resize: 'bilinear as PIL (antialiased when shrinking), to (floor(h·k + 0.5), floor(w·k + 0.5)) with k = longSide / max(h, w)',
      pixelMean: config.pixelMean,
      pixelStd: config.pixelStd,
      pad: 'zeros at the bottom and right, after normalising, to S × S',
      layout: 'NCHW float32',
    },
    encoder: {
      stripRows: strips.rows,
      strips: strips.count,
      lastStripRows: strips.lastRows,
      strip: `for each strip i the image reaches, i < min(strips, ceil(ceil(resized height / ${p}) / stripRows)): ${ENCODER_STRIP.pixels} [1, 3, ${p}·h, S], pixel rows ${p}·stripRows·i onward of the padded image, h = stripRows, and ${ENCODER_STRIP.index} [1] int64 (i) through files.encoder.strip, or for i = strips − 1 with lastStripRows < stripRows, h = lastStripRows and no index through files.encoder.lastStrip → ${ENCODER_STRIP.tokens} [1, h, S/${p}, C]; the strip files read files.encoder.stripWeights (where listed) as ONNX external data`,
      tail: `${ENCODER_STRIP.tokens} [1, S/${p}, S/${p}, C] (the strips' tokens in order, zeros below), ${ENCODER_STRIP.contentRows} [1] int64 (the token rows those strips filled, at most S/${p}; the tail takes later rows from its own table of padding strips) and, where the file lists it, image [1, 3, S, S] → embedding (and the other outputs the decoder files take); every strip run and ${ENCODER_STRIP.contentRows} = S/${p} give the same`,
    },
    decoderImage: {
      inputs: 'image_embedding (the encoder output); run once per image',
      outputs: Object.values(DECODER_IMAGE_SIDE),
    },
    decoder: {
      slots,
      emptySlotLabel: EMPTY_SLOT_LABEL,
      pointTransform: 'x · newW / w + 0.5 and y · newH / h + 0.5 (input-frame pixels of the resized image)',
      labels: { '-2': 'empty slot', '-1': 'padding point (add one when there is no box)', '0': 'negative point', '1': 'positive point', '2': 'box top-left', '3': 'box bottom-right' },
      inputs: `those of decoder_image's outputs (${Object.values(DECODER_IMAGE_SIDE).join(', ')}) that the file lists as inputs, point_coords [1, slots, 2], point_labels [1, slots], mask_input [1, 1, L, L] (low-res logits of an earlier prediction, or zeros) and has_mask_input [1] (1 uses mask_input, 0 ignores it)`,
      outputs:
        'low_res_logits [1, 1+M, L, L] and iou_predictions [1, 1+M]: output 0 single-mask, 1..M multimask; a mask is where the logits, bilinearly resized to the image, exceed maskThreshold (absent: 0); with flipAverage, each prompt is decoded on the image and, mirrored left-right (x → w − 1 − x, the mask input mirrored within the cells the image covers), on the mirror image, and the two outputs averaged (that of the mirror image mirrored back) before resizing',
      lowResSize: lowResSize(config),
    },
  };
  files.push(['ultrasam.json', new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`)]);

  const partial = `${out}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    for (const [name, bytes] of files) writeFileSync(join(partial, name), bytes);
    mkdirSync(dirname(out), { recursive: true });
    if (existsSync(out)) rmSync(out, { recursive: true });
    renameSync(partial, out);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  return manifest;
}

/**
 * The encoder's files at one precision: the strip graphs (full-height strips, and the short last
 * strip where there is one), then the tail graph with its table of padding strips, which the strip
 * graphs make (so an int8 tail holds what the int8 strips give).
 */
async function encoderFiles(config: SamConfig, values: ReadonlyMap<string, Float32Array>, names: EncoderFiles, quantize?: 'int8'): Promise<[string, Uint8Array][]> {
  const quantized = quantize ? { quantize } : {};
  const graphs = [buildEncoderStripGraph(config, { forwardOnly: true }), ...(names.lastStrip ? [buildEncoderStripGraph(config, { forwardOnly: true }, true)] : [])];
  const stripNames = [names.strip, ...(names.lastStrip ? [names.lastStrip] : [])];
  const options = (i: number) => ({ params: 'initializers', values, name: `ultrasam_${stripNames[i].replace(/\..*$/, '')}`, ...quantized }) as const;
  // The table, from the strip graphs with their weights inside (then moved to the strip weights file, where there is one).
  const inline = graphs.map((graph, i) => serialize(graph, options(i)));
  const runtimes = await Promise.all(inline.map((model) => Runtime.create(model)));
  let table: Float32Array;
  try {
    table = await paddingTokens(runtimes[0].ort, { strip: runtimes[0].session, last: runtimes[1]?.session }, config.imageEncoder);
  } finally {
    for (const runtime of runtimes) await runtime.release();
  }
  const shared = names.stripWeights
    ? shareInitializers(
        inline.map((model) => model.bytes),
        names.stripWeights,
      )
    : undefined;
  const files: [string, Uint8Array][] = stripNames.map((name, i) => [name, shared ? shared.models[i] : inline[i].bytes]);
  if (shared) files.push([names.stripWeights!, shared.bytes]);
  const tailValues = new Map(values).set(ENCODER_STRIP.padding, table);
  files.push([names.tail, serialize(buildEncoderTailGraph(config, { forwardOnly: true }), { params: 'initializers', values: tailValues, name: 'ultrasam_encoder_tail', ...quantized }).bytes]);
  return files;
}
