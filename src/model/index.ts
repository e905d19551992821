// The SAM / UltraSam model: configs, graph builders, prompt encoding and postprocessing.
export { samConfig, validateConfig, embeddingGrid, lowResSize, PIXEL_MEAN, PIXEL_STD } from './config.js';
export type { SamConfig, SamPreset, SamConfigOverrides, ImageEncoderConfig, PromptEncoderConfig, MaskDecoderConfig } from './config.js';
export { buildEncoderGraph, buildDecoderGraph, parameterShapes, weightValues } from './sam.js';
export type { DecoderGraphOptions, WeightLike } from './sam.js';
export { encodePrompt, promptTokenCount, resizedSize } from './prompts.js';
export type { Prompt, EncodedPrompt, Size } from './prompts.js';
export { upscaleLogits, thresholdMasks, postprocessMasks } from './postprocess.js';
export type { PostprocessGeometry } from './postprocess.js';
