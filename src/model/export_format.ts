// The export's manifest (ultrasam.json) and format version: what export.ts writes and any reader
// (the browser app, other runtimes) checks. Free of Node imports, so the browser bundle can use it.
import type { SamConfig } from './config.js';
import type { EverythingOptions } from './everything.js';

/** The manifest's `version`: 2 since the decoder's per-image part is its own file. */
export const EXPORT_FORMAT_VERSION = 2;

export interface ExportManifest {
  format: 'ultrasam-onnx';
  /** EXPORT_FORMAT_VERSION of the writer. */
  version: number;
  config: SamConfig;
  ultrasam: boolean;
  /** Segment-everything thresholds the weights record (absent: SAM's defaults apply). */
  everything?: EverythingOptions;
  files: { encoder: string; decoderImage: string; decoder: string; encoderInt8?: string };
  preprocessing: {
    description: string;
    longSide: number;
    resize: string;
    pixelMean: number[];
    pixelStd: number[];
    pad: string;
    layout: string;
  };
  /** decoder_image.onnx: run once per image (has_mask_input 0), or per prompt with a mask input. */
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

