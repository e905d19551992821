/**
 * 2-D mask helpers for the image/polygon dataset converters: thresholds of grey or lossy JPEG
 * masks, label-value and colour-coded masks split into one binary mask per category, polygon
 * rasterisation, nearest-neighbour resize and a quarter-turn rotation. Masks are row-major H×W
 * Uint8Arrays holding 0 or 1.
 */
import type { RawImage } from '../image/types.js';
import { toGray } from './components.js';

/** A category and the binary mask of its pixels in one image. */
export interface CategoryMask {
  category: string;
  mask: Uint8Array;
}

/** Grey masks are saved 0/255; JPEG compression smears the edge values, so split at the middle. */
export const DEFAULT_MASK_THRESHOLD = 127;

function checkImageData(image: RawImage, what: string): void {
  const { data, width, height, channels } = image;
  if (data.length !== width * height * channels) {
    throw new Error(`${what} has ${data.length} values, expected ${width}×${height}×${channels}`);
  }
}

/**
 * 1 where the mask image's grey value (luma for colour images) is above `above`. Use it for
 * masks saved 0/255, PNG or JPEG: `> 127` keeps JPEG's ringing out, where `=== 255` would lose
 * the object's edge.
 */
export function thresholdMask(image: RawImage, above = DEFAULT_MASK_THRESHOLD): Uint8Array {
  checkImageData(image, 'mask image');
  const gray = toGray(image);
  const mask = new Uint8Array(gray.length);
  for (let i = 0; i < gray.length; i++) if (gray[i] > above) mask[i] = 1;
  return mask;
}

/**
 * 1 where any colour channel of the mask image is non-zero (alpha ignored). For masks stored
 * with small label values (0/1), palette PNGs (decoded to their palette colours) and any mask
 * whose foreground value is not known in advance.
 */
export function nonZeroMask(image: RawImage): Uint8Array {
  checkImageData(image, 'mask image');
  const { data, width, height, channels } = image;
  const colourChannels = channels === 2 || channels === 4 ? channels - 1 : channels;
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) {
    const o = i * channels;
    for (let c = 0; c < colourChannels; c++) {
      if (data[o + c] !== 0) {
        mask[i] = 1;
        break;
      }
    }
  }
  return mask;
}

/** A category stored as the grey values `min..max` (inclusive) of a label mask. */
export interface ValueRangeClass {
  category: string;
  min: number;
  max: number;
}

/**
 * One binary mask per category of a label mask whose categories are grey-value ranges (S1's
 * 127/255, LUSS_phantom's 1..5). Ranges, rather than exact values, keep a mask readable when a
 * tool has blurred its edges; ranges must not overlap.
 */
export function valueRangeMasks(image: RawImage, classes: ValueRangeClass[]): CategoryMask[] {
  checkImageData(image, 'mask image');
  for (let a = 0; a < classes.length; a++) {
    for (let b = a + 1; b < classes.length; b++) {
      if (classes[a].min <= classes[b].max && classes[b].min <= classes[a].max) {
        throw new Error(`value ranges of '${classes[a].category}' and '${classes[b].category}' overlap`);
      }
    }
  }
  const gray = toGray(image);
  return classes.map(({ category, min, max }) => {
    const mask = new Uint8Array(gray.length);
    for (let i = 0; i < gray.length; i++) if (gray[i] >= min && gray[i] <= max) mask[i] = 1;
    return { category, mask };
  });
}

/** A category drawn in one RGB colour in a colour-coded mask. */
export interface ColourClass {
  category: string;
  rgb: readonly [number, number, number];
}

/**
 * One binary mask per category of a colour-coded RGB(A) mask. Each pixel goes to the nearest
 * colour among the categories and black (background), and only when that colour lies within
 * `tolerance` (Euclidean distance in RGB): exact colours in PNG masks, near colours where a tool
 * anti-aliased or compressed the edges, nothing for stray colours far from every category.
 */
export function colourMasks(image: RawImage, classes: ColourClass[], tolerance = 30): CategoryMask[] {
  checkImageData(image, 'mask image');
  const { data, width, height, channels } = image;
  if (channels < 3) {
    throw new Error(`a colour-coded mask needs RGB pixels, this one has ${channels} channel(s)`);
  }
  if (data instanceof Uint16Array) throw new Error('a colour-coded mask must be 8-bit, this one is 16-bit');
  const masks = classes.map(({ category }) => ({ category, mask: new Uint8Array(width * height) }));
  const limit = tolerance * tolerance;
  for (let i = 0; i < width * height; i++) {
    const o = i * channels;
    const r = data[o];
    const g = data[o + 1];
    const b = data[o + 2];
    // Black is the background colour: a pixel nearer to it than to any category stays empty.
    let best = -1;
    let bestDistance = r * r + g * g + b * b;
    for (let k = 0; k < classes.length; k++) {
      const [cr, cg, cb] = classes[k].rgb;
      const distance = (r - cr) ** 2 + (g - cg) ** 2 + (b - cb) ** 2;
      if (distance < bestDistance) {
        best = k;
        bestDistance = distance;
      }
    }
    if (best >= 0 && bestDistance <= limit) masks[best].mask[i] = 1;
  }
  return masks;
}

/**
 * Where a polygon vertex (x, y) sits relative to the pixel grid:
 * - 'corner': pixel (i, j) covers [i, i+1) × [j, j+1), its centre at (i + 0.5, j + 0.5): the
 *   COCO convention, as pycocotools' `frPyObjects` rasterises COCO polygons;
 * - 'centre': pixel (i, j) is centred on (i, j): the convention of labelme and of drawing with
 *   PIL's `ImageDraw.polygon` or `cv2.fillPoly`, which the reference used for labelme and AUL.
 */
export type PixelGrid = 'corner' | 'centre';

export interface PolygonOptions {
  grid: PixelGrid;
  /**
   * Also set the pixels the polygon's edges pass through, as PIL's `polygon(..., outline=...)`
   * and `cv2.fillPoly` do; the pure centre test leaves out edge pixels whose centre is outside.
   */
  outline?: boolean;
}

/**
 * Rasterises one polygon (vertices [x, y], closed implicitly) into a width×height mask with the
 * even-odd rule, sampling each pixel at its centre: a pixel is set when its centre lies inside
 * (a self-intersecting polygon's doubly covered parts are holes). Vertices outside the image are
 * allowed; the mask is clipped. Chosen over the non-zero rule because annotation tools' polygons
 * are simple, where both rules agree, and even-odd is the scanline rule PIL uses.
 */
export function rasterisePolygon(points: ReadonlyArray<readonly [number, number]>, width: number, height: number, options: PolygonOptions): Uint8Array {
  const mask = new Uint8Array(width * height);
  addPolygon(mask, points, width, height, options);
  return mask;
}

/** Rasterises a polygon into an existing mask (union with what is there). */
export function addPolygon(mask: Uint8Array, points: ReadonlyArray<readonly [number, number]>, width: number, height: number, options: PolygonOptions): void {
  if (mask.length !== width * height) {
    throw new Error(`mask has ${mask.length} pixels, expected ${width}×${height}`);
  }
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`polygon vertex (${x}, ${y}) is not a finite number`);
  }
  if (points.length === 0) return;
  // Offset from a pixel's index to the coordinate of its centre.
  const centre = options.grid === 'corner' ? 0.5 : 0;
  if (points.length >= 3) {
    const crossings: number[] = [];
    for (let row = 0; row < height; row++) {
      const sampleY = row + centre;
      crossings.length = 0;
      for (let k = 0; k < points.length; k++) {
        const [x0, y0] = points[k];
        const [x1, y1] = points[(k + 1) % points.length];
        // Half-open in y, so a vertex on the scanline is counted once and horizontal edges never.
        if ((y0 <= sampleY && sampleY < y1) || (y1 <= sampleY && sampleY < y0)) {
          crossings.push(x0 + ((sampleY - y0) * (x1 - x0)) / (y1 - y0));
        }
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        // Pixels whose centre column + centre lies in [left, right).
        const first = Math.max(0, Math.ceil(crossings[k] - centre));
        const last = Math.min(width - 1, Math.ceil(crossings[k + 1] - centre) - 1);
        for (let col = first; col <= last; col++) mask[row * width + col] = 1;
      }
    }
  }
  if (options.outline || points.length < 3) {
    const pixel = (v: number) => Math.round(v - centre);
    for (let k = 0; k < points.length; k++) {
      const [x0, y0] = points[k];
      const [x1, y1] = points[(k + 1) % points.length];
      drawLine(mask, width, height, pixel(x0), pixel(y0), pixel(x1), pixel(y1));
    }
  }
}

/** Bresenham line between two pixels, clipped to the mask. */
function drawLine(mask: Uint8Array, width: number, height: number, x0: number, y0: number, x1: number, y1: number): void {
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let error = dx + dy;
  let x = x0;
  let y = y0;
  for (;;) {
    if (x >= 0 && y >= 0 && x < width && y < height) mask[y * width + x] = 1;
    if (x === x1 && y === y1) return;
    const twice = 2 * error;
    if (twice >= dy) {
      error += dy;
      x += sx;
    }
    if (twice <= dx) {
      error += dx;
      y += sy;
    }
  }
}

/**
 * Nearest-neighbour resize of a mask, source pixel `floor(dst * src / dst_size)` per axis: what
 * `cv2.resize(..., interpolation=cv2.INTER_NEAREST)` (mmcv's `imresize_like(..., 'nearest')`,
 * used by the reference for BUS_UC and STU-Hospital) does, so labels stay 0/1.
 */
export function resizeMaskNearest(mask: Uint8Array, width: number, height: number, newWidth: number, newHeight: number): Uint8Array {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} pixels, expected ${width}×${height}`);
  if (newWidth < 1 || newHeight < 1) throw new Error(`cannot resize a mask to ${newWidth}×${newHeight}`);
  const out = new Uint8Array(newWidth * newHeight);
  const columns = new Int32Array(newWidth);
  for (let x = 0; x < newWidth; x++) columns[x] = Math.min(width - 1, Math.floor((x * width) / newWidth));
  for (let y = 0; y < newHeight; y++) {
    const sourceRow = Math.min(height - 1, Math.floor((y * height) / newHeight)) * width;
    for (let x = 0; x < newWidth; x++) out[y * newWidth + x] = mask[sourceRow + columns[x]];
  }
  return out;
}

/**
 * Resizes a mask by area: a destination pixel is set when at least half of the source area it
 * covers is set (a box filter with fractional edges, then a 0.5 threshold). For masks drawn at a
 * higher resolution than their image: nearest-neighbour sampling reads one source pixel of each
 * block (the block's top-left one), which shifts the mask by up to half a destination pixel towards
 * the top-left and drops parts thinner than a block.
 */
export function resizeMaskArea(mask: Uint8Array, width: number, height: number, newWidth: number, newHeight: number): Uint8Array {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} pixels, expected ${width}×${height}`);
  if (newWidth < 1 || newHeight < 1) throw new Error(`cannot resize a mask to ${newWidth}×${newHeight}`);
  // Per destination index along one axis: the source indices it overlaps and the overlap lengths.
  const spans = (source: number, destination: number) => {
    const scale = source / destination;
    return Array.from({ length: destination }, (_, d) => {
      const start = d * scale;
      const end = (d + 1) * scale;
      const indices: number[] = [];
      const weights: number[] = [];
      for (let s = Math.floor(start); s < Math.min(source, Math.ceil(end)); s++) {
        const overlap = Math.min(end, s + 1) - Math.max(start, s);
        if (overlap > 0) {
          indices.push(s);
          weights.push(overlap);
        }
      }
      return { indices, weights };
    });
  };
  const columns = spans(width, newWidth);
  const rows = spans(height, newHeight);
  // Horizontal pass: per source row, the covered length under each destination column.
  const partial = new Float64Array(height * newWidth);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < newWidth; x++) {
      const { indices, weights } = columns[x];
      let sum = 0;
      for (let k = 0; k < indices.length; k++) if (mask[y * width + indices[k]] !== 0) sum += weights[k];
      partial[y * newWidth + x] = sum;
    }
  }
  const half = (0.5 * (width * height)) / (newWidth * newHeight);
  const out = new Uint8Array(newWidth * newHeight);
  for (let y = 0; y < newHeight; y++) {
    const { indices, weights } = rows[y];
    for (let x = 0; x < newWidth; x++) {
      let sum = 0;
      for (let k = 0; k < indices.length; k++) sum += partial[indices[k] * newWidth + x] * weights[k];
      // A hair below half: coverage that is exactly half must not fail on rounding.
      if (sum >= half - 1e-9) out[y * newWidth + x] = 1;
    }
  }
  return out;
}

/**
 * Rotates a width×height mask a quarter turn clockwise into a height×width one: pixel (x, y)
 * moves to (height - 1 - y, x). mmcv's `imrotate(mask, 90, auto_bound=True)` (positive angles
 * clockwise) does this; the reference turns FALLMUD's transposed aponeurosis masks so.
 */
export function rotateMaskClockwise(mask: Uint8Array, width: number, height: number): Uint8Array {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} pixels, expected ${width}×${height}`);
  const out = new Uint8Array(width * height);
  const newWidth = height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[x * newWidth + (height - 1 - y)] = mask[y * width + x];
  }
  return out;
}

/** Sets in `target` every pixel set in `source` (same size). */
export function unionInto(target: Uint8Array, source: Uint8Array): void {
  if (target.length !== source.length) throw new Error(`cannot merge masks of ${source.length} and ${target.length} pixels`);
  for (let i = 0; i < source.length; i++) if (source[i] !== 0) target[i] = 1;
}

/** True when at least one pixel is set. */
export function hasForeground(mask: Uint8Array): boolean {
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) return true;
  return false;
}
