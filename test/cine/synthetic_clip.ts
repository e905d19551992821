// A synthetic cine clip with known masks: an elliptical structure with a bright wall on speckle (the
// look of a fetal head in HC18, one of the bundled model's training sets) that moves across the
// frame, turns, and breathes (its axes change) — deterministic for a given seed.
import type { RawImage } from '../../src/image/types.js';

export interface Ellipse {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  /** Rotation, radians. */
  angle: number;
}

export interface SyntheticClip {
  frames: RawImage[];
  /** The true mask of each frame (the wall included), row-major, 1 = structure. */
  masks: Uint8Array[];
  ellipses: Ellipse[];
}

/** Park–Miller generator: the same speckle on every run. */
function random(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/** Normalised radius of pixel (x, y) in the ellipse: ≤ 1 inside. */
export function ellipseRadius(e: Ellipse, x: number, y: number): number {
  const dx = x + 0.5 - e.cx;
  const dy = y + 0.5 - e.cy;
  const c = Math.cos(e.angle);
  const s = Math.sin(e.angle);
  return Math.hypot((dx * c + dy * s) / e.rx, (-dx * s + dy * c) / e.ry);
}

/** The tight box [x0, y0, x1, y1] of a mask, right/bottom one past the last pixel. */
export function maskBoxOf(mask: Uint8Array, width: number): [number, number, number, number] {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const x = i % width;
    const y = (i - x) / width;
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  return [x0, y0, x1 + 1, y1 + 1];
}

export function syntheticClip(options: { width?: number; height?: number; frames?: number; seed?: number } = {}): SyntheticClip {
  const width = options.width ?? 256;
  const height = options.height ?? 256;
  const count = options.frames ?? 12;
  const rand = random(options.seed ?? 11);
  const frames: RawImage[] = [];
  const masks: Uint8Array[] = [];
  const ellipses: Ellipse[] = [];
  for (let f = 0; f < count; f++) {
    const t = count > 1 ? f / (count - 1) : 0;
    const breath = Math.sin(2 * Math.PI * t);
    const e: Ellipse = {
      cx: width * (0.4 + 0.2 * t),
      cy: height * (0.47 + 0.05 * breath),
      rx: width * (0.26 + 0.03 * breath),
      ry: height * (0.2 - 0.02 * breath),
      angle: 0.35 * t,
    };
    ellipses.push(e);
    const data = new Uint8Array(width * height);
    const mask = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const r = ellipseRadius(e, x, y);
        const n = rand();
        mask[i] = r <= 1 ? 1 : 0;
        data[i] = Math.round(r <= 0.92 ? 60 + 50 * n : r <= 1 ? 205 + 50 * n : 20 + 40 * n);
      }
    }
    frames.push({ data, width, height, channels: 1 });
    masks.push(mask);
  }
  return { frames, masks, ellipses };
}

export function dice(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ? 1 : 0;
    const y = b[i] ? 1 : 0;
    inter += x & y;
    sum += x + y;
  }
  return sum === 0 ? 1 : (2 * inter) / sum;
}
