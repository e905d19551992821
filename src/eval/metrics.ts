// Per-instance overlap scores and their summaries (mean and median per group).

export interface Overlap {
  intersection: number;
  predArea: number;
  gtArea: number;
  /** 2|P ∩ G| / (|P| + |G|); 1 when both are empty. */
  dice: number;
  /** |P ∩ G| / |P ∪ G|; 1 when both are empty. */
  iou: number;
}

/** 2|P ∩ G| / (|P| + |G|) from the areas; 1 when both are empty. */
export function diceOfAreas(intersection: number, predArea: number, gtArea: number): number {
  return predArea + gtArea === 0 ? 1 : (2 * intersection) / (predArea + gtArea);
}

/** Dice and IoU of a predicted and a ground-truth mask (row-major, non-zero = object, same size). */
export function maskOverlap(pred: ArrayLike<number>, gt: ArrayLike<number>): Overlap {
  if (pred.length !== gt.length) throw new Error(`overlap: prediction has ${pred.length} pixels, ground truth ${gt.length}`);
  let intersection = 0;
  let predArea = 0;
  let gtArea = 0;
  for (let i = 0; i < gt.length; i++) {
    const p = pred[i] ? 1 : 0;
    const g = gt[i] ? 1 : 0;
    predArea += p;
    gtArea += g;
    intersection += p & g;
  }
  const union = predArea + gtArea - intersection;
  return {
    intersection,
    predArea,
    gtArea,
    dice: diceOfAreas(intersection, predArea, gtArea),
    iou: union === 0 ? 1 : intersection / union,
  };
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Median as numpy computes it: the middle value, or the mean of the two middle values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface OverlapStats {
  n: number;
  dice_mean: number;
  dice_median: number;
  iou_mean: number;
  iou_median: number;
}

/** Mean and median Dice and IoU of a set of instances. */
export function overlapStats(items: readonly { dice: number; iou: number }[]): OverlapStats {
  const dice = items.map((i) => i.dice);
  const iou = items.map((i) => i.iou);
  return { n: items.length, dice_mean: mean(dice), dice_median: median(dice), iou_mean: mean(iou), iou_median: median(iou) };
}

/** Items grouped by a key, groups in key order (sorted), for stable tables. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
