// The building blocks of SAM's automatic mask generator (segment_anything/utils/amg.py), as plain
// array code with the reference's exact conventions: point grids, crop boxes, the stability score,
// mask boxes, box NMS (torchvision's), crop-edge filtering, and removal of small holes and islands.
// No runtime or Node imports: the browser worker runs the same generator (see everything.ts).
import { connectedComponents } from '../data/components.js';

/** [x0, y0, x1, y1]: a box in pixels. Mask boxes use inclusive right/bottom pixel indices, as SAM's. */
export type BoxXyxy = [number, number, number, number];

/** n × n points evenly spaced in [0, 1]², row by row (x fastest), cell centres: (i + 0.5) / n. */
export function buildPointGrid(nPerSide: number): [number, number][] {
  if (!Number.isInteger(nPerSide) || nPerSide < 1) throw new Error(`points per side must be a positive integer, got ${nPerSide}`);
  // np.linspace(offset, 1 − offset, n): start + i·step, with the last value exactly the stop.
  const offset = 1 / (2 * nPerSide);
  const step = nPerSide > 1 ? (1 - 2 * offset) / (nPerSide - 1) : 0;
  const side = Array.from({ length: nPerSide }, (_, i) => (i === nPerSide - 1 && nPerSide > 1 ? 1 - offset : offset + i * step));
  const points: [number, number][] = [];
  for (const y of side) for (const x of side) points.push([x, y]);
  return points;
}

/** One grid per crop layer: layer i has ⌊n / scale^i⌋ points per side. */
export function buildAllLayerPointGrids(nPerSide: number, layers: number, scalePerLayer: number): [number, number][][] {
  return Array.from({ length: layers + 1 }, (_, i) => buildPointGrid(Math.floor(nPerSide / scalePerLayer ** i)));
}

export interface CropBox {
  box: BoxXyxy;
  layer: number;
}

/**
 * The whole image, then for each layer i ≥ 1 a (2^i)² grid of overlapping crops (XYXY, exclusive
 * right/bottom), as generate_crop_boxes: crops overlap by `overlapRatio` of the short side at
 * layer 1, scaled down at later layers; x-major order.
 */
export function generateCropBoxes([height, width]: readonly [number, number], layers: number, overlapRatio: number): CropBox[] {
  const crops: CropBox[] = [{ box: [0, 0, width, height], layer: 0 }];
  const shortSide = Math.min(height, width);
  const cropLength = (length: number, n: number, overlap: number) => Math.ceil((overlap * (n - 1) + length) / n);
  for (let layer = 0; layer < layers; layer++) {
    const perSide = 2 ** (layer + 1);
    const overlap = Math.trunc(overlapRatio * shortSide * (2 / perSide));
    const cropW = cropLength(width, perSide, overlap);
    const cropH = cropLength(height, perSide, overlap);
    const x0s = Array.from({ length: perSide }, (_, i) => Math.trunc((cropW - overlap) * i));
    const y0s = Array.from({ length: perSide }, (_, i) => Math.trunc((cropH - overlap) * i));
    for (const x0 of x0s) {
      for (const y0 of y0s) crops.push({ box: [x0, y0, Math.min(x0 + cropW, width), Math.min(y0 + cropH, height)], layer: layer + 1 });
    }
  }
  return crops;
}

/**
 * IoU of the masks thresholded at threshold + offset and threshold − offset (the first lies inside
 * the second). An all-background mask gives 0/0 = NaN, as the reference.
 */
export function stabilityScore(logits: Float32Array, start: number, length: number, threshold: number, offset: number): number {
  let intersection = 0;
  let union = 0;
  const high = threshold + offset;
  const low = threshold - offset;
  for (let i = start; i < start + length; i++) {
    const v = logits[i];
    if (v > high) intersection++;
    if (v > low) union++;
  }
  return intersection / union;
}

/** The tight box of a row-major mask, inclusive indices; [0, 0, 0, 0] when empty (batched_mask_to_box). */
export function maskBox(mask: ArrayLike<number>, width: number, height: number): BoxXyxy {
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
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1, y1];
}

/** torchvision's box IoU: areas (x1 − x0)·(y1 − y0); 0/0 (two empty boxes) is NaN, which never suppresses. */
function boxIou(a: BoxXyxy, b: BoxXyxy): number {
  const areaA = (a[2] - a[0]) * (a[3] - a[1]);
  const areaB = (b[2] - b[0]) * (b[3] - b[1]);
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  return inter / (areaA + areaB - inter);
}

/**
 * Greedy non-maximum suppression (torchvision.ops.nms): boxes in order of decreasing score (a
 * stable sort, so ties keep their input order) suppress later boxes whose IoU exceeds `threshold`.
 * Returns the kept indices, highest score first.
 */
export function nonMaxSuppression(boxes: readonly BoxXyxy[], scores: ArrayLike<number>, threshold: number): number[] {
  if (boxes.length !== scores.length) throw new Error(`NMS: ${boxes.length} boxes but ${scores.length} scores`);
  const order = boxes.map((_, i) => i).sort((i, j) => scores[j] - scores[i] || i - j);
  const suppressed = new Uint8Array(boxes.length);
  const keep: number[] = [];
  for (let a = 0; a < order.length; a++) {
    const i = order[a];
    if (suppressed[i]) continue;
    keep.push(i);
    for (let b = a + 1; b < order.length; b++) {
      const j = order[b];
      if (!suppressed[j] && boxIou(boxes[i], boxes[j]) > threshold) suppressed[j] = 1;
    }
  }
  return keep;
}

/**
 * is_box_near_crop_edge: a box (crop coordinates) within `tolerance` pixels of an edge of its crop
 * that is not also an edge of the image — the mask is probably cut off by the crop.
 */
export function isBoxNearCropEdge(box: BoxXyxy, crop: BoxXyxy, image: BoxXyxy, tolerance = 20): boolean {
  const uncropped = uncropBox(box, crop);
  for (let k = 0; k < 4; k++) {
    const nearCrop = Math.abs(uncropped[k] - crop[k]) <= tolerance;
    const nearImage = Math.abs(uncropped[k] - image[k]) <= tolerance;
    if (nearCrop && !nearImage) return true;
  }
  return false;
}

/** A box from crop to image coordinates. */
export function uncropBox(box: BoxXyxy, crop: BoxXyxy): BoxXyxy {
  return [box[0] + crop[0], box[1] + crop[1], box[2] + crop[0], box[3] + crop[1]];
}

/** A crop's mask placed into an image-sized mask (zeros outside the crop). */
export function uncropMask(mask: Uint8Array, crop: BoxXyxy, width: number, height: number): Uint8Array {
  const [x0, y0, x1, y1] = crop;
  if (x0 === 0 && y0 === 0 && x1 === width && y1 === height) return mask;
  const cropW = x1 - x0;
  const out = new Uint8Array(width * height);
  for (let y = y0; y < y1; y++) out.set(mask.subarray((y - y0) * cropW, (y - y0 + 1) * cropW), y * width + x0);
  return out;
}

/**
 * remove_small_regions: 'holes' fills background regions (8-connected) smaller than `areaThreshold`;
 * 'islands' drops object regions smaller than it, keeping the largest when all are smaller.
 * Returns the mask and whether it changed.
 */
export function removeSmallRegions(mask: Uint8Array, width: number, height: number, areaThreshold: number, mode: 'holes' | 'islands'): { mask: Uint8Array; changed: boolean } {
  const holes = mode === 'holes';
  const working = holes ? mask.map((v) => (v ? 0 : 1)) : mask;
  const { labels, count, areas } = connectedComponents(working, width, height, 8);
  const small = new Set<number>();
  for (let k = 0; k < count; k++) if (areas[k] < areaThreshold) small.add(k + 1);
  if (small.size === 0) return { mask, changed: false };
  const fill = new Uint8Array(count + 1);
  if (holes) {
    // Label 0 of the working mask is the object itself; the small background regions join it.
    fill[0] = 1;
    for (const k of small) fill[k] = 1;
  } else {
    let any = false;
    for (let k = 1; k <= count; k++) {
      if (!small.has(k)) {
        fill[k] = 1;
        any = true;
      }
    }
    if (!any) {
      let largest = 0;
      for (let k = 1; k < count; k++) if (areas[k] > areas[largest]) largest = k;
      fill[largest + 1] = 1;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = fill[labels[i]];
  return { mask: out, changed: true };
}
