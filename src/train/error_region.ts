// Multi-click simulation for training (beyond the reference, in the spirit of SAM's interactive
// training and RITM). Training and evaluation place clicks by the same rule — the interior of the
// largest error region, positive where the prediction misses the object, negative where it spills
// over — so the rule lives in one place, src/eval/clicks.ts; this adapts it to the training grid.
import { nextClick as correctiveClick } from '../eval/clicks.js';

export interface Click {
  /** Cell coordinates of the click on the mask grid (column, row). */
  x: number;
  y: number;
  positive: boolean;
  /** Pixels of the error region the click was placed in. */
  regionSize: number;
}

/** The next click for a prediction against its target (both 0/1 on the same grid), or null when they agree. */
export function nextClick(predicted: Uint8Array, target: Uint8Array, width: number, height: number): Click | null {
  if (predicted.length !== width * height || target.length !== width * height) {
    throw new Error(`next click: masks of ${predicted.length} and ${target.length} cells for a ${width}×${height} grid`);
  }
  const click = correctiveClick(target, predicted, width, height);
  return click ? { x: click.x, y: click.y, positive: click.label === 1, regionSize: click.regionSize ?? 0 } : null;
}
