// Overlay PNGs of the best and worst instances by Dice: the image with the ground truth (green) and
// the prediction (red) drawn over it, each filled lightly with an opaque contour, and the prompt on
// top (yellow: box or positive clicks, cyan: negative clicks).
import { join } from 'node:path';
import { decodeRle } from '../data/rle.js';
import { renderOverlay, type Rgb } from '../image/overlay.js';
import { readImage } from '../image/read.js';
import { writeOverlayPng } from '../image/write.js';
import type { EvalResult } from './evaluate.js';
import type { InstanceResult } from './types.js';

export const GT_COLOUR: Rgb = [80, 230, 80];
export const PRED_COLOUR: Rgb = [255, 64, 64];
const PROMPT_COLOUR: Rgb = [255, 230, 0];
const NEGATIVE_COLOUR: Rgb = [0, 230, 255];

export interface OverlayCase {
  rank: number;
  annotation_id: number;
  image: string;
  dataset: string;
  category: string;
  dice: number;
  iou: number;
  score: number;
  /** Relative to the report folder. */
  overlay: string;
}

/** The `count` best and worst instances by Dice (ties: lower annotation id first). */
export function rankCases(instances: readonly InstanceResult[], count: number): { best: InstanceResult[]; worst: InstanceResult[] } {
  const byDice = [...instances].sort((a, b) => b.dice - a.dice || a.annotationId - b.annotationId);
  const worst = [...instances].sort((a, b) => a.dice - b.dice || a.annotationId - b.annotationId);
  return { best: byDice.slice(0, count), worst: worst.slice(0, count) };
}

/** Masks of the prompt drawn as marks: crosses for points, the outline for a box. */
function promptMarks(instance: InstanceResult, width: number, height: number): { mask: Uint8Array; color: Rgb }[] {
  const set = (mask: Uint8Array, x: number, y: number) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi >= 0 && yi >= 0 && xi < width && yi < height) mask[yi * width + xi] = 1;
  };
  const marks: { mask: Uint8Array; color: Rgb }[] = [];
  const arm = Math.max(3, Math.round(Math.min(width, height) / 60));
  const points = instance.clicks ?? (instance.prompt.points ?? []).map(([x, y], i) => [x, y, instance.prompt.labels?.[i] ?? 1]);
  for (const positive of [1, 0]) {
    const mask = new Uint8Array(width * height);
    points.forEach(([x, y, label]) => {
      if (label !== positive) return;
      for (let d = -arm; d <= arm; d++) {
        set(mask, x + d, y);
        set(mask, x, y + d);
      }
    });
    marks.push({ mask, color: positive ? PROMPT_COLOUR : NEGATIVE_COLOUR });
  }
  if (instance.prompt.box) {
    const [x0, y0, x1, y1] = instance.prompt.box;
    const mask = new Uint8Array(width * height);
    for (let x = Math.round(x0); x <= Math.round(x1); x++) {
      set(mask, x, y0);
      set(mask, x, y1);
    }
    for (let y = Math.round(y0); y <= Math.round(y1); y++) {
      set(mask, x0, y);
      set(mask, x1, y);
    }
    marks.push({ mask, color: PROMPT_COLOUR });
  }
  return marks;
}

/** Writes overlays/<kind>-<rank>-ann<id>.png for the best and worst cases; returns their table rows. */
export async function writeCaseOverlays(result: EvalResult, outDir: string, count: number): Promise<{ best: OverlayCase[]; worst: OverlayCase[] }> {
  const { best, worst } = rankCases(result.instances, count);
  const write = async (kind: string, list: InstanceResult[]) => {
    const rows: OverlayCase[] = [];
    for (const [i, instance] of list.entries()) {
      const file = `overlays/${kind}-${String(i + 1).padStart(2, '0')}-ann${instance.annotationId}.png`;
      const image = await readImage(instance.imagePath);
      const gt = decodeRle(result.groundTruths.get(instance.annotationId)!);
      const pred = decodeRle(result.predictions.get(instance.annotationId)!);
      const shaded = renderOverlay(
        image,
        [
          { mask: gt, color: GT_COLOUR },
          { mask: pred, color: PRED_COLOUR },
        ],
        { alpha: 0.3 },
      );
      await writeOverlayPng(join(outDir, file), shaded, promptMarks(instance, image.width, image.height), { alpha: 1 });
      rows.push({
        rank: i + 1,
        annotation_id: instance.annotationId,
        image: instance.fileName,
        dataset: instance.dataset,
        category: instance.category,
        dice: instance.dice,
        iou: instance.iou,
        score: instance.score,
        overlay: file,
      });
    }
    return rows;
  };
  return { best: await write('best', best), worst: await write('worst', worst) };
}
