// The ultrasam library: the predictor and export for users, and the rooms below it for builders.
export { SamPredictor, BUNDLED_MODELS, bundledModelPath, CONFIG_METADATA_KEY } from './model/predictor.js';
export type { LoadOptions, LowResPrediction, PredictInput, Prediction } from './model/predictor.js';
export { EVERYTHING_DEFAULTS } from './model/everything.js';
export type { EverythingOptions, GeneratedMask } from './model/everything.js';
export { propagate } from './cine/propagate.js';
export type { PropagateOptions, Propagation, FrameMask, PropagationCarry } from './cine/propagate.js';
export { readClip } from './cine/clip.js';
export type { Clip } from './cine/clip.js';
export { exportModel } from './model/export.js';
export type { ExportManifest, ExportOptions } from './model/export.js';
export * as model from './model/index.js';
export * as graph from './graph/index.js';
export * as weights from './weights/index.js';
export * as image from './image/index.js';
