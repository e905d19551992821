// Weights I/O: .npy, PyTorch .pth (restricted unpickler), safetensors, and checkpoint key layouts.
export type { StateDict, StoredDtype, WeightData, WeightDtype, WeightTensor } from './types.js';
export { readNpy, readNpyFile, writeNpy, writeNpyFile, readNpyObject, readNpyObjectFile, NUMPY_GLOBALS, NpyError } from './npy.js';
export type { NpyArray, NpyObjectArray } from './npy.js';
export { unpickle, unpickleAt, allowList, opaqueGlobal, OpaqueObject, UnsafePickleError, PickleFormatError, PyGlobal } from './pickle.js';
export type { AllowedGlobal, GlobalAllowList, UnpickleOptions } from './pickle.js';
export { readPth, readPthBuffer, TORCH_GLOBALS, CheckpointError } from './pth.js';
export type { PthCheckpoint, ReadPthOptions, CheckpointErrorCode } from './pth.js';
export { readSafetensors, readSafetensorsFile, writeSafetensors, writeSafetensorsFile, SafetensorsError } from './safetensors.js';
export type { Safetensors, WriteSafetensorsOptions } from './safetensors.js';
export { detectLayout, toSamKeys, checkStateDict, parameterCount, UnknownLayoutError, LayoutMappingError, StateDictMismatchError } from './layouts.js';
export type { CheckpointLayout, DetectedLayout, SamWeights } from './layouts.js';
export { loadSamWeights, saveSamWeights, LAYOUT_METADATA_KEY } from './checkpoint.js';
export type { LoadedSamWeights } from './checkpoint.js';
