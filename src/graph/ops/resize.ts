// Bilinear resizing of [N, C, H, W] maps, as PyTorch's F.interpolate(mode='bilinear',
// align_corners=False), with its gradient.
import type { Tensor } from '../graph.js';
import { defineOp, emit, shapeError } from '../op.js';
import { matmul } from './matmul.js';

/**
 * The two taps of each output position of one axis: output o reads in[i0] · (1 − w1) + in[i1] · w1.
 * Half-pixel centres; a source position below 0 is clamped to 0 and the upper neighbour to in − 1,
 * as PyTorch does (at the upper edge i0 = i1).
 */
export function bilinearTaps(inSize: number, outSize: number, o: number): { i0: number; i1: number; w1: number } {
  const src = Math.max((o + 0.5) * (inSize / outSize) - 0.5, 0);
  const i0 = Math.min(Math.floor(src), inSize - 1);
  return { i0, i1: Math.min(i0 + 1, inSize - 1), w1: src - i0 };
}

/** Interpolation matrix R[out, in] of one axis (y = R · x): bilinearTaps as a dense matrix. */
export function bilinearMatrix(inSize: number, outSize: number): Float64Array {
  const r = new Float64Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const { i0, i1, w1 } = bilinearTaps(inSize, outSize, o);
    r[o * inSize + i0] += 1 - w1;
    r[o * inSize + i1] += w1;
  }
  return r;
}

/** Resizes the last two axes of x[N, C, H, W] to [height, width]. */
export function resizeBilinear(x: Tensor, height: number, width: number): Tensor {
  if (x.rank !== 4) throw shapeError('Resize', [x], 'expects [N, C, H, W]');
  if (height === x.shape[2] && width === x.shape[3]) return x;
  const g = x.graph;
  const sizes = g.constant([x.shape[0], x.shape[1], height, width], [4], 'int64');
  return emit(
    'Resize',
    [x, null, null, sizes],
    // 'pytorch_half_pixel' is half-pixel except for an output of size 1, where PyTorch samples 0.
    { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' },
    [{ shape: [x.shape[0], x.shape[1], height, width], dtype: x.dtype }],
  )[0];
}

// y = Rh · x · Rwᵀ per channel, so dx = Rhᵀ · g · Rw: two matrix products with constants.
defineOp('Resize', {
  attrs: ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'antialias'],
  grad: (n, [g]) => [
    () => {
      const x = n.inputs[0] as Tensor;
      if (n.attrs.mode !== 'linear') throw new Error(`Resize: no gradient for mode ${String(n.attrs.mode)}`);
      const [h, w] = [x.shape[2], x.shape[3]];
      const [oh, ow] = [g!.shape[2], g!.shape[3]];
      const rh = bilinearMatrix(h, oh);
      const rhT = new Float64Array(h * oh);
      for (let o = 0; o < oh; o++) for (let i = 0; i < h; i++) rhT[i * oh + o] = rh[o * h + i];
      const graph = x.graph;
      const toDtype = (a: Float64Array) => (x.dtype === 'float64' ? a : Float32Array.from(a));
      const left = graph.constant(toDtype(rhT), [h, oh], x.dtype);
      const right = graph.constant(toDtype(bilinearMatrix(w, ow)), [ow, w], x.dtype);
      return matmul(matmul(left, g!), right);
    },
    null,
    null,
    null,
  ],
});
