/**
 * Connected components computed on vertical runs (maximal stretches of equal pixels down a column)
 * instead of pixel by pixel: one strided pass over the mask, then union-find over runs only. A
 * vertical run is exactly a 1-run of COCO's column-major RLE, so the runs of a component, in the
 * order found, are its RLE. Roughly 5× quicker than a pixel flood fill on ultrasound-sized masks.
 */

export interface ColumnRuns {
  /** Per run: column, first row, last row (inclusive), component (0-based after `labelRuns`). */
  x: Int32Array;
  y0: Int32Array;
  y1: Int32Array;
  component: Int32Array;
  runCount: number;
  componentCount: number;
}

/**
 * Runs of pixels where `(mask[i] !== 0) === foreground`, grouped into components with 4- or
 * 8-connectivity. Components are numbered in raster (row-major) order of their first pixel, as
 * skimage.measure.label and scipy.ndimage.label number them.
 */
export function labelRuns(mask: ArrayLike<number>, width: number, height: number, connectivity: 4 | 8, foreground = true): ColumnRuns {
  // Pass 1: runs, column by column (capacity: at most one run per two pixels, plus one per column).
  const capacity = Math.ceil((width * height) / 2) + width;
  const xs = new Int32Array(capacity);
  const y0s = new Int32Array(capacity);
  const y1s = new Int32Array(capacity);
  const columnStart = new Int32Array(width + 1);
  let runCount = 0;
  for (let x = 0; x < width; x++) {
    columnStart[x] = runCount;
    let start = -1;
    for (let y = 0, i = x; y < height; y++, i += width) {
      const on = (mask[i] !== 0) === foreground;
      if (on && start < 0) start = y;
      else if (!on && start >= 0) {
        xs[runCount] = x;
        y0s[runCount] = start;
        y1s[runCount++] = y - 1;
        start = -1;
      }
    }
    if (start >= 0) {
      xs[runCount] = x;
      y0s[runCount] = start;
      y1s[runCount++] = height - 1;
    }
  }
  columnStart[width] = runCount;

  // Pass 2: union runs of neighbouring columns that touch (8-connectivity also diagonally).
  const parent = new Int32Array(runCount);
  for (let r = 0; r < runCount; r++) parent[r] = r;
  const find = (r: number): number => {
    while (parent[r] !== r) {
      parent[r] = parent[parent[r]];
      r = parent[r];
    }
    return r;
  };
  const reach = connectivity === 8 ? 1 : 0;
  for (let x = 1; x < width; x++) {
    let a = columnStart[x - 1];
    const aEnd = columnStart[x];
    for (let b = columnStart[x]; b < columnStart[x + 1]; b++) {
      // Skip runs of the previous column that end above this run's reach.
      while (a < aEnd && y1s[a] + reach < y0s[b]) a++;
      for (let k = a; k < aEnd && y0s[k] <= y1s[b] + reach; k++) {
        const ra = find(k);
        const rb = find(b);
        if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
  }

  // Pass 3: number the components by the raster index of their first pixel.
  const rootFirst = new Map<number, number>();
  const roots = new Int32Array(runCount);
  for (let r = 0; r < runCount; r++) {
    const root = find(r);
    roots[r] = root;
    const first = y0s[r] * width + xs[r];
    const known = rootFirst.get(root);
    if (known === undefined || first < known) rootFirst.set(root, first);
  }
  const order = [...rootFirst.entries()].sort((p, q) => p[1] - q[1]);
  const numberOf = new Map<number, number>(order.map(([root], i) => [root, i]));
  const component = new Int32Array(runCount);
  for (let r = 0; r < runCount; r++) component[r] = numberOf.get(roots[r])!;
  return {
    x: xs.subarray(0, runCount),
    y0: y0s.subarray(0, runCount),
    y1: y1s.subarray(0, runCount),
    component,
    runCount,
    componentCount: order.length,
  };
}
