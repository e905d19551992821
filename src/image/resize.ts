import type { RawImage } from './types.js';

/**
 * SAM's preprocessing resize, reproduced bit for bit.
 *
 * segment-anything's `ResizeLongestSide.apply_image` hands a uint8 H×W×3 array to PIL and asks for a
 * BILINEAR resize. PIL does that as two separable passes (horizontal, then vertical), each one a
 * convolution with a triangle filter whose support is stretched by the scale factor when shrinking
 * (antialiasing) and left at one pixel when enlarging, sampled at pixel centres. The weights are
 * normalised in double precision, turned into 22-bit fixed point, and every pass rounds its result
 * back to uint8, so the intermediate image is uint8 too. Doing the same here keeps the encoder input
 * identical to the reference's, which is what the parity fixture checks.
 */

/** Fractional bits of PIL's 8-bit resampling weights: 32 bits minus 8 for the value minus 2 spare. */
const PRECISION_BITS = 22;
const ONE_HALF = 1 << (PRECISION_BITS - 1);

/** The new (height, width) that `ResizeLongestSide.get_preprocess_shape` computes. */
export function getPreprocessShape(height: number, width: number, target: number): [number, number] {
  checkSize('target', target);
  const scale = target / Math.max(height, width);
  // Python's int() truncates; both operands are positive so floor is the same.
  return [Math.floor(height * scale + 0.5), Math.floor(width * scale + 0.5)];
}

/** Per output position: the first input index, how many inputs it reads, and their fixed-point weights. */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  /** outSize × kernelSize weights; unused tail entries are 0. */
  weights: Int32Array;
  kernelSize: number;
}

/** PIL's bilinear weights for resampling `inSize` samples onto `outSize`. */
function triangleTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle's half-width is 1 input pixel, stretched when shrinking
  const kernelSize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * kernelSize);
  const real = new Float64Array(kernelSize);
  for (let out = 0; out < outSize; out++) {
    const centre = (out + 0.5) * scale;
    // C's (int) cast truncates toward zero; a negative start is then clamped to 0 anyway.
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    const n = hi - lo;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const distance = Math.abs((i + lo - centre + 0.5) / filterScale);
      const w = distance < 1 ? 1 - distance : 0;
      real[i] = w;
      sum += w;
    }
    for (let i = 0; i < n; i++) {
      const w = sum !== 0 ? real[i] / sum : real[i];
      // Round half away from zero into fixed point, as PIL does (bilinear weights are never negative).
      weights[out * kernelSize + i] = Math.trunc(w * (1 << PRECISION_BITS) + (w < 0 ? -0.5 : 0.5));
    }
    first[out] = lo;
    count[out] = n;
  }
  return { first, count, weights, kernelSize };
}

/** Fixed-point accumulator → uint8, clamped like PIL's clip8. */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resample an 8-bit image (any channel count) to `newWidth` × `newHeight` with PIL's BILINEAR filter,
 * antialiased when shrinking. Returns a new image; the input is not modified. Every channel is
 * filtered on its own: for grey and RGB that is exactly PIL; PIL premultiplies alpha for RGBA/LA
 * first, which this does not.
 */
export function resizeBilinearPil(image: RawImage, newWidth: number, newHeight: number): RawImage {
  if (!(image.data instanceof Uint8Array)) {
    throw new TypeError('resizeBilinearPil: the image must be 8-bit (Uint8Array); convert it with toRgb8 first');
  }
  checkSize('width', newWidth);
  checkSize('height', newHeight);
  const { width, height, channels } = image;
  checkSize('input width', width);
  checkSize('input height', height);
  const src = image.data;
  if (src.length !== width * height * channels) {
    throw new RangeError(`resizeBilinearPil: data has ${src.length} values, expected ${width}×${height}×${channels}`);
  }
  const vertical = triangleTaps(height, newHeight);
  // Only the input rows that some output row reads need the horizontal pass (PIL skips the rest too).
  const rowStart = vertical.first[0];
  const rowEnd = vertical.first[newHeight - 1] + vertical.count[newHeight - 1];

  let rows = src;
  let rowsWidth = width;
  let rowOffset = 0;
  if (newWidth !== width) {
    const horizontal = triangleTaps(width, newWidth);
    rows = new Uint8Array((rowEnd - rowStart) * newWidth * channels);
    for (let y = rowStart; y < rowEnd; y++) {
      const inRow = y * width * channels;
      const outRow = (y - rowStart) * newWidth * channels;
      for (let x = 0; x < newWidth; x++) {
        const k = x * horizontal.kernelSize;
        const lo = horizontal.first[x];
        const n = horizontal.count[x];
        for (let c = 0; c < channels; c++) {
          let acc = ONE_HALF;
          for (let i = 0; i < n; i++) acc += src[inRow + (lo + i) * channels + c] * horizontal.weights[k + i];
          rows[outRow + x * channels + c] = clip8(acc);
        }
      }
    }
    rowsWidth = newWidth;
    rowOffset = rowStart;
  }
  if (newHeight === height) return resized(image, rows === src ? src.slice() : rows, rowsWidth, height);

  const stride = rowsWidth * channels;
  const out = new Uint8Array(newHeight * stride);
  for (let y = 0; y < newHeight; y++) {
    const k = y * vertical.kernelSize;
    const lo = vertical.first[y] - rowOffset;
    const n = vertical.count[y];
    const outRow = y * stride;
    for (let j = 0; j < stride; j++) {
      let acc = ONE_HALF;
      for (let i = 0; i < n; i++) acc += rows[(lo + i) * stride + j] * vertical.weights[k + i];
      out[outRow + j] = clip8(acc);
    }
  }
  return resized(image, out, rowsWidth, newHeight);
}

/** The resized image, its pixel spacing (if any) scaled to the new pixel size. */
function resized(image: RawImage, data: Uint8Array, width: number, height: number): RawImage {
  const result: RawImage = { data, width, height, channels: image.channels };
  if (image.pixelSpacingMm) {
    const [sx, sy] = image.pixelSpacingMm;
    result.pixelSpacingMm = [(sx * image.width) / width, (sy * image.height) / height];
  }
  return result;
}

/**
 * Resize an 8-bit RGB image so its longer side equals `target`, exactly as SAM's
 * `ResizeLongestSide.apply_image` does (see the file comment). `pixelSpacingMm` is rescaled to match.
 */
export function resizeLongestSide(image: RawImage, target: number): RawImage {
  if (image.channels !== 3 || !(image.data instanceof Uint8Array)) {
    const depth = image.data instanceof Uint16Array ? '16-bit' : '8-bit';
    throw new TypeError(`resizeLongestSide: expected an 8-bit RGB image, got ${depth} with ${image.channels} channel(s); convert it with toRgb8 first`);
  }
  const [newHeight, newWidth] = getPreprocessShape(image.height, image.width, target);
  return resizeBilinearPil(image, newWidth, newHeight);
}

function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`resize: ${name} must be a positive integer, got ${value}`);
  }
}
