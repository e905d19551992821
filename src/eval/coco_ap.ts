// COCO mask AP as pycocotools' COCOeval (iouType 'segm', useCats 1) computes it, for detections
// given per (image, category) with their mask IoUs to the ground truths:
// - IoU thresholds .50:.05:.95 and recall thresholds 0:.01:1 built as numpy.linspace builds them
//   (i · step + start, the last one exactly the stop), so comparisons at the boundaries agree;
// - per image and category: detections sorted by score (stable), the first maxDets (100) kept;
//   ground truths that are crowd or outside the area range are "ignored" and sorted last; each
//   detection in score order takes the unmatched ground truth of highest IoU ≥ the threshold
//   (a crowd one may take several; a non-ignored match is preferred to an ignored one); detections
//   matched to an ignored ground truth, or unmatched and outside the area range, are ignored;
// - per category and area range: all detections sorted by score (stable), cumulative TP/FP,
//   precision made monotone from the right, sampled at the 101 recall thresholds (first index
//   with recall ≥ r, 0 past the last); a category without non-ignored ground truths is left out;
// - AP is the mean of those precisions over thresholds and categories; AP50/AP75 at one threshold;
//   APs/APm/APl over the area ranges [0, 32²], [32², 96²], [96², 1e5²]; AR100 the mean final recall.
// Areas are the annotation `area` for ground truths and the mask area for detections, as in
// COCOeval. Results that COCOeval reports as −1 (nothing to measure) are null here.
import type { ApImageInput } from './types.js';

function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

export const IOU_THRESHOLDS: readonly number[] = linspace(0.5, 0.95, 10);
export const RECALL_THRESHOLDS: readonly number[] = linspace(0, 1, 101);
export const MAX_DETECTIONS = 100;
export const AREA_RANGES = {
  all: [0, 1e5 ** 2],
  small: [0, 32 ** 2],
  medium: [32 ** 2, 96 ** 2],
  large: [96 ** 2, 1e5 ** 2],
} as const satisfies Record<string, readonly [number, number]>;
export type AreaRange = keyof typeof AREA_RANGES;
const AREA_NAMES = Object.keys(AREA_RANGES) as AreaRange[];
/** np.spacing(1): the precision denominator's guard. */
const EPS = 2.220446049250313e-16;

export interface ApSummary {
  AP: number | null;
  AP50: number | null;
  AP75: number | null;
  APs: number | null;
  APm: number | null;
  APl: number | null;
  AR100: number | null;
}

interface ImageEval {
  dtScores: number[];
  /** [threshold][detection] */
  dtMatched: boolean[][];
  dtIgnored: boolean[][];
  gtIgnored: boolean[];
}

/** Indices of `values` sorted by `key` ascending, stable (numpy's kind='mergesort'). */
function stableOrder<T>(values: readonly T[], key: (v: T) => number): number[] {
  return values.map((_, i) => i).sort((a, b) => key(values[a]) - key(values[b]) || a - b);
}

function evaluateImage(input: ApImageInput, [lo, hi]: readonly [number, number], maxDet: number): ImageEval | undefined {
  const { gts, dts, ious } = input;
  if (gts.length === 0 && dts.length === 0) return undefined;
  const outside = (area: number) => area < lo || area > hi;
  const gtIgnoreRaw = gts.map((g) => g.iscrowd || outside(g.area));
  const gtOrder = stableOrder(gtIgnoreRaw, (ig) => (ig ? 1 : 0));
  const dtOrder = stableOrder(dts, (d) => -d.score).slice(0, maxDet);
  const gtIgnored = gtOrder.map((g) => gtIgnoreRaw[g]);
  const crowd = gtOrder.map((g) => gts[g].iscrowd);
  const T = IOU_THRESHOLDS.length;
  const dtMatched = Array.from({ length: T }, () => new Array<boolean>(dtOrder.length).fill(false));
  const dtIgnored = Array.from({ length: T }, () => new Array<boolean>(dtOrder.length).fill(false));
  for (let t = 0; t < T; t++) {
    const gtTaken = new Array<boolean>(gtOrder.length).fill(false);
    dtOrder.forEach((d, di) => {
      let best = Math.min(IOU_THRESHOLDS[t], 1 - 1e-10);
      let m = -1;
      for (let gi = 0; gi < gtOrder.length; gi++) {
        if (gtTaken[gi] && !crowd[gi]) continue;
        if (m > -1 && !gtIgnored[m] && gtIgnored[gi]) break;
        const iou = ious[d][gtOrder[gi]];
        if (iou < best) continue;
        best = iou;
        m = gi;
      }
      if (m === -1) return;
      dtIgnored[t][di] = gtIgnored[m];
      dtMatched[t][di] = true;
      gtTaken[m] = true;
    });
    dtOrder.forEach((d, di) => {
      if (!dtMatched[t][di] && outside(dts[d].area)) dtIgnored[t][di] = true;
    });
  }
  return { dtScores: dtOrder.map((d) => dts[d].score), dtMatched, dtIgnored, gtIgnored };
}

/** Precision at the recall thresholds and the final recall at IoU threshold index t (npig > 0 ground truths). */
function precisionCurve(evals: ImageEval[], t: number, order: number[], npig: number): { q: number[]; recall: number } {
  const matched = evals.flatMap((e) => e.dtMatched[t]);
  const ignored = evals.flatMap((e) => e.dtIgnored[t]);
  const rc: number[] = [];
  const pr: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const i of order) {
    if (ignored[i]) {
      // An ignored detection repeats the previous cumulative values (it is neither TP nor FP).
    } else if (matched[i]) tp++;
    else fp++;
    rc.push(tp / npig);
    pr.push(tp / (fp + tp + EPS));
  }
  const nd = rc.length;
  for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
  const q = new Array<number>(RECALL_THRESHOLDS.length).fill(0);
  let i = 0;
  for (let r = 0; r < RECALL_THRESHOLDS.length; r++) {
    while (i < nd && rc[i] < RECALL_THRESHOLDS[r]) i++;
    if (i >= nd) break;
    q[r] = pr[i];
  }
  return { q, recall: nd ? rc[nd - 1] : 0 };
}

interface CategoryCurves {
  /** [threshold] → precision at the recall thresholds */
  precision: number[][];
  recall: number[];
}

function accumulate(inputs: readonly ApImageInput[], range: readonly [number, number]): Map<number, CategoryCurves> {
  const byCategory = new Map<number, ApImageInput[]>();
  for (const input of inputs) {
    const list = byCategory.get(input.categoryId);
    if (list) list.push(input);
    else byCategory.set(input.categoryId, [input]);
  }
  const out = new Map<number, CategoryCurves>();
  for (const [categoryId, list] of [...byCategory].sort(([a], [b]) => a - b)) {
    const evals = list.map((input) => evaluateImage(input, range, MAX_DETECTIONS)).filter((e): e is ImageEval => !!e);
    if (evals.length === 0) continue;
    const npig = evals.reduce((n, e) => n + e.gtIgnored.filter((ig) => !ig).length, 0);
    if (npig === 0) continue;
    const scores = evals.flatMap((e) => e.dtScores);
    const order = stableOrder(scores, (s) => -s);
    const curves = IOU_THRESHOLDS.map((_, t) => precisionCurve(evals, t, order, npig));
    out.set(categoryId, { precision: curves.map((c) => c.q), recall: curves.map((c) => c.recall) });
  }
  return out;
}

function meanOrNull(values: number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

function apOf(curves: Map<number, CategoryCurves>, threshold?: number): number | null {
  const values: number[] = [];
  for (const c of curves.values()) {
    c.precision.forEach((q, t) => {
      if (threshold === undefined || t === threshold) values.push(...q);
    });
  }
  return meanOrNull(values);
}

/** Mask AP (and AR100) over the given (image, category) inputs, averaged over their categories. */
export function cocoMaskAp(inputs: readonly ApImageInput[]): ApSummary {
  const byArea = new Map(AREA_NAMES.map((a) => [a, accumulate(inputs, AREA_RANGES[a])]));
  const all = byArea.get('all')!;
  const t50 = IOU_THRESHOLDS.indexOf(0.5);
  const t75 = IOU_THRESHOLDS.findIndex((t) => Math.abs(t - 0.75) < 1e-12);
  return {
    AP: apOf(all),
    AP50: apOf(all, t50),
    AP75: apOf(all, t75),
    APs: apOf(byArea.get('small')!),
    APm: apOf(byArea.get('medium')!),
    APl: apOf(byArea.get('large')!),
    AR100: meanOrNull([...all.values()].flatMap((c) => c.recall)),
  };
}

/** AP of each category on its own (mmdet's classwise table: area 'all', maxDets 100). */
export function cocoMaskApPerCategory(inputs: readonly ApImageInput[]): Map<number, number | null> {
  const all = accumulate(inputs, AREA_RANGES.all);
  const ids = [...new Set(inputs.map((i) => i.categoryId))].sort((a, b) => a - b);
  return new Map(ids.map((id) => [id, all.has(id) ? apOf(new Map([[id, all.get(id)!]])) : null]));
}

/**
 * Mask IoU matrix [detection][ground truth] as pycocotools' maskUtils.iou: intersection over union,
 * or over the detection's area for a crowd ground truth; 0 when the denominator is 0.
 */
export function maskIouMatrix(dts: readonly Uint8Array[], gts: readonly Uint8Array[], crowd: readonly boolean[]): number[][] {
  if (crowd.length !== gts.length) throw new Error(`maskIouMatrix: ${gts.length} ground truths but ${crowd.length} crowd flags`);
  const areas = (masks: readonly Uint8Array[]) => masks.map((m) => m.reduce((s, v) => s + (v ? 1 : 0), 0));
  const dtArea = areas(dts);
  const gtArea = areas(gts);
  return dts.map((d, di) =>
    gts.map((g, gi) => {
      if (d.length !== g.length) throw new Error(`maskIouMatrix: detection ${di} has ${d.length} pixels, ground truth ${gi} ${g.length}`);
      let inter = 0;
      for (let i = 0; i < d.length; i++) if (d[i] && g[i]) inter++;
      const denominator = crowd[gi] ? dtArea[di] : dtArea[di] + gtArea[gi] - inter;
      return denominator > 0 ? inter / denominator : 0;
    }),
  );
}
