// Evaluation of prompted segmentation: the public entry points.
export { evaluate, type EvalResult, type EvaluateOptions } from './evaluate.js';
export { summarize, type EvalSummary, type GroupSummary } from './summary.js';
export { writeReport, type ReportFiles, type ReportOptions } from './report.js';
export { parsePromptSpec, promptSpecName, maskCentroid, maskBox, jitterBox } from './prompts.js';
export { firstClick, nextClick, type Click } from './clicks.js';
export { maskOverlap, type Overlap, type OverlapStats } from './metrics.js';
export { cocoMaskAp, cocoMaskApPerCategory, maskIouMatrix, type ApSummary } from './coco_ap.js';
export { summarizeClicks, clicksToReach, type ClickSummary } from './noc.js';
export type { EvalPredictor, PromptSpec, MultimaskMode, InstanceResult, ApImageInput } from './types.js';
