// Data augmentation for training samples, aimed at anatomy the model never saw: zoom (a random crop
// before resizing, so targets span all sizes), small rotations, ultrasound-like changes of the image
// (gamma, contrast, brightness, depth attenuation, multiplicative speckle, blur) and synthetic
// instances (a blob-shaped region of the image made darker or brighter, to teach "the region around
// the click" rather than a handful of anatomies). Every function draws from the caller's generator,
// so a sample stays a pure function of its seed.
//
// Crops work on the raw image (then the sample goes through the predictor's own resize, so training
// sees the inference pipeline's pixels); rotation, the photometric changes and synthetic instances
// work on the normalised S × S input tensor, on the h × w region holding the image.
import type { Rng } from '../graph/random.js';
import type { RawImage } from '../image/types.js';

export interface AugmentOptions {
  /** Probability of a random crop (zoom in) of the raw image. */
  crop: number;
  /** Smallest crop side as a fraction of the image's side. */
  cropMinScale: number;
  /** Rotation by U(−r, r) degrees, drawn for half of the samples; 0: off. */
  rotateDegrees: number;
  /** Probability of the photometric changes (each of them then drawn on its own with probability ½). */
  intensity: number;
  /** Probability of adding one synthetic instance. */
  synthetic: number;
}

export const NO_AUGMENTATION: AugmentOptions = { crop: 0, cropMinScale: 1, rotateDegrees: 0, intensity: 0, synthetic: 0 };

/** A crop rectangle in raw-image pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Instances keep at least this fraction of their pixels inside a crop, or they are dropped. */
export const MIN_KEPT_FRACTION = 0.3;

/**
 * A random crop in which at least one of the masks keeps MIN_KEPT_FRACTION of its pixels, or null
 * (no crop) after a few tries. Sides are drawn independently in [minScale, 1] of the image's.
 */
export function chooseCrop(width: number, height: number, masks: readonly Uint8Array[], minScale: number, rng: Rng): Rect | null {
  const areas = masks.map(count);
  for (let attempt = 0; attempt < 8; attempt++) {
    const w = Math.max(1, Math.round(width * rng.uniform(minScale, 1)));
    const h = Math.max(1, Math.round(height * rng.uniform(minScale, 1)));
    const rect = { x: rng.int(width - w + 1), y: rng.int(height - h + 1), width: w, height: h };
    if (masks.some((m, i) => areas[i] > 0 && countInside(m, width, rect) >= MIN_KEPT_FRACTION * areas[i])) return rect;
  }
  return null;
}

/** Whether a mask keeps enough of its pixels inside the crop to stay an instance. */
export function keepsEnough(mask: Uint8Array, width: number, rect: Rect): boolean {
  const total = count(mask);
  return total > 0 && countInside(mask, width, rect) >= MIN_KEPT_FRACTION * total;
}

export function cropImage(image: RawImage, rect: Rect): RawImage {
  const c = image.channels;
  const data = new (image.data.constructor as Uint8ArrayConstructor | Uint16ArrayConstructor)(rect.width * rect.height * c);
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.y + y) * image.width + rect.x) * c;
    data.set(image.data.subarray(from, from + rect.width * c), y * rect.width * c);
  }
  return { ...image, data, width: rect.width, height: rect.height };
}

export function cropMask(mask: Uint8Array, width: number, rect: Rect): Uint8Array {
  const out = new Uint8Array(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) {
    const from = (rect.y + y) * width + rect.x;
    out.set(mask.subarray(from, from + rect.width), y * rect.width);
  }
  return out;
}

/** The input tensor's layout: S × S channels, the image in the top-left h × w, and its normalisation. */
export interface InputFrame {
  size: number;
  height: number;
  width: number;
  mean: readonly number[];
  std: readonly number[];
}

/**
 * Rotates the image region of the tensor (bilinear; what comes from outside the image is black) and
 * the masks (nearest) about the region's centre, in place.
 */
export function rotate(tensor: Float32Array, masks: Uint8Array[], frame: InputFrame, degrees: number): void {
  const { size: s, height: h, width: w } = frame;
  const angle = (degrees * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  // Source position of each output pixel (the inverse rotation).
  const sx = new Float32Array(w * h);
  const sy = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x - cx;
      const dy = y - cy;
      sx[y * w + x] = cos * dx + sin * dy + cx;
      sy[y * w + x] = -sin * dx + cos * dy + cy;
    }
  }
  const plane = new Float32Array(w * h);
  for (let c = 0; c < 3; c++) {
    const base = c * s * s;
    const black = -frame.mean[c] / frame.std[c];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) plane[y * w + x] = tensor[base + y * s + x];
    const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? black : plane[y * w + x]);
    for (let i = 0; i < w * h; i++) {
      const fx = sx[i];
      const fy = sy[i];
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const ax = fx - x0;
      const ay = fy - y0;
      const v = (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) + ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1));
      tensor[base + Math.floor(i / w) * s + (i % w)] = fx < -0.5 || fy < -0.5 || fx > w - 0.5 || fy > h - 0.5 ? black : v;
    }
  }
  for (let k = 0; k < masks.length; k++) {
    const m = masks[k];
    const out = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const x = Math.round(sx[i]);
      const y = Math.round(sy[i]);
      if (x >= 0 && y >= 0 && x < w && y < h) out[i] = m[y * w + x];
    }
    masks[k] = out;
  }
}

/**
 * Ultrasound-like photometric changes of the image region, in place: each of gamma, contrast,
 * brightness, depth attenuation (a gain falling or rising with depth), multiplicative speckle and a
 * Gaussian blur is applied with probability ½. Works on [0, 1] intensities, one set of random
 * values for the three channels (grey stays grey).
 */
export function photometric(tensor: Float32Array, frame: InputFrame, rng: Rng): void {
  const { size: s, height: h, width: w } = frame;
  const n = w * h;
  // The image as [0, 1] intensities, per channel.
  const planes = [0, 1, 2].map((c) => {
    const p = new Float32Array(n);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p[y * w + x] = (tensor[c * s * s + y * s + x] * frame.std[c] + frame.mean[c]) / 255;
    return p;
  });
  const gamma = rng.next() < 0.5 ? Math.exp(rng.uniform(Math.log(0.6), Math.log(1.6))) : 1;
  const contrast = rng.next() < 0.5 ? rng.uniform(0.7, 1.4) : 1;
  const brightness = rng.next() < 0.5 ? rng.uniform(-0.1, 0.1) : 0;
  const attenuation = rng.next() < 0.5 ? rng.uniform(-0.4, 0.9) : 0;
  const speckle = rng.next() < 0.5 ? rng.uniform(0.05, 0.25) : 0;
  const blur = rng.next() < 0.5 ? rng.uniform(0.5, 1.5) : 0;
  const noise = speckle > 0 ? Float32Array.from({ length: n }, () => 1 + speckle * rng.normal()) : null;
  for (const p of planes) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += p[i];
    mean /= n;
    for (let y = 0; y < h; y++) {
      const gain = Math.exp((-attenuation * y) / h);
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        let v = Math.pow(Math.min(1, Math.max(0, p[i])), gamma);
        v = (v - mean) * contrast + mean + brightness;
        v *= gain;
        if (noise) v *= noise[i];
        p[i] = Math.min(1, Math.max(0, v));
      }
    }
    if (blur > 0) gaussianBlur(p, w, h, blur);
  }
  planes.forEach((p, c) => {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) tensor[c * s * s + y * s + x] = (p[y * w + x] * 255 - frame.mean[c]) / frame.std[c];
  });
}

/** Separable Gaussian blur in place (σ in pixels, kernel radius ⌈2σ⌉, edges clamped). */
export function gaussianBlur(p: Float32Array, w: number, h: number, sigma: number): void {
  const r = Math.ceil(2 * sigma);
  const kernel = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = kernel.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  const tmp = new Float32Array(p.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let k = -r; k <= r; k++) v += kernel[k + r] * p[y * w + Math.min(w - 1, Math.max(0, x + k))];
      tmp[y * w + x] = v;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let k = -r; k <= r; k++) v += kernel[k + r] * tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x];
      p[y * w + x] = v;
    }
  }
}

/**
 * A synthetic instance: a blob (an ellipse with a wavy outline, 4–30 % of the region's short side in
 * radius) where the image is made darker (×0.2–0.6, as a hypoechoic lesion) or brighter (×1.4–2), with
 * a soft edge, placed where it overlaps the given masks by at most 10 % of its area and on tissue (mean
 * intensity ≥ 40, at most 10 % of its pixels near black). Returns its mask
 * (h × w), or null when no such place was found; the tensor is changed in place only on success.
 */
export function syntheticInstance(tensor: Float32Array, frame: InputFrame, avoid: readonly Uint8Array[], rng: Rng): Uint8Array | null {
  const { size: s, height: h, width: w } = frame;
  const short = Math.min(w, h);
  if (short < 16) return null;
  for (let attempt = 0; attempt < 10; attempt++) {
    const rx = rng.uniform(0.04, 0.3) * short;
    const ry = rx * Math.exp(rng.uniform(Math.log(0.5), Math.log(2)));
    const cx = rng.uniform(rx, w - rx);
    const cy = rng.uniform(Math.min(ry, h / 2), Math.max(h - ry, h / 2));
    const theta = rng.uniform(0, Math.PI);
    const waves = [2, 3, 4, 5].map((k) => ({ k, a: rng.uniform(0, 0.12), phase: rng.uniform(0, 2 * Math.PI) }));
    // Signed distance-like value: < 1 inside, in units of the local radius.
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const reach = Math.ceil(Math.max(rx, ry) * 1.6) + 2;
    const field = new Map<number, number>();
    const mask = new Uint8Array(w * h);
    let area = 0;
    let overlap = 0;
    for (let y = Math.max(0, Math.floor(cy - reach)); y < Math.min(h, Math.ceil(cy + reach)); y++) {
      for (let x = Math.max(0, Math.floor(cx - reach)); x < Math.min(w, Math.ceil(cx + reach)); x++) {
        const dx = x - cx;
        const dy = y - cy;
        const u = (cos * dx + sin * dy) / rx;
        const v = (-sin * dx + cos * dy) / ry;
        const phi = Math.atan2(v, u);
        let radius = 1;
        for (const wave of waves) radius += wave.a * Math.cos(wave.k * phi + wave.phase);
        const d = Math.hypot(u, v) / radius;
        const i = y * w + x;
        field.set(i, d);
        if (d < 1) {
          mask[i] = 1;
          area++;
          if (avoid.some((m) => m[i])) overlap++;
        }
      }
    }
    if (area < 16 || overlap > 0.1 * area) continue;
    // Only where there is tissue to change: not in the black outside the sector or in anechoic fluid.
    let dark = 0;
    let sum = 0;
    for (const [i, d] of field) {
      if (d >= 1) continue;
      const v = tensor[Math.floor(i / w) * s + (i % w)] * frame.std[0] + frame.mean[0];
      sum += v;
      if (v < 16) dark++;
    }
    if (sum / area < 40 || dark > 0.1 * area) continue;
    const factor = rng.next() < 0.7 ? rng.uniform(0.2, 0.6) : rng.uniform(1.4, 2);
    // The edge blends over about 1.5 pixels of the blob's mean radius.
    const softness = 1.5 / Math.max(1, (rx + ry) / 2);
    for (const [i, d] of field) {
      const t = Math.min(1, Math.max(0, (1 + softness - d) / (2 * softness))); // 1 inside, 0 outside
      if (t === 0) continue;
      const scale = 1 + t * (factor - 1);
      const y = Math.floor(i / w);
      const x = i % w;
      for (let c = 0; c < 3; c++) {
        const at = c * s * s + y * s + x;
        const value = (tensor[at] * frame.std[c] + frame.mean[c]) * scale;
        tensor[at] = (Math.min(255, value) - frame.mean[c]) / frame.std[c];
      }
    }
    return mask;
  }
  return null;
}

function count(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] ? 1 : 0;
  return n;
}

function countInside(mask: Uint8Array, width: number, rect: Rect): number {
  let n = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const row = y * width;
    for (let x = rect.x; x < rect.x + rect.width; x++) n += mask[row + x] ? 1 : 0;
  }
  return n;
}
