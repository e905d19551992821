// Sam.postprocess_masks on the host: low-res logits bilinearly upsampled to the padded input size,
// cropped to the resized image, bilinearly resized to the original size (align_corners=False
// throughout), then thresholded at 0. Plain Float32Array code rather than a graph: it runs once
// per prediction on a few channels, and the original size changes with every image.
//
// Each axis goes through upsample → crop → resize, three linear maps that compose into one sparse
// matrix per axis; the two axes are then applied one after the other (bilinear is separable).
import { linearMatrix } from './interpolate.js';
import type { Size } from './prompts.js';

export interface PostprocessGeometry {
  /** Side of the padded square input (1024). */
  imgSize: number;
  /** Size of the resized image inside the padded input, e.g. [645, 1024]. */
  inputSize: Size;
  /** Size of the original image. */
  originalSize: Size;
}

interface SparseRows {
  /** For output row o: taps start[o]..start[o+1]−1 of `index` and `weight`. */
  start: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

/** The composed map of one axis: lowRes → imgSize, keep the first `kept`, → outSize. */
function axisMap(lowRes: number, imgSize: number, kept: number, outSize: number): SparseRows {
  const up = linearMatrix(lowRes, imgSize); // [imgSize, lowRes]
  const down = linearMatrix(kept, outSize); // [outSize, kept]
  const start = new Int32Array(outSize + 1);
  const index: number[] = [];
  const weight: number[] = [];
  const row = new Float64Array(lowRes);
  for (let o = 0; o < outSize; o++) {
    row.fill(0);
    for (let k = 0; k < kept; k++) {
      const d = down[o * kept + k];
      if (d === 0) continue;
      for (let i = 0; i < lowRes; i++) row[i] += d * up[k * lowRes + i];
    }
    for (let i = 0; i < lowRes; i++) {
      if (row[i] !== 0) {
        index.push(i);
        weight.push(row[i]);
      }
    }
    start[o + 1] = index.length;
  }
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/**
 * Low-res logits [count, h, w] (row-major) → logits at the original size [count, H, W].
 * `h`, `w` are the low-res sides (256 for a 1024 model).
 */
export function upscaleLogits(lowRes: Float32Array, count: number, [h, w]: Size, geo: PostprocessGeometry): Float32Array {
  if (lowRes.length !== count * h * w) {
    throw new Error(`postprocess: ${lowRes.length} logits do not fill [${count}, ${h}, ${w}]`);
  }
  const [inH, inW] = geo.inputSize;
  const [outH, outW] = geo.originalSize;
  if (inH > geo.imgSize || inW > geo.imgSize) throw new Error(`postprocess: input size [${inH}, ${inW}] exceeds the ${geo.imgSize} input`);
  const rows = axisMap(h, geo.imgSize, inH, outH);
  const cols = axisMap(w, geo.imgSize, inW, outW);
  const out = new Float32Array(count * outH * outW);
  const tmp = new Float64Array(outH * w);
  for (let m = 0; m < count; m++) {
    const src = m * h * w;
    // Rows first: tmp[r, :] = Σ weight · lowRes[index, :].
    tmp.fill(0);
    for (let r = 0; r < outH; r++) {
      for (let t = rows.start[r]; t < rows.start[r + 1]; t++) {
        const base = src + rows.index[t] * w;
        const wt = rows.weight[t];
        for (let x = 0; x < w; x++) tmp[r * w + x] += wt * lowRes[base + x];
      }
    }
    // Then columns.
    const dst = m * outH * outW;
    for (let r = 0; r < outH; r++) {
      for (let c = 0; c < outW; c++) {
        let s = 0;
        for (let t = cols.start[c]; t < cols.start[c + 1]; t++) s += cols.weight[t] * tmp[r * w + cols.index[t]];
        out[dst + r * outW + c] = s;
      }
    }
  }
  return out;
}

/** Binary masks (1 = object) from logits [count, H, W]: one Uint8Array per mask, logit > threshold. */
export function thresholdMasks(logits: Float32Array, count: number, threshold = 0): Uint8Array[] {
  const size = logits.length / count;
  if (!Number.isInteger(size)) throw new Error(`postprocess: ${logits.length} logits are not ${count} equal masks`);
  const masks: Uint8Array[] = [];
  for (let m = 0; m < count; m++) {
    const mask = new Uint8Array(size);
    for (let i = 0; i < size; i++) mask[i] = logits[m * size + i] > threshold ? 1 : 0;
    masks.push(mask);
  }
  return masks;
}

/** The whole of SAM's postprocessing: low-res logits → binary masks at the original size. */
export function postprocessMasks(lowRes: Float32Array, count: number, lowResSize: Size, geo: PostprocessGeometry): Uint8Array[] {
  return thresholdMasks(upscaleLogits(lowRes, count, lowResSize, geo), count);
}
