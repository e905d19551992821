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
 * Encodes a prompt for the decoder graph. Like ResizeLongestSide.apply_coords, x is scaled by
 * newW / oldW and y by newH / oldH (the rounded resized size, so the two scales can differ slightly).
 */
export function encodePrompt(prompt: Prompt, originalSize: Size, imgSize: number): EncodedPrompt {
  const points = prompt.points ?? [];
  const labels = prompt.labels ?? [];
  if (labels.length !== points.length) {
    throw new Error(`prompt: ${points.length} point(s) but ${labels.length} label(s)`);
  }
  if (points.length === 0 && !prompt.box) throw new Error('prompt: give at least one point or a box');
  labels.forEach((l, i) => {
    if (l !== 0 && l !== 1) throw new Error(`prompt: label ${i} is ${l}; point labels are 1 (positive) or 0 (negative)`);
  });
  const [oldH, oldW] = originalSize;
  const [newH, newW] = resizedSize(originalSize, imgSize);
  const sx = newW / oldW;
  const sy = newH / oldH;
  const count = promptTokenCount(prompt);
  const coords = new Float32Array(count * 2);
  const outLabels = new Float32Array(count);
  const put = (i: number, x: number, y: number, label: number, what: string) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`prompt: ${what} has a non-finite coordinate (${x}, ${y})`);
    coords[2 * i] = x * sx + 0.5;
    coords[2 * i + 1] = y * sy + 0.5;
    outLabels[i] = label;
  };
  points.forEach(([x, y], i) => put(i, x, y, labels[i], `point ${i}`));
  if (prompt.box) {
    const [x0, y0, x1, y1] = prompt.box;
    put(points.length, x0, y0, 2, 'box');
    put(points.length + 1, x1, y1, 3, 'box');
  } else {
    // SAM appends a padding point (0, 0) labelled −1 when there is no box; its encoding is replaced
    // by not_a_point_embed, so its coordinates do not matter.
    coords[2 * points.length] = 0;
    coords[2 * points.length + 1] = 0;
    outLabels[points.length] = -1;
  }
  return { coords, labels: outLabels, count };
}
