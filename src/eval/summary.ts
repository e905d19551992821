// The evaluation summary: the one JSON object that `ultrasam eval --json` prints and report.json holds.
// Overall, per-dataset and per-structure tables of Dice and IoU (mean, median), COCO mask AP, and for
// clicks the IoU-per-click curve and NoC/NoF.
import { cocoMaskAp, type ApSummary } from './coco_ap.js';
import type { EvalResult } from './evaluate.js';
import { groupBy, overlapStats, type OverlapStats } from './metrics.js';
import { summarizeClicks, type ClickSummary } from './noc.js';
import type { ApImageInput, InstanceResult } from './types.js';

export interface GroupSummary extends OverlapStats {
  ap: ApSummary;
  clicks?: ClickSummary;
}

export interface EvalSummary extends OverlapStats {
  coco: string;
  images_dir: string;
  weights?: string;
  prompt: string;
  seed: number;
  multimask: string;
  /** UltraSam's test-time refinement (a second pass with the mask's box and logits). */
  refine: boolean;
  n_images: number;
  n_instances: number;
  dice_mean: number;
  iou_mean: number;
  skipped: EvalResult['skipped'];
  ap: ApSummary;
  clicks?: ClickSummary;
  /** Point prompts: instances whose centroid is not on a mask pixel (the point is used anyway, as the reference does). */
  centroid_outside_mask?: number;
  per_dataset: Record<string, GroupSummary>;
  /** Keyed by structure: the annotation's `structure`, else its category name. */
  per_category: Record<string, GroupSummary>;
  seconds: number;
}

/** AP inputs restricted to the detections and ground truths that `keep` accepts. */
function filterApInputs(inputs: readonly ApImageInput[], keep: (input: ApImageInput, structure: string | undefined) => boolean): ApImageInput[] {
  const out: ApImageInput[] = [];
  for (const input of inputs) {
    const g = input.gts.map((x, i) => (keep(input, x.structure) ? i : -1)).filter((i) => i >= 0);
    const d = input.dts.map((x, i) => (keep(input, x.structure) ? i : -1)).filter((i) => i >= 0);
    if (g.length === 0 && d.length === 0) continue;
    out.push({ ...input, gts: g.map((i) => input.gts[i]), dts: d.map((i) => input.dts[i]), ious: d.map((di) => g.map((gi) => input.ious[di][gi])) });
  }
  return out;
}

function groupSummary(instances: InstanceResult[], apInputs: ApImageInput[], clicks: number | undefined): GroupSummary {
  return {
    ...overlapStats(instances),
    ap: cocoMaskAp(apInputs),
    ...(clicks
      ? {
          clicks: summarizeClicks(
            instances.map((i) => i.clickIous!),
            clicks,
          ),
        }
      : {}),
  };
}

export function summarize(result: EvalResult, weights?: string): EvalSummary {
  const { instances, apInputs } = result;
  const clicks = result.prompt.startsWith('clicks:') ? Number(result.prompt.slice('clicks:'.length)) : undefined;
  const datasetOfImage = new Map(instances.map((i) => [i.imageId, i.dataset]));
  const perDataset: Record<string, GroupSummary> = {};
  for (const [name, items] of groupBy(instances, (i) => i.dataset)) {
    perDataset[name] = groupSummary(
      items,
      apInputs.filter((a) => datasetOfImage.get(a.imageId) === name),
      clicks,
    );
  }
  const perCategory: Record<string, GroupSummary> = {};
  for (const [name, items] of groupBy(instances, (i) => i.category)) {
    perCategory[name] = groupSummary(
      items,
      filterApInputs(apInputs, (_, structure) => structure === name),
      clicks,
    );
  }
  const overall = groupSummary(instances, apInputs, clicks);
  const outside = instances.filter((i) => i.centroidInside === false).length;
  return {
    coco: result.cocoPath,
    images_dir: result.imagesDir,
    ...(weights ? { weights } : {}),
    prompt: result.prompt,
    seed: result.seed,
    multimask: result.multimask,
    refine: result.refine,
    n_images: result.images,
    n_instances: instances.length,
    n: overall.n,
    dice_mean: overall.dice_mean,
    dice_median: overall.dice_median,
    iou_mean: overall.iou_mean,
    iou_median: overall.iou_median,
    skipped: result.skipped,
    ap: overall.ap,
    ...(overall.clicks ? { clicks: overall.clicks } : {}),
    ...(result.prompt === 'point' ? { centroid_outside_mask: outside } : {}),
    per_dataset: perDataset,
    per_category: perCategory,
    seconds: result.seconds,
  };
}
