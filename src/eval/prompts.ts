// The evaluation prompts of UltraSam's test pipeline (CAMMA-public/UltraSam,
// endosam/datasets/transforms/custom_pipeline.py, GetPointFromMask / GetPointBox with test=True),
// in original-image pixels. The reference then maps a coordinate c to c · scale + 0.5 in the resized
// input frame; our encodePrompt (src/model/prompts.ts) applies that same scale and +0.5 pixel-centre
// shift, so the values here are the reference's before scaling:
// - point: the centroid of the mask, the mean (x, y) of its pixel indices, used as is even when it
//   falls outside a non-convex mask (the reference takes `np.argwhere(mask).mean(0)` and does not
//   check it; we record whether it is inside so that a report can say how often it is not);
// - box: the tight box [x, y, x + w, y + h] of the mask: the COCO bbox corners as mmdet loads them,
//   so x1, y1 are one past the last object pixel;
// - box-jitter: that box with each corner moved by a uniform ±5 % of the box width (x) and height
//   (y), as the training prompt. Note: the reference's GetPointBox applies this jitter at test time
//   as well (unseeded), so its "box" numbers are jittered-box numbers; ours are seeded and clamped
//   to the image (our predictor rejects boxes outside it).
import { hashString, seededRandom } from '../data/random.js';
import type { PromptSpec, UsedPrompt } from './types.js';

/** The default corner jitter of `box-jitter`, a fraction of the box size. */
export const BOX_JITTER_FRACTION = 0.05;

/** Parses `point`, `box`, `box-jitter` or `clicks:K` (K ≥ 1). */
export function parsePromptSpec(text: string): PromptSpec {
  const value = text.trim();
  if (value === 'point') return { kind: 'point' };
  if (value === 'box') return { kind: 'box' };
  if (value === 'box-jitter') return { kind: 'box-jitter', fraction: BOX_JITTER_FRACTION };
  const match = /^clicks:(\d+)$/.exec(value);
  if (match) {
    const clicks = Number(match[1]);
    if (clicks >= 1 && clicks <= 100) return { kind: 'clicks', clicks };
    throw new Error(`prompt '${text}': the number of clicks must be 1 to 100`);
  }
  throw new Error(`unknown prompt '${text}': use point, box, box-jitter or clicks:K (e.g. clicks:5)`);
}

/** The spec written back as text (the inverse of parsePromptSpec). */
export function promptSpecName(spec: PromptSpec): string {
  return spec.kind === 'clicks' ? `clicks:${spec.clicks}` : spec.kind;
}

function checkMask(mask: ArrayLike<number>, width: number, height: number, what: string): void {
  if (mask.length !== width * height) throw new Error(`${what}: mask has ${mask.length} pixels, expected ${width}×${height} = ${width * height}`);
}

/** Mean (x, y) of the mask's pixel indices; throws for an empty mask. */
export function maskCentroid(mask: ArrayLike<number>, width: number, height: number): { x: number; y: number; inside: boolean } {
  checkMask(mask, width, height, 'centroid');
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]) {
        sx += x;
        sy += y;
        n++;
      }
    }
  }
  if (n === 0) throw new Error('centroid of an empty mask');
  const cx = sx / n;
  const cy = sy / n;
  // "Inside" means the pixel that contains the point once shifted to pixel centres (+0.5) is object.
  const inside = !!mask[Math.min(height - 1, Math.floor(cy + 0.5)) * width + Math.min(width - 1, Math.floor(cx + 0.5))];
  return { x: cx, y: cy, inside };
}

/** Tight box [x0, y0, x1, y1] of the mask with x1, y1 one past the last object pixel; throws when empty. */
export function maskBox(mask: ArrayLike<number>, width: number, height: number): [number, number, number, number] {
  checkMask(mask, width, height, 'box');
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  if (!Number.isFinite(x0)) throw new Error('box of an empty mask');
  return [x0, y0, x1 + 1, y1 + 1];
}

/**
 * Each corner moved by u · fraction · (box width or height), u uniform in [−1, 1), drawn in the order
 * x0, x1, y0, y1 (the reference draws the two x jitters, then the two y jitters), then clamped to the
 * image [0, width] × [0, height].
 */
export function jitterBox(box: readonly [number, number, number, number], fraction: number, random: () => number, width: number, height: number): [number, number, number, number] {
  const [x0, y0, x1, y1] = box;
  const bw = x1 - x0;
  const bh = y1 - y0;
  const u = () => random() * 2 - 1;
  const jx0 = u() * fraction * bw;
  const jx1 = u() * fraction * bw;
  const jy0 = u() * fraction * bh;
  const jy1 = u() * fraction * bh;
  const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  return [clamp(x0 + jx0, width), clamp(y0 + jy0, height), clamp(x1 + jx1, width), clamp(y1 + jy1, height)];
}

/** The generator of an instance's random draws: a function of the seed and the annotation id only. */
export function instanceRandom(seed: number, annotationId: number): () => number {
  return seededRandom(hashString(`ultrasam-eval/${seed}/${annotationId}`));
}

/** The single-shot prompt (point, box or box-jitter) of one ground-truth mask. */
export function singleShotPrompt(spec: PromptSpec, mask: ArrayLike<number>, width: number, height: number, random: () => number): { prompt: UsedPrompt; centroidInside?: boolean } {
  switch (spec.kind) {
    case 'point': {
      const c = maskCentroid(mask, width, height);
      return { prompt: { points: [[c.x, c.y]], labels: [1] }, centroidInside: c.inside };
    }
    case 'box':
      return { prompt: { box: maskBox(mask, width, height) } };
    case 'box-jitter':
      return { prompt: { box: jitterBox(maskBox(mask, width, height), spec.fraction, random, width, height) } };
    case 'clicks':
      throw new Error('singleShotPrompt: clicks are simulated round by round (see clicks.ts)');
  }
}
