// The engine's public API: graphs, ops, differentiation, serialisation, runtime and training.
export { Graph, Tensor } from './graph.js';
export type { Node, Shape, AttrValue } from './graph.js';
export type { DType, TypedArray } from './dtype.js';
export * as op from './ops/index.js';
export { grad } from './grad.js';
export { serialize, OPSET } from './onnx.js';
export type { SerializeOptions, SerializedModel, ModelSignature } from './onnx.js';
export { Runtime } from './runtime.js';
export type { RuntimeOptions, Provider, OrtModule } from './runtime.js';
export { appendAdamW, OPTIM } from './optim.js';
export type { AdamWOptions, TrainStep } from './optim.js';
export { Trainer } from './trainer.js';
export type { ParamStore, StepResult } from './trainer.js';
export { constantSchedule, multiStepSchedule, cosineSchedule } from './schedule.js';
export type { Schedule } from './schedule.js';
export { saveState, loadState } from './state.js';
export type { TrainingState } from './state.js';
export { Rng } from './random.js';
