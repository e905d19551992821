// The export's manifest (ultrasam.json) and format version: what export.ts writes and any reader
// (the browser app, other runtimes) checks. Free of Node imports, so the browser bundle can use it.
import type { SamConfig } from './config.js';
import type { LonePointOutput } from '../eval/click_rule.js';
import type { EverythingOptions } from './everything.js';

/**
 * The manifest's `version`: 2 since the decoder's per-image part is its own file; 3 since the mask
 * prompt goes to decoder.onnx (decoder_image.onnx runs once per image, without one); 4 since
 * decoder_image.onnx also gives upscale_base, which a decoder file may or may not take; 5 since the
 * decoder files keep their weights in decoder_weights.bin (ONNX external data); 6 since the encoder
 * is strip graphs, run on the strips the image reaches, and a tail graph (EncoderFiles,
 * strip_encoder.ts).
 */
export const EXPORT_FORMAT_VERSION = 6;

/** The decoder files' shared weights, beside them (their initializers' external data location). */
export const DECODER_WEIGHTS_FILE = 'decoder_weights.bin';

/**
 * The per-image tensors (decoder_image.onnx's outputs) that one decoder file takes: a decoder with
 * few prompt slots reads upscale_base, one with many does not (src/model/prompt_decoder.ts).
 */
export function perImageFeeds<T>(decoderImage: Record<string, T>, decoderInputs: readonly string[]): Record<string, T> {
  return Object.fromEntries(Object.entries(decoderImage).filter(([name]) => decoderInputs.includes(name)));
}

export interface ExportManifest {
  format: 'ultrasam-onnx';
  /** EXPORT_FORMAT_VERSION of the writer. */
  version: number;
  config: SamConfig;
  ultrasam: boolean;
  /** Segment-everything thresholds the weights record (absent: SAM's defaults apply). */
  everything?: EverythingOptions;
  /** What a lone click is decoded into by default, as the weights record it (absent: SAM's 'candidates'). */
  lonePoint?: LonePointOutput;
  /** The logit above which a pixel is in a mask, as the weights record it (absent: SAM's 0). */
  maskThreshold?: number;
  /** Decode each prompt on the image and its mirror image and average the two (flip.ts), as the weights record it (absent: plain). */
  flipAverage?: boolean;
  files: {
    encoder: EncoderFiles;
    decoderImage: string;
    /** The decoder with decoder.slots prompt slots: serves every prompt. */
    decoder: string;
    /**
     * The weights of decoder_image and every decoder file, which they read as ONNX external data:
     * a runtime loading a decoder file by path finds it beside it; from bytes, pass it along
     * (onnxruntime-web: the session option externalData, path DECODER_WEIGHTS_FILE).
     */
    decoderWeights: string;
    encoderInt8?: EncoderFiles;
    /**
     * The same decoder built for fewer slots (faster: the prompt side of every attention shrinks),
     * ascending; a reader may run the smallest that holds the prompt (chooseDecoder).
     */
    fewerSlots?: { slots: number; file: string }[];
  };
  preprocessing: {
    description: string;
    longSide: number;
    resize: string;
    pixelMean: number[];
    pixelStd: number[];
    pad: string;
    layout: string;
  };
  /** How to run the encoder's files (strip_encoder.ts does it). */
  encoder: {
    stripRows: number;
    strips: number;
    lastStripRows: number;
    strip: string;
    tail: string;
  };
  /** decoder_image.onnx: run once per image. */
  decoderImage: {
    inputs: string;
    outputs: string[];
  };
  decoder: {
    slots: number;
    emptySlotLabel: number;
    pointTransform: string;
    labels: Record<string, string>;
    inputs: string;
    outputs: string;
    lowResSize: number;
  };
}

/** The encoder's files: the strip graphs and the tail graph (with its table of padding strips). */
export interface EncoderFiles {
  /** The full-height strips' graph. */
  strip: string;
  /** The short last strip's graph, where the grid does not divide into full strips. */
  lastStrip?: string;
  /** The two strip graphs' weights, which they read as ONNX external data. */
  stripWeights?: string;
  tail: string;
}

/** Every file of an encoder: the strip graphs, their shared weights where listed, the tail. */
export function encoderFileList(files: EncoderFiles): string[] {
  return [files.strip, ...(files.lastStrip ? [files.lastStrip] : []), ...(files.stripWeights ? [files.stripWeights] : []), files.tail];
}

/** Precision of the image encoder a reader runs: files.encoder (fp32) or files.encoderInt8. */
export type EncoderPrecision = 'fp32' | 'int8';

/**
 * Which encoder files to run. `asked` is the reader's choice (the app's `?encoder=` URL parameter);
 * unasked, the int8 encoder where the export has one (`ultrasam app --int8` exports it, plain
 * `ultrasam app` does not), else fp32. Asking for int8 from an export without it is an error.
 */
export function chooseEncoder(manifest: Pick<ExportManifest, 'files'>, asked?: string | null): { precision: EncoderPrecision; files: EncoderFiles } {
  if (asked !== undefined && asked !== null && asked !== 'fp32' && asked !== 'int8') {
    throw new Error(`the encoder precision is fp32 or int8, not '${asked}'`);
  }
  const precision: EncoderPrecision = asked ?? (manifest.files.encoderInt8 ? 'int8' : 'fp32');
  if (precision === 'fp32') return { precision, files: manifest.files.encoder };
  if (!manifest.files.encoderInt8) {
    throw new Error('this model was exported without the int8 encoder (encoder_strip.int8.onnx, encoder_tail.int8.onnx): start the app with `ultrasam app --int8`');
  }
  return { precision, files: manifest.files.encoderInt8 };
}

/** Every decoder file of an export with its prompt slots, fewest slots first (decoder.onnx last). */
export function decoderFiles(manifest: Pick<ExportManifest, 'files' | 'decoder'>): { slots: number; file: string }[] {
  return [...(manifest.files.fewerSlots ?? []), { slots: manifest.decoder.slots, file: manifest.files.decoder }];
}

/**
 * The decoder file for a prompt of `count` tokens (points, box corners, padding point): the export's
 * smallest decoder with that many slots, else decoder.onnx; an error when even that is too small.
 */
export function chooseDecoder(manifest: Pick<ExportManifest, 'files' | 'decoder'>, count: number): { slots: number; file: string } {
  const fitting = decoderFiles(manifest).find((d) => d.slots >= count);
  if (!fitting) {
    throw new Error(`too many prompts: the model takes ${manifest.decoder.slots - 2} points with a box or ${manifest.decoder.slots - 1} without; undo some`);
  }
  return fitting;
}
