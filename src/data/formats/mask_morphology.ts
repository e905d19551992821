/**
 * Binary morphology the volume and archive converters need to clean masks the way the reference
 * did with scikit-image: largest connected component, erosion / dilation by a square, and the
 * convex hull of a region. Masks are row-major H×W, non-zero = object; results are 0/1.
 */
import { connectedComponents } from '../components.js';
import { rasterisePolygon } from '../masks.js';

/** Only the largest 8-connected component (the first in raster order on ties); empty stays empty. */
export function largestComponent(mask: ArrayLike<number>, width: number, height: number): Uint8Array {
  const { labels, count, areas } = connectedComponents(mask, width, height, 8);
  const out = new Uint8Array(width * height);
  if (count === 0) return out;
  let best = 0;
  for (let k = 1; k < count; k++) if (areas[k] > areas[best]) best = k;
  for (let i = 0; i < out.length; i++) if (labels[i] === best + 1) out[i] = 1;
  return out;
}

/**
 * Running minimum (erode) or maximum (dilate) over a window [before, after] along rows, then
 * columns: a square structuring element is separable. Pixels outside the image count as
 * background for erosion (scikit-image's default border) and are ignored for dilation.
 */
function squareFilter(mask: ArrayLike<number>, width: number, height: number, size: number, erode: boolean): Uint8Array {
  if (!Number.isInteger(size) || size < 1) throw new Error(`square size ${size} must be a positive integer`);
  // scikit-image centres an even footprint at size/2: it covers offsets -size/2 .. size/2 - 1.
  const before = Math.floor(size / 2);
  const after = size - 1 - before;
  // Dilation uses the reflected footprint, so that dilate(erode(x)) is an opening.
  const [lo, hi] = erode ? [before, after] : [after, before];
  const pass = (src: Uint8Array, horizontal: boolean): Uint8Array => {
    const out = new Uint8Array(width * height);
    const lines = horizontal ? height : width;
    const length = horizontal ? width : height;
    const stride = horizontal ? 1 : width;
    // Prefix sums of object pixels along each line make every window query O(1).
    const prefix = new Int32Array(length + 1);
    for (let line = 0; line < lines; line++) {
      const start = horizontal ? line * width : line;
      for (let i = 0; i < length; i++) prefix[i + 1] = prefix[i] + (src[start + i * stride] !== 0 ? 1 : 0);
      for (let i = 0; i < length; i++) {
        const from = i - lo;
        const to = i + hi;
        const a = Math.max(0, from);
        const b = Math.min(length - 1, to);
        const ones = prefix[b + 1] - prefix[a];
        const value = erode ? from >= 0 && to < length && ones === to - from + 1 : ones > 0;
        if (value) out[start + i * stride] = 1;
      }
    }
    return out;
  };
  const binary = new Uint8Array(width * height);
  for (let i = 0; i < binary.length; i++) binary[i] = mask[i] !== 0 ? 1 : 0;
  return pass(pass(binary, true), false);
}

/** Binary erosion by a size×size square. */
export function erodeSquare(mask: ArrayLike<number>, width: number, height: number, size: number): Uint8Array {
  return squareFilter(mask, width, height, size, true);
}

/** Binary dilation by a size×size square. */
export function dilateSquare(mask: ArrayLike<number>, width: number, height: number, size: number): Uint8Array {
  return squareFilter(mask, width, height, size, false);
}

function cross(o: [number, number], a: [number, number], b: [number, number]): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/**
 * Convex hull of the object pixels, filled: pixels whose centre lies inside or on the hull of the
 * object pixels' centres (scikit-image's `convex_hull_image(..., offset_coordinates=False)`).
 */
export function convexHullMask(mask: ArrayLike<number>, width: number, height: number): Uint8Array {
  // Only the leftmost and rightmost object pixel of each row can be hull vertices.
  const points: [number, number][] = [];
  for (let y = 0; y < height; y++) {
    let left = -1;
    let right = -1;
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x] !== 0) {
        if (left < 0) left = x;
        right = x;
      }
    }
    if (left >= 0) {
      points.push([left, y]);
      if (right !== left) points.push([right, y]);
    }
  }
  if (points.length === 0) return new Uint8Array(width * height);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  // Andrew's monotone chain.
  const lower: [number, number][] = [];
  for (const p of points) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: [number, number][] = [];
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  const hull = lower.slice(0, -1).concat(upper.slice(0, -1));
  // 'centre' grid with the outline: pixel centres inside, plus the pixels the hull edges run through.
  return rasterisePolygon(hull, width, height, { grid: 'centre', outline: true });
}
