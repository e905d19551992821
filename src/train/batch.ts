// Assembles I prepared samples into the training graph's feeds: B = I·K instance slots (slots of
// images with fewer instances are padding, weight 0), N prompt tokens per slot (the first two hold
// the simulated point or box; the rest are empty slots, label −2, for multi-click).
import { EMPTY_SLOT_LABEL } from '../model/sam.js';
import type { PreparedSample } from './sample.js';

/**
 * Which decoder outputs an instance is supervised through: 'auto' is SAM's rule, the one our
 * predictor follows by default — a single point without a mask prompt is ambiguous and gets the
 * best of outputs 1–3; a box, several points or a mask prompt get output 0. 'always' supervises
 * outputs 1–3 (the reference UltraSam without refinement), 'never' output 0 only.
 */
export type MultimaskMode = 'auto' | 'always' | 'never';

export interface BatchLayout {
  images: number;
  instancesPerImage: number;
  promptTokens: number;
  /** Low-resolution grid side L. */
  lowRes: number;
  /** Model input side S. */
  imgSize: number;
  multimask: MultimaskMode;
  refine: boolean;
  /** The graph takes mask_input / has_mask_input (multi-click). */
  maskInput: boolean;
}

export interface Batch {
  /** Graph inputs by name (image is absent with cached embeddings: the caller fills `embedding`). */
  feeds: Record<string, Float32Array | BigInt64Array>;
  /** Per slot: its target (L × L, 0/1), extra clicks to simulate, whether it holds a single point. */
  targets: Uint8Array[];
  extraClicks: Int32Array;
  singlePoint: boolean[];
  /** Per slot: the low-res cells [rows, columns] covered by the image (the rest is padding). */
  validCells: [number, number][];
  /** Real instances in the batch. */
  instances: number;
}

/** Candidate outputs (0..3) as a 0/1 row: see MultimaskMode. */
export function candidateRow(mode: MultimaskMode, singlePointWithoutMask: boolean): number[] {
  const multi = mode === 'always' || (mode === 'auto' && singlePointWithoutMask);
  return multi ? [0, 1, 1, 1] : [1, 0, 0, 0];
}

export function assembleBatch(samples: readonly PreparedSample[], layout: BatchLayout): Batch {
  const { images, instancesPerImage: k, promptTokens: n, lowRes: l, imgSize: s } = layout;
  if (samples.length !== images) throw new Error(`batch: ${samples.length} samples for ${images} images per step`);
  if (n < 2) throw new Error(`batch: at least 2 prompt tokens per instance, got ${n}`);
  const b = images * k;
  const image = samples.every((x) => x.image) ? new Float32Array(images * 3 * s * s) : undefined;
  const instanceImage = new BigInt64Array(b);
  const coords = new Float32Array(b * n * 2);
  const labels = new Float32Array(b * n).fill(EMPTY_SLOT_LABEL);
  const target = new Float32Array(b * l * l);
  const weight = new Float32Array(b);
  const candidates = new Float32Array(b * 4);
  const refineCandidates = new Float32Array(b * 4);
  const targets: Uint8Array[] = [];
  const extraClicks = new Int32Array(b);
  const singlePoint: boolean[] = [];
  const validCells: [number, number][] = [];
  const factor = s / l;
  let instances = 0;

  samples.forEach((sample, i) => {
    if (image) image.set(sample.image!, i * 3 * s * s);
    for (let j = 0; j < k; j++) {
      const slot = i * k + j;
      instanceImage[slot] = BigInt(i);
      const inst = sample.instances[j];
      if (inst) {
        coords.set(inst.coords, slot * n * 2);
        labels.set(inst.labels, slot * n);
        for (let c = 0; c < l * l; c++) target[slot * l * l + c] = inst.target[c];
        weight[slot] = 1;
        extraClicks[slot] = inst.extraClicks;
        targets.push(inst.target);
        instances++;
      } else {
        // A padding slot: any valid prompt (a point and the padding point), weight 0.
        labels.set([1, -1], slot * n);
        targets.push(new Uint8Array(l * l));
      }
      validCells.push([Math.ceil(sample.inputSize[0] / factor), Math.ceil(sample.inputSize[1] / factor)]);
      const single = !inst || inst.kind === 'point';
      singlePoint.push(single);
      candidates.set(candidateRow(layout.multimask, single), slot * 4);
      refineCandidates.set(candidateRow(layout.multimask, false), slot * 4);
    }
  });

  const feeds: Batch['feeds'] = { instance_image: instanceImage, point_coords: coords, point_labels: labels, target, weight, candidates };
  if (image) feeds.image = image;
  if (layout.refine) feeds.refine_candidates = refineCandidates;
  if (layout.maskInput) {
    feeds.mask_input = new Float32Array(b * l * l);
    feeds.has_mask_input = new Float32Array(b);
  }
  return { feeds, targets, extraClicks, singlePoint, validCells, instances };
}
