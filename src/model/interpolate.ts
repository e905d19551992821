// One-axis interpolation matrices R[out, in] (y = R · x) with PyTorch's F.interpolate semantics,
// align_corners=False. Applied in graphs as constant matrix products, so that resizing a learned
// table stays differentiable with respect to the table.
import { bilinearMatrix } from '../graph/ops/resize.js';

/** mode='linear' / 'bilinear': half-pixel centres, source clamped at 0 and at in − 1. */
export function linearMatrix(inSize: number, outSize: number): Float64Array {
  return bilinearMatrix(inSize, outSize);
}

// PyTorch's cubic convolution kernel with A = −0.75 (upsample_bicubic2d).
const A = -0.75;
const near = (t: number) => ((A + 2) * t - (A + 3)) * t * t + 1; // |t| ≤ 1
const far = (t: number) => ((A * t - 5 * A) * t + 8 * A) * t - 4 * A; // 1 < |t| < 2

/**
 * mode='bicubic': half-pixel centres without clamping the source coordinate; the four taps
 * floor(src) − 1 .. floor(src) + 2 are clamped to the edge (PyTorch's access_clamped).
 */
export function bicubicMatrix(inSize: number, outSize: number): Float64Array {
  const r = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = (o + 0.5) * scale - 0.5;
    const i = Math.floor(src);
    const t = src - i;
    const weights = [far(t + 1), near(t), near(1 - t), far(2 - t)];
    for (let k = 0; k < 4; k++) {
      const idx = Math.min(Math.max(i - 1 + k, 0), inSize - 1);
      r[o * inSize + idx] += weights[k];
    }
  }
  return r;
}
