// Where the encoder's starting weights come from: the bundled UltraSam model, a random draw (the
// baseline the foundation claim is measured against), or any checkpoint SamPredictor reads (SAM,
// MedSAM or UltraSam .pth, our .safetensors), or a model from an earlier `finetune`.
import { existsSync } from 'node:fs';
import { type SamConfig, ultrasamTinyConfig, validateConfig } from '../model/config.js';
import { SamPredictor } from '../model/predictor.js';
import { initSamWeights } from '../train/init.js';
import { readSafetensorsFile } from '../weights/safetensors.js';
import { DOWNSTREAM_METADATA_KEY, loadDownstreamModel } from './model_file.js';

export interface EncoderInit {
  config: SamConfig;
  /** Parameter values by canonical key; the image_encoder.* ones are used. */
  values: Map<string, Float32Array>;
  /** The init as given ('random', 'ultrasam-tiny', a path). */
  name: string;
}

export interface InitOptions {
  /** Architecture of a random init (default ultrasam-tiny's); ignored for weights that carry one. */
  config?: SamConfig;
  /** Seed of a random init. */
  seed?: number;
}

export async function resolveInit(init: string, options: InitOptions = {}): Promise<EncoderInit> {
  if (init === 'random') {
    const config = options.config ?? ultrasamTinyConfig();
    validateConfig(config);
    return { config, values: initSamWeights(config, options.seed ?? 0), name: init };
  }
  // A model from an earlier fine-tune: its (fine-tuned) encoder is the starting point.
  if (init.endsWith('.safetensors') && existsSync(init) && DOWNSTREAM_METADATA_KEY in readSafetensorsFile(init).metadata) {
    const model = loadDownstreamModel(init);
    return { config: model.config, values: encoderValues(model.values), name: init };
  }
  const predictor = await SamPredictor.load(init);
  return { config: predictor.config, values: predictor.values, name: init };
}

/** Only the encoder's parameters (what a downstream model keeps of the foundation model). */
export function encoderValues(values: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...values].filter(([k]) => k.startsWith('image_encoder.')));
}
