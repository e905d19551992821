/** Turns one binary mask into COCO instance annotations: one per connected component. */
import { labelRuns } from './column_runs.js';
import { runsToString, type Rle } from './rle.js';

export interface ComponentAnnotation {
  segmentation: Rle;
  area: number;
  /** [x, y, w, h] in pixels, the tight box of the component (what pycocotools `toBbox` gives). */
  bbox: [number, number, number, number];
}

/**
 * Splits a row-major H×W mask into 8-connected components and encodes each as an RLE. The
 * components are found on vertical runs (column_runs.ts), which are already the 1-runs of the
 * column-major RLE: no per-component pass over the image.
 */
export function maskToAnnotations(mask: ArrayLike<number>, width: number, height: number): ComponentAnnotation[] {
  if (mask.length !== width * height) {
    throw new Error(`mask has ${mask.length} pixels, expected ${width}×${height} = ${width * height}`);
  }
  const runs = labelRuns(mask, width, height, 8);
  const count = runs.componentCount;
  if (count === 0) return [];
  const counts: number[][] = Array.from({ length: count }, () => []);
  // Column-major index just past the last pixel of each component's current 1-run.
  const runEnd = new Float64Array(count);
  const areas = new Array<number>(count).fill(0);
  const boxes = Array.from({ length: count }, () => ({ x0: Infinity, y0: Infinity, x1: -1, y1: -1 }));
  for (let r = 0; r < runs.runCount; r++) {
    const c = runs.component[r];
    const x = runs.x[r];
    const top = runs.y0[r];
    const bottom = runs.y1[r];
    const start = x * height + top;
    const length = bottom - top + 1;
    const componentCounts = counts[c];
    if (componentCounts.length > 0 && runEnd[c] === start) {
      // Bottom of one column and top of the next are neighbours in column-major order: one RLE run.
      componentCounts[componentCounts.length - 1] += length;
    } else {
      componentCounts.push(start - runEnd[c], length); // 0-run since the last 1-run, then the 1-run
    }
    runEnd[c] = start + length;
    areas[c] += length;
    const box = boxes[c];
    if (x < box.x0) box.x0 = x;
    if (x > box.x1) box.x1 = x;
    if (top < box.y0) box.y0 = top;
    if (bottom > box.y1) box.y1 = bottom;
  }
  const total = width * height;
  return counts.map((componentCounts, c) => {
    if (runEnd[c] < total) componentCounts.push(total - runEnd[c]); // trailing 0-run
    const box = boxes[c];
    return {
      segmentation: { size: [height, width], counts: runsToString(componentCounts) },
      area: areas[c],
      bbox: [box.x0, box.y0, box.x1 - box.x0 + 1, box.y1 - box.y0 + 1],
    };
  });
}
