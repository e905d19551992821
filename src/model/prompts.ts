// Prompt preparation on the host side, as SAM's predictor does it before the prompt encoder:
// coordinates from original-image pixels to the resized input frame (ResizeLongestSide), the
// pixel-centre shift, box corners as labels 2 and 3, and the padding point when there is no box.
// The decoder graph takes the result as its `point_coords` and `point_labels` inputs.

export type Size = readonly [height: number, width: number];

export interface Prompt {
  /** Points (x, y) in original-image pixels. */
  points?: readonly (readonly [number, number])[];
  /** One label per point: 1 positive, 0 negative. */
  labels?: readonly number[];
  /** [x0, y0, x1, y1] in original-image pixels. */
  box?: readonly [number, number, number, number];
}

export interface EncodedPrompt {
  /** [count, 2] input-frame pixel coordinates, +0.5 applied. */
  coords: Float32Array;
  /** [count] labels: 0/1 points, 2/3 box corners, −1 padding. */
  labels: Float32Array;
  count: number;
}

/** get_preprocess_shape: the size after resizing the long side to `longSide` (rounded half up). */
export function resizedSize([h, w]: Size, longSide: number): [number, number] {
  const scale = longSide / Math.max(h, w);
  return [Math.floor(h * scale + 0.5), Math.floor(w * scale + 0.5)];
}

/** Number of prompt tokens a prompt becomes: its points, the box's two corners, or one padding point. */
export function promptTokenCount(prompt: Prompt): number {
  const points = prompt.points?.length ?? 0;
  return prompt.box ? points + 2 : points + 1;
}

/**
 * The one check of a prompt on an image of `size` (every caller encodes through encodePrompt):
 * throws a message beginning with `where` and naming the point, label or box at fault. Box
 * corners are edges and may lie on the far border; a point is a pixel, so x < width and y < height.
 */
export function checkPrompt(prompt: Prompt, [h, w]: Size, where = 'prompt'): void {
  const points = prompt.points ?? [];
  const labels = prompt.labels ?? [];
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x <= w && y <= h;
  points.forEach(([x, y], i) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`${where}: point ${i} has a non-finite coordinate (${x}, ${y})`);
    if (!(inside(x, y) && x < w && y < h)) {
      throw new Error(`${where}: point ${i} (${x}, ${y}) lies outside the ${w}×${h} image (a point needs 0 ≤ x < ${w} and 0 ≤ y < ${h})`);
    }
  });
  if (prompt.box) {
    const box = `box [${prompt.box.join(', ')}]`;
    if (prompt.box.length !== 4) throw new Error(`${where}: a box is [x0, y0, x1, y1], got ${box}`);
    const [x0, y0, x1, y1] = prompt.box;
    if ([x0, y0, x1, y1].some((v) => !Number.isFinite(v))) throw new Error(`${where}: ${box} has a non-finite coordinate`);
    if (x1 < x0 || y1 < y0) throw new Error(`${where}: ${box} has x1 < x0 or y1 < y0`);
    if (x1 === x0 || y1 === y0) throw new Error(`${where}: ${box} has no area (x1 = x0 or y1 = y0)`);
    if (!inside(x0, y0) || !inside(x1, y1)) throw new Error(`${where}: ${box} reaches outside the ${w}×${h} image`);
  }
  if (points.length !== labels.length) throw new Error(`${where}: ${points.length} point(s) but ${labels.length} label(s)`);
  labels.forEach((l, i) => {
    if (l !== 0 && l !== 1) throw new Error(`${where}: label ${i} is ${l}; point labels are 1 (positive) or 0 (negative)`);
  });
  if (!prompt.box && points.length === 0) throw new Error(`${where}: empty prompt: give at least one point or a box`);
}

/**
 * Encodes a prompt for the decoder graph, after checkPrompt (`where` names it in messages). Like
 * ResizeLongestSide.apply_coords, x is scaled by newW / oldW and y by newH / oldH (the rounded
 * resized size, so the two scales can differ slightly).
 */
export function encodePrompt(prompt: Prompt, originalSize: Size, imgSize: number, where = 'prompt'): EncodedPrompt {
  checkPrompt(prompt, originalSize, where);
  const points = prompt.points ?? [];
  const labels = prompt.labels ?? [];
  const [oldH, oldW] = originalSize;
  const [newH, newW] = resizedSize(originalSize, imgSize);
  const sx = newW / oldW;
  const sy = newH / oldH;
  const count = promptTokenCount(prompt);
  const coords = new Float32Array(count * 2);
  const outLabels = new Float32Array(count);
  const put = (i: number, x: number, y: number, label: number) => {
    coords[2 * i] = x * sx + 0.5;
    coords[2 * i + 1] = y * sy + 0.5;
    outLabels[i] = label;
  };
  points.forEach(([x, y], i) => put(i, x, y, labels[i]));
  if (prompt.box) {
    const [x0, y0, x1, y1] = prompt.box;
    put(points.length, x0, y0, 2);
    put(points.length + 1, x1, y1, 3);
  } else {
    // SAM appends a padding point (0, 0) labelled −1 when there is no box; its encoding is replaced
    // by not_a_point_embed, so its coordinates do not matter.
    coords[2 * points.length] = 0;
    coords[2 * points.length + 1] = 0;
    outLabels[points.length] = -1;
  }
  return { coords, labels: outLabels, count };
}
