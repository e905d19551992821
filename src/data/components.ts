/**
 * Binary-mask helpers for the converters and the corpus writer: connected components, hole
 * filling, thresholds and label maps. Masks are row-major H×W Uint8Arrays, non-zero = object.
 */
import type { RawImage } from '../image/types.js';
import { labelRuns } from './column_runs.js';

export interface Components {
  /** Row-major label per pixel: 0 background, 1..count for the components, in raster order of first pixel. */
  labels: Int32Array;
  count: number;
  /** Pixel count of component k at index k - 1. */
  areas: number[];
}

/**
 * Connected components of the object pixels. 8-connectivity by default, as the reference
 * converters' `skimage.measure.label(mask, background=0)` (full connectivity in 2-D) splits them.
 */
export function connectedComponents(mask: ArrayLike<number>, width: number, height: number, connectivity: 4 | 8 = 8): Components {
  checkMaskSize(mask, width, height);
  const runs = labelRuns(mask, width, height, connectivity);
  const labels = new Int32Array(width * height);
  const areas = new Array<number>(runs.componentCount).fill(0);
  for (let r = 0; r < runs.runCount; r++) {
    const label = runs.component[r] + 1;
    const x = runs.x[r];
    for (let y = runs.y0[r]; y <= runs.y1[r]; y++) labels[y * width + x] = label;
    areas[label - 1] += runs.y1[r] - runs.y0[r] + 1;
  }
  const count = runs.componentCount;
  return { labels, count, areas };
}

/** The binary mask (0/1) of component `label` in a label array. */
export function componentMask(labels: Int32Array, label: number): Uint8Array {
  const mask = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) if (labels[i] === label) mask[i] = 1;
  return mask;
}

/**
 * Fills holes: background regions not 4-connected to the image border become object, as
 * `scipy.ndimage.binary_fill_holes` does (the reference fills HC18/CardiacUDC outlines this way).
 * A closed 1-pixel outline, even an 8-connected (diagonal) one, becomes a filled shape.
 */
export function fillHoles(mask: ArrayLike<number>, width: number, height: number): Uint8Array {
  checkMaskSize(mask, width, height);
  const filled = new Uint8Array(width * height).fill(1);
  const background = labelRuns(mask, width, height, 4, false);
  const outside = new Uint8Array(background.componentCount);
  for (let r = 0; r < background.runCount; r++) {
    const x = background.x[r];
    if (x === 0 || x === width - 1 || background.y0[r] === 0 || background.y1[r] === height - 1) outside[background.component[r]] = 1;
  }
  for (let r = 0; r < background.runCount; r++) {
    if (outside[background.component[r]] === 0) continue;
    const x = background.x[r];
    for (let y = background.y0[r]; y <= background.y1[r]; y++) filled[y * width + x] = 0;
  }
  return filled;
}

/** One grey value per pixel: the channel itself for grey images, ITU-R BT.601 luma for colour ones. */
export function toGray(image: RawImage): Uint8Array | Uint16Array {
  const { data, width, height, channels } = image;
  const pixels = width * height;
  if (data.length !== pixels * channels) {
    throw new Error(`image data has ${data.length} values, expected ${width}×${height}×${channels}`);
  }
  if (channels <= 2) {
    const gray = data instanceof Uint16Array ? new Uint16Array(pixels) : new Uint8Array(pixels);
    for (let i = 0; i < pixels; i++) gray[i] = data[i * channels];
    return gray;
  }
  const gray = data instanceof Uint16Array ? new Uint16Array(pixels) : new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    const o = i * channels;
    gray[i] = Math.round(0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2]);
  }
  return gray;
}

/** 1 where value > threshold (strictly), else 0: JPEG masks need `> 127`, not `=== 255`. */
export function threshold(values: ArrayLike<number>, above: number): Uint8Array {
  const mask = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) if (values[i] > above) mask[i] = 1;
  return mask;
}

/** 1 where the label map equals `label`. */
export function labelEquals(labelMap: ArrayLike<number>, label: number): Uint8Array {
  const mask = new Uint8Array(labelMap.length);
  for (let i = 0; i < labelMap.length; i++) if (labelMap[i] === label) mask[i] = 1;
  return mask;
}

/** Distinct values of a label map, ascending. */
export function distinctValues(labelMap: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < labelMap.length; i++) seen.add(labelMap[i]);
  return [...seen].sort((a, b) => a - b);
}

function checkMaskSize(mask: ArrayLike<number>, width: number, height: number): void {
  if (mask.length !== width * height) {
    throw new Error(`mask has ${mask.length} pixels, expected ${width}×${height} = ${width * height}`);
  }
}

/**
 * Drops 8-connected components smaller than `minArea` pixels: specks that JPEG re-encoding or a
 * resize left in a mask (TG3K's masks, for one, carry two tiny marks in the same corner of every file).
 */
export function removeSmallComponents(mask: ArrayLike<number>, width: number, height: number, minArea: number): Uint8Array {
  const { labels, areas } = connectedComponents(mask, width, height, 8);
  const kept = new Uint8Array(width * height);
  for (let i = 0; i < kept.length; i++) {
    const label = labels[i];
    if (label !== 0 && areas[label - 1] >= minArea) kept[i] = 1;
  }
  return kept;
}

/**
 * Fills a closed outline like fillHoles, and also one that the image edge cuts open (an HC18 head
 * running off the bottom of the image: the edge closes it, but fillHoles sees the inside as
 * reachable from the border). Then the background region holding the outline's centroid is filled,
 * provided it touches at most two image sides (the outside of an outline touches three or four).
 */
export function fillOutline(mask: ArrayLike<number>, width: number, height: number): Uint8Array {
  const filled = fillHoles(mask, width, height);
  let sumX = 0;
  let sumY = 0;
  let count = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    sumX += i % width;
    sumY += Math.floor(i / width);
    count++;
  }
  if (count === 0) return filled;
  const start = Math.round(sumY / count) * width + Math.round(sumX / count);
  if (filled[start] === 1) return filled;
  const background = labelRuns(filled, width, height, 4, false);
  const cx = start % width;
  const cy = (start - cx) / width;
  let target = -1;
  for (let r = 0; r < background.runCount && target < 0; r++) {
    if (background.x[r] === cx && background.y0[r] <= cy && cy <= background.y1[r]) target = background.component[r];
  }
  const sides = new Set<string>();
  for (let r = 0; r < background.runCount; r++) {
    if (background.component[r] !== target) continue;
    if (background.x[r] === 0) sides.add('left');
    if (background.x[r] === width - 1) sides.add('right');
    if (background.y0[r] === 0) sides.add('top');
    if (background.y1[r] === height - 1) sides.add('bottom');
  }
  if (sides.size > 2) return filled;
  for (let r = 0; r < background.runCount; r++) {
    if (background.component[r] !== target) continue;
    const x = background.x[r];
    for (let y = background.y0[r]; y <= background.y1[r]; y++) filled[y * width + x] = 1;
  }
  return filled;
}
