// Assembles I prepared samples into the training graph's feeds: I·K instances (those of images with
// fewer instances are padding, weight 0), each owning R decoder slots (its first prompt and the
// interactive iterations after it), N prompt tokens per slot (the first two hold the simulated point
// or box; the rest are empty slots, label −2, until the click simulation fills them).
import type { LonePointOutput } from '../eval/click_rule.js';
import { EMPTY_SLOT_LABEL } from '../model/sam.js';
import type { ClickGrid, PreparedInstance, PreparedSample } from './sample.js';

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
  /**
   * Decoder passes per instance (R): the first prompt, then one per interactive iteration (a
   * corrective click or the previous mask alone); every pass is a slot of its own and has its loss.
   */
  iterations: number;
  promptTokens: number;
  /** Low-resolution grid side L. */
  lowRes: number;
  /** Model input side S. */
  imgSize: number;
  /** Side of the loss's target: L (absent) or S (maskTarget 'input'). */
  targetSide?: number;
  /** Where the click simulation finds corrective clicks (absent: 'cells'). */
  clickGrid?: ClickGrid;
  multimask: MultimaskMode;
  /** The weights' lone-point rule: which output the click simulation keeps after a lone first point. */
  lonePoint: LonePointOutput;
  refine: boolean;
  /** The graph takes mask_input / has_mask_input (interactive iterations). */
  maskInput: boolean;
}

/** What the click simulation needs to know of one instance (image i, instance j). */
export interface InstanceSlot {
  /** Slot of its first pass; pass r is slot first + r. */
  first: number;
  /** L × L target, 0/1 (zeros for a padding instance). */
  target: Uint8Array;
  /** Iterations after the first pass: 1 adds a corrective click, 0 only the previous mask. */
  iterations: Uint8Array;
  /** A real instance (not padding). */
  real: boolean;
  /** Its first prompt is a single point. */
  singlePoint: boolean;
  /** Low-res cells [rows, columns] covered by the image (the rest is padding). */
  validCells: [number, number];
  /** Size [h, w] of the image inside the S × S input frame. */
  inputSize: [number, number];
  /** S × S mask on the padded input frame, where the layout's clickGrid is 'input' (absent for a padding instance). */
  input?: Uint8Array;
}

export interface Batch {
  /** Graph inputs by name (image is absent with cached embeddings: the caller fills `embedding`). */
  feeds: Record<string, Float32Array | BigInt64Array>;
  /** I·K instances in order; each owns R consecutive slots. */
  instances: InstanceSlot[];
  /** Real instances in the batch. */
  count: number;
}

/** Candidate outputs (0..3) as a 0/1 row: see MultimaskMode. */
export function candidateRow(mode: MultimaskMode, singlePointWithoutMask: boolean): number[] {
  const multi = mode === 'always' || (mode === 'auto' && singlePointWithoutMask);
  return multi ? [0, 1, 1, 1] : [1, 0, 0, 0];
}

/** Decoder slots of a step: images × instances per image × passes per instance. */
export function slotCount(layout: BatchLayout): number {
  return layout.images * layout.instancesPerImage * layout.iterations;
}

/**
 * The step's feeds. Every pass of an instance starts as a copy of its first prompt with no mask
 * prompt; the click simulation (clicks.ts) turns passes 2..R into the interactive iterations.
 */
export function assembleBatch(samples: readonly PreparedSample[], layout: BatchLayout): Batch {
  const { images, instancesPerImage: k, iterations: r, promptTokens: n, lowRes: l, imgSize: s } = layout;
  if (samples.length !== images) throw new Error(`batch: ${samples.length} samples for ${images} images per step`);
  if (n < 2) throw new Error(`batch: at least 2 prompt tokens per instance, got ${n}`);
  if (r > 1 && !layout.maskInput) throw new Error('batch: interactive iterations need the mask input');
  const b = slotCount(layout);
  const image = samples.every((x) => x.image) ? new Float32Array(images * 3 * s * s) : undefined;
  const instanceImage = new BigInt64Array(b);
  const coords = new Float32Array(b * n * 2);
  const labels = new Float32Array(b * n).fill(EMPTY_SLOT_LABEL);
  const t = layout.targetSide ?? l;
  if (t !== l && t !== s) throw new Error(`batch: the target side ${t} must be the low-resolution side ${l} or the input side ${s}`);
  const target = new Float32Array(b * t * t);
  const weight = new Float32Array(b);
  const candidates = new Float32Array(b * 4);
  const refineCandidates = new Float32Array(b * 4);
  const instances: InstanceSlot[] = [];
  const factor = s / l;
  let count = 0;

  samples.forEach((sample, i) => {
    if (image) image.set(sample.image!, i * 3 * s * s);
    const validCells: [number, number] = [Math.ceil(sample.inputSize[0] / factor), Math.ceil(sample.inputSize[1] / factor)];
    for (let j = 0; j < k; j++) {
      const inst = sample.instances[j];
      const first = (i * k + j) * r;
      const singlePoint = !inst || inst.kind === 'point';
      if (inst && inst.iterations.length !== r - 1) {
        throw new Error(`batch: an instance plans ${inst.iterations.length} iterations, the layout has ${r - 1}`);
      }
      for (let pass = 0; pass < r; pass++) {
        const slot = first + pass;
        instanceImage[slot] = BigInt(i);
        if (inst) {
          coords.set(inst.coords, slot * n * 2);
          labels.set(inst.labels, slot * n);
          const cells = t === l ? (inst.coverage ?? inst.target) : inst.input;
          if (!cells) throw new Error(`batch: the layout's target side is ${t}, an instance has no input-frame mask (maskTarget 'input')`);
          for (let c = 0; c < t * t; c++) target[slot * t * t + c] = cells[c];
          weight[slot] = 1;
        } else {
          // A padding slot: any valid prompt (a point and the padding point), weight 0.
          labels.set([1, -1], slot * n);
        }
        // Later passes hold several prompts and a mask: supervised through output 0; so is a lone
        // point drawn for the single output under the 'single' lone-point rule.
        candidates.set(candidateRow(layout.multimask, singlePoint && pass === 0 && !inst?.singleOutput), slot * 4);
        refineCandidates.set(candidateRow(layout.multimask, false), slot * 4);
      }
      if (inst) count++;
      instances.push({
        first,
        target: inst?.target ?? new Uint8Array(l * l),
        iterations: inst?.iterations ?? new Uint8Array(r - 1),
        real: inst !== undefined,
        singlePoint,
        validCells,
        inputSize: sample.inputSize,
        ...(layout.clickGrid === 'input' && inst ? { input: inputFrameMask(inst) } : {}),
      });
    }
  });

  const feeds: Batch['feeds'] = { instance_image: instanceImage, point_coords: coords, point_labels: labels, target, weight, candidates };
  if (image) feeds.image = image;
  if (layout.refine) feeds.refine_candidates = refineCandidates;
  if (layout.maskInput) {
    feeds.mask_input = new Float32Array(b * l * l);
    feeds.has_mask_input = new Float32Array(b);
  }
  return { feeds, instances, count };
}

function inputFrameMask(inst: PreparedInstance): Uint8Array {
  if (!inst.input) throw new Error(`batch: the layout's clickGrid is 'input', an instance has no input-frame mask`);
  return inst.input;
}
