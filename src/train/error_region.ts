// Multi-click simulation (beyond the reference, in the spirit of SAM's interactive training and
// RITM): the next click goes to the interior of the largest error region of the current
// prediction — the point farthest from the region's boundary (the maximum of its Euclidean
// distance transform, the grid's edge counting as boundary) — positive where the prediction
// misses the object, negative where it spills over.

export interface Click {
  /** Cell coordinates of the click on the mask grid (column, row). */
  x: number;
  y: number;
  positive: boolean;
  /** Pixels of the error region the click was placed in. */
  regionSize: number;
}

/**
 * Labels the 4-connected components of a 0/1 mask; returns the label of each pixel (0 outside)
 * and the size of each label (index 0 unused).
 */
export function connectedComponents(mask: Uint8Array, width: number, height: number): { labels: Int32Array; sizes: number[] } {
  const labels = new Int32Array(width * height);
  const sizes = [0];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const label = sizes.length;
    let size = 0;
    labels[start] = label;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      size++;
      const x = i % width;
      const visit = (j: number) => {
        if (mask[j] && !labels[j]) {
          labels[j] = label;
          stack.push(j);
        }
      };
      if (x > 0) visit(i - 1);
      if (x < width - 1) visit(i + 1);
      if (i >= width) visit(i - width);
      if (i < mask.length - width) visit(i + width);
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

/**
 * Squared distance of 1-D samples to the nearest zero of f (f holds 0 or a large finite value):
 * the lower envelope of parabolas of Felzenszwalb & Huttenlocher's distance transform.
 */
function distance1d(f: Float64Array, n: number, out: Float64Array): void {
  const v = new Int32Array(n); // parabola apexes of the envelope
  const z = new Float64Array(n + 1); // boundaries between them
  let k = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  const meet = (q: number, p: number) => (f[q] + q * q - (f[p] + p * p)) / (2 * q - 2 * p);
  for (let q = 1; q < n; q++) {
    let s = meet(q, v[k]);
    while (s <= z[k]) s = meet(q, v[--k]);
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    out[q] = (q - v[k]) ** 2 + f[v[k]];
  }
}

/**
 * Squared Euclidean distance of every pixel of the region (mask 1) to the nearest pixel outside it,
 * the outside of the grid included (0 outside the region).
 */
export function squaredDistanceTransform(mask: Uint8Array, width: number, height: number): Float64Array {
  // Pad by one cell of background on every side so the grid's edge is a boundary.
  const w = width + 2;
  const h = height + 2;
  const big = (w + h) ** 2;
  const grid = new Float64Array(w * h);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) grid[(y + 1) * w + x + 1] = mask[y * width + x] ? big : 0;
  const column = new Float64Array(h);
  const columnOut = new Float64Array(h);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) column[y] = grid[y * w + x];
    distance1d(column, h, columnOut);
    for (let y = 0; y < h; y++) grid[y * w + x] = columnOut[y];
  }
  const row = new Float64Array(w);
  const rowOut = new Float64Array(w);
  const out = new Float64Array(width * height);
  for (let y = 1; y <= height; y++) {
    for (let x = 0; x < w; x++) row[x] = grid[y * w + x];
    distance1d(row, w, rowOut);
    for (let x = 1; x <= width; x++) out[(y - 1) * width + x - 1] = rowOut[x];
  }
  return out;
}

/**
 * The next click for a prediction against its target (both 0/1 on the same grid), or null when
 * they agree. The largest 4-connected region of false negatives or false positives wins (false
 * negatives on a tie); the click is its first pixel, in raster order, farthest from its boundary.
 */
export function nextClick(predicted: Uint8Array, target: Uint8Array, width: number, height: number): Click | null {
  if (predicted.length !== width * height || target.length !== width * height) {
    throw new Error(`next click: masks of ${predicted.length} and ${target.length} cells for a ${width}×${height} grid`);
  }
  const missed = new Uint8Array(width * height);
  const spilled = new Uint8Array(width * height);
  for (let i = 0; i < missed.length; i++) {
    missed[i] = target[i] && !predicted[i] ? 1 : 0;
    spilled[i] = predicted[i] && !target[i] ? 1 : 0;
  }
  let best: { mask: Uint8Array; labels: Int32Array; label: number; size: number; positive: boolean } | null = null;
  for (const [mask, positive] of [
    [missed, true],
    [spilled, false],
  ] as const) {
    const { labels, sizes } = connectedComponents(mask, width, height);
    for (let label = 1; label < sizes.length; label++) {
      if (!best || sizes[label] > best.size) best = { mask, labels, label, size: sizes[label], positive };
    }
  }
  if (!best) return null;
  const region = new Uint8Array(width * height);
  for (let i = 0; i < region.length; i++) region[i] = best.labels[i] === best.label ? 1 : 0;
  const distance = squaredDistanceTransform(region, width, height);
  let at = -1;
  for (let i = 0; i < distance.length; i++) if (region[i] && (at < 0 || distance[i] > distance[at])) at = i;
  return { x: at % width, y: Math.floor(at / width), positive: best.positive, regionSize: best.size };
}
