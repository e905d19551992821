// Simulated clicks for interactive evaluation (the protocol of RITM / SAM's interactive benchmarks,
// with the error region chosen as this project's issue asks):
// - the first click is positive, at the interior of the object: the ground-truth pixel farthest from
//   the background (maximum of the Euclidean distance transform, image border counted as background);
// - each next click goes to the largest connected error region (8-connected; false negatives
//   ground truth ∖ prediction, false positives prediction ∖ ground truth; the larger pixel count wins,
//   false negatives on a tie), at that region's interior pixel; positive in a false negative region,
//   negative in a false positive one. No click is made when the prediction equals the ground truth.
// Coordinates are pixel indices; the predictor's +0.5 makes them pixel centres.
import { connectedComponents } from '../data/components.js';
import { interiorPixel } from './distance.js';

export interface Click {
  x: number;
  y: number;
  /** 1 positive (add the region), 0 negative (remove it). */
  label: 0 | 1;
  /** Pixels of the error region a corrective click was placed in. */
  regionSize?: number;
}

function checkSizes(gt: ArrayLike<number>, width: number, height: number, pred?: ArrayLike<number>): void {
  if (gt.length !== width * height) throw new Error(`click: ground truth has ${gt.length} pixels, expected ${width}×${height}`);
  if (pred && pred.length !== gt.length) throw new Error(`click: prediction has ${pred.length} pixels, ground truth ${gt.length}`);
}

/** The first click: positive, at the object's most interior pixel. Throws for an empty mask. */
export function firstClick(gt: ArrayLike<number>, width: number, height: number): Click {
  checkSizes(gt, width, height);
  const p = interiorPixel(gt, width, height);
  if (!p) throw new Error('first click: the ground-truth mask is empty');
  return { x: p.x, y: p.y, label: 1 };
}

/** The next corrective click, or undefined when the prediction is exactly the ground truth. */
export function nextClick(gt: ArrayLike<number>, pred: ArrayLike<number>, width: number, height: number): Click | undefined {
  checkSizes(gt, width, height, pred);
  const fn = new Uint8Array(gt.length);
  const fp = new Uint8Array(gt.length);
  let errors = 0;
  for (let i = 0; i < gt.length; i++) {
    const g = gt[i] ? 1 : 0;
    const p = pred[i] ? 1 : 0;
    fn[i] = g & (1 - p);
    fp[i] = p & (1 - g);
    errors += fn[i] | fp[i];
  }
  if (errors === 0) return undefined;
  const largest = (mask: Uint8Array) => {
    const c = connectedComponents(mask, width, height, 8);
    let label = 0;
    let area = 0;
    c.areas.forEach((a, k) => {
      if (a > area) {
        area = a;
        label = k + 1;
      }
    });
    return { labels: c.labels, label, area };
  };
  const neg = largest(fp);
  const pos = largest(fn);
  const chosen = pos.area >= neg.area ? { ...pos, click: 1 as const } : { ...neg, click: 0 as const };
  const region = new Uint8Array(gt.length);
  for (let i = 0; i < region.length; i++) if (chosen.labels[i] === chosen.label) region[i] = 1;
  const p = interiorPixel(region, width, height)!;
  return { x: p.x, y: p.y, label: chosen.click, regionSize: chosen.area };
}
