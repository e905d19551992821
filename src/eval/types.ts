// Shared types of the evaluation: the predictor it drives, the prompt protocols, and the per-instance
// results that the metrics, the summary and the report read.
import type { ImageSource } from '../image/read.js';
import type { PredictInput, Prediction } from '../model/predictor.js';

/**
 * What the evaluation needs of a predictor: `SamPredictor` satisfies it; tests use a fake with
 * known answers. `predictBatch` returns one prediction per prompt, in order.
 */
export interface EvalPredictor {
  setImage(source: ImageSource): Promise<void>;
  predictBatch(inputs: readonly PredictInput[]): Promise<Prediction[]>;
}

/** An evaluation prompt protocol (see prompts.ts for the exact geometry). */
export type PromptSpec = { kind: 'point' } | { kind: 'box' } | { kind: 'box-jitter'; fraction: number } | { kind: 'clicks'; clicks: number };

/** Which decoder outputs to ask for: SAM's default (three for a lone point, else one), or forced. */
export type MultimaskMode = 'auto' | 'always' | 'never';

/** The first prompt given for an instance, in original-image pixels (as passed to the predictor). */
export interface UsedPrompt {
  points?: [number, number][];
  labels?: number[];
  box?: [number, number, number, number];
}

/** One evaluated ground-truth instance. */
export interface InstanceResult {
  annotationId: number;
  imageId: number;
  /** The image's `file_name` in the COCO file. */
  fileName: string;
  /** Resolved image path that was read. */
  imagePath: string;
  dataset: string;
  /** Structure name: the annotation's `structure` when present (agnostic files), else the category name. */
  category: string;
  categoryId: number;
  /** Ground-truth pixels (the decoded mask, not the `area` field). */
  gtArea: number;
  predArea: number;
  dice: number;
  iou: number;
  /** Predicted IoU of the chosen output (the score for AP). */
  score: number;
  prompt: UsedPrompt;
  /** Point protocol: whether the centroid lies on a mask pixel (the reference uses it either way). */
  centroidInside?: boolean;
  /** Clicks protocol: IoU after click 1, 2, ... K. */
  clickIous?: number[];
  /** Clicks protocol: the clicks given, in order, as [x, y, label] (label 1 positive, 0 negative). */
  clicks?: [number, number, number][];
}

/** COCOeval's view of one (image, category): detections, ground truths and their mask IoUs. */
export interface ApImageInput {
  imageId: number;
  categoryId: number;
  /** `structure`: the structure name of the annotation (see InstanceResult.category), for per-structure AP. */
  gts: { id: number; area: number; iscrowd: boolean; structure?: string }[];
  dts: { id: number; area: number; score: number; structure?: string }[];
  /** ious[d][g]: mask IoU of detection d with ground truth g (crowd: intersection / detection area). */
  ious: number[][];
}
