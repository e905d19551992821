// Interactive-segmentation summaries of IoU-per-click curves, as the literature reports them (RITM's
// compute_noc_metric, followed by SAM, SimpleClick and FocSAM):
// - NoC@τ: the number of clicks until the IoU first reaches τ (IoU ≥ τ); an instance that never
//   reaches it within the K clicks counts as K (not K + 1), so NoC is bounded by K;
// - NoF@τ: instances that never reach τ within K clicks (RITM counts NoC == K, which also counts an
//   instance that reaches τ exactly at click K; we count only true failures);
// - mean IoU and mean Dice after each click.
import { mean } from './metrics.js';

export interface ClickSummary {
  clicks: number;
  /** Mean IoU after click 1..K. */
  mean_iou_per_click: number[];
  /** Mean Dice after click 1..K (each instance's Dice = 2·IoU / (1 + IoU)). */
  mean_dice_per_click: number[];
  noc85: number;
  noc90: number;
  nof85: number;
  nof90: number;
}

/** Clicks needed to reach `threshold` (1-based), or `maxClicks` when it is never reached. */
export function clicksToReach(ious: readonly number[], threshold: number, maxClicks: number): number {
  const k = ious.findIndex((iou) => iou >= threshold);
  return k < 0 ? maxClicks : k + 1;
}

/** NoC/NoF at 85 % and 90 % and the mean IoU curve of per-instance curves of K values each. */
export function summarizeClicks(curves: readonly (readonly number[])[], maxClicks: number): ClickSummary {
  curves.forEach((c, i) => {
    if (c.length !== maxClicks) throw new Error(`click curve ${i} has ${c.length} values, expected ${maxClicks}`);
  });
  const noc = (thr: number) => mean(curves.map((c) => clicksToReach(c, thr, maxClicks)));
  const nof = (thr: number) => curves.filter((c) => !c.some((iou) => iou >= thr)).length;
  return {
    clicks: maxClicks,
    mean_iou_per_click: Array.from({ length: maxClicks }, (_, k) => mean(curves.map((c) => c[k]))),
    mean_dice_per_click: Array.from({ length: maxClicks }, (_, k) => mean(curves.map((c) => (2 * c[k]) / (1 + c[k])))),
    noc85: noc(0.85),
    noc90: noc(0.9),
    nof85: nof(0.85),
    nof90: nof(0.9),
  };
}
