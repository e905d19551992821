// Foundation use: fine-tuning the UltraSam encoder for downstream classification and segmentation.
export { parseClassMap, identityClassMap, type ClassMap } from './classes.js';
export { loadClassificationData, type ClassificationData, type LabelledImage, type LoadOptions } from './samples.js';
export { holdOutSplit, type HoldOut } from './split.js';
export { classificationMetrics, confusionMatrix, DiceAccumulator, type ClassificationMetrics } from './metrics.js';
export { renderConfusion, writeConfusionPng } from './confusion_png.js';
export { resolveInit, type EncoderInit } from './init.js';
export { fit, MODES, type Mode, type FitOptions, type FitResult, type EpochReport } from './fit.js';
export { buildHead, initHead, type HeadSpec, type Task } from './heads.js';
export { finetuneClassifier, type ClassifyOptions, type ClassifyReport } from './classify.js';
export { finetuneSegmenter, type SegmentOptions, type SegmentReport } from './segment.js';
export { loadSegmentationData } from './seg_data.js';
export { saveDownstreamModel, loadDownstreamModel, type DownstreamModel, type DownstreamMeta } from './model_file.js';
export { classifyImages, segmentImage, writeLabelPng, type ClassPrediction, type SegPrediction } from './predict.js';
export { compareInits, formatTable, meanStd, summarise, type CompareReport, type CompareOptions } from './compare.js';
