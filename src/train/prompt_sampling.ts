// Prompt simulation for training, on a mask in the model's input frame (row-major, 0/1), as the
// reference's GetPointFromMask / GetPointBox do after resizing:
// - a point drawn uniformly among the mask's pixels, plus a uniform sub-pixel offset in [0, 1):
//   a uniform position inside the chosen pixel (continuous coordinates, pixel i spans [i, i+1));
// - the tight box [x0, y0, x1 + 1, y1 + 1] (pixel corners, as COCO's bbox) with each corner moved by
//   up to ±jitter × the box's width (x) or height (y), independently.
// The predictor shifts user coordinates by +0.5 (pixel centres); these continuous coordinates
// need the same +0.5 only for box corners, which are given as pixel edges (see sample.ts).
import type { Rng } from '../graph/random.js';

export type Box = [x0: number, y0: number, x1: number, y1: number];

/** [x0, y0, x1, y1] with x1, y1 one past the last object pixel; null for an empty mask. */
export function tightBox(mask: Uint8Array, width: number, height: number): Box | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (!mask[row + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? null : [x0, y0, x1 + 1, y1 + 1];
}

/** A uniformly random position inside the mask; throws for an empty mask. */
export function randomPointInMask(mask: Uint8Array, width: number, height: number, rng: Rng): [number, number] {
  let count = 0;
  for (let i = 0; i < mask.length; i++) count += mask[i] ? 1 : 0;
  if (count === 0 || mask.length !== width * height) throw new Error(`point sampling: the ${width}×${height} mask is empty or of the wrong size`);
  let k = rng.int(count);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] && k-- === 0) return [(i % width) + rng.next(), Math.floor(i / width) + rng.next()];
  }
  throw new Error('point sampling: unreachable');
}

/** The box with each corner coordinate moved by U(−jitter, jitter) × the box's size on that axis. */
export function jitterBox(box: Box, jitter: number, rng: Rng): Box {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const move = (v: number, size: number) => v + (2 * rng.next() - 1) * jitter * size;
  return [move(box[0], w), move(box[1], h), move(box[2], w), move(box[3], h)];
}
