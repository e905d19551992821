// Interactive training (SAM's recipe): before each step, the current model (forward only, the
// trainer's current weights) decodes every instance's first prompt; each following iteration adds
// a corrective click in the largest error region of the previous prediction (error_region.ts, the
// rule evaluation and the app use) — or, on the instance's click-free iterations, nothing — and
// feeds the previous prediction's low-resolution logits as the mask prompt. Each iteration's prompt
// set is written into a decoder slot of its own, so the step's loss covers every iteration. The mask
// prompt is data, not a graph path: no gradient flows from one iteration into the previous one.
import { serialize } from '../graph/onnx.js';
import { Runtime } from '../graph/runtime.js';
import type { ParamStore } from '../graph/trainer.js';
import { FINE_FEATURES, buildEncoderGraph } from '../model/sam.js';
import { postprocessMasks } from '../model/postprocess.js';
import { type Batch, type BatchLayout, type InstanceSlot, candidateRow } from './batch.js';
import { nextClick } from './error_region.js';
import { INPUTS, type TrainGraphOptions, buildForwardGraph } from './graph.js';

export class ClickSimulator {
  private constructor(
    private readonly encoder: Runtime | null,
    private readonly decoder: Runtime,
    private readonly layout: BatchLayout,
  ) {}

  /** `options` are the training graph's (mask input and empty slots on). */
  static async create(options: TrainGraphOptions, layout: BatchLayout, threads?: number): Promise<ClickSimulator> {
    if (!options.maskInput || !options.emptySlots) throw new Error('click simulation needs a graph with mask input and empty prompt slots');
    // One pass per instance: the simulation decodes all instances of the step together, iteration by iteration.
    const decoder = await Runtime.create(serialize(buildForwardGraph({ ...options, iterations: 1, source: 'cached', freezeEncoder: true }), { params: 'inputs' }), { threads });
    const encoder = options.source === 'full' ? await Runtime.create(serialize(buildEncoderGraph(options.config, options.images), { params: 'inputs' }), { threads }) : null;
    return new ClickSimulator(encoder, decoder, layout);
  }

  /** Fills passes 2..R of every instance (prompts and mask prompts) in the batch's feeds, in place. */
  async simulate(batch: Batch, params: ParamStore): Promise<void> {
    const { iterations: r, promptTokens: n, lowRes: l, imgSize: s, multimask, lonePoint } = this.layout;
    if (r === 1) return;
    const f = batch.feeds;
    const coords = f.point_coords as Float32Array;
    const labels = f.point_labels as Float32Array;
    const maskInput = f.mask_input as Float32Array;
    const hasMask = f.has_mask_input as Float32Array;
    const slotImage = f.instance_image as BigInt64Array;
    const encoded = this.encoder ? await this.encoder.run({ ...paramFeeds(this.encoder, params), image: f.image as Float32Array }) : null;
    const embedding = encoded ? (encoded.embedding.data as Float32Array) : (f.embedding as Float32Array);
    // A pixel branch's features go to the decoder beside the embedding (cached embeddings have none: planRun refuses that pair).
    const fine: Record<string, Float32Array> = encoded?.[FINE_FEATURES] ? { [INPUTS.fine]: encoded[FINE_FEATURES].data as Float32Array } : {};

    // The current prompt of each instance, one pass per instance, starting from its first prompt.
    const q = batch.instances.length;
    const now = {
      coords: new Float32Array(q * n * 2),
      labels: new Float32Array(q * n),
      mask: new Float32Array(q * l * l),
      has: new Float32Array(q),
      image: new BigInt64Array(q),
    };
    batch.instances.forEach((inst, i) => {
      now.coords.set(coords.subarray(inst.first * n * 2, (inst.first + 1) * n * 2), i * n * 2);
      now.labels.set(labels.subarray(inst.first * n, (inst.first + 1) * n), i * n);
      now.image[i] = slotImage[inst.first];
    });
    const clicksMade = new Int32Array(q);

    for (let pass = 1; pass < r; pass++) {
      const out = await this.decoder.run({
        ...paramFeeds(this.decoder, params),
        embedding,
        ...fine,
        instance_image: now.image,
        point_coords: now.coords,
        point_labels: now.labels,
        mask_input: now.mask,
        has_mask_input: now.has,
      });
      const logits = out.low_res_logits.data as Float32Array;
      const iou = out.iou_predictions.data as Float32Array;
      const k = out.iou_predictions.dims[1];
      batch.instances.forEach((inst, i) => {
        // The output the predictor would show for the prompt so far (click_rule.ts): the single mask,
        // or the best-scored candidate after a lone first point under SAM's lone-point rule.
        const row = candidateRow(multimask, inst.singlePoint && pass === 1 && lonePoint === 'candidates');
        let best = -1;
        for (let j = 0; j < k; j++) if (row[j] && (best < 0 || iou[i * k + j] > iou[i * k + best])) best = j;
        const chosen = logits.subarray((i * k + best) * l * l, (i * k + best + 1) * l * l);
        if (inst.real && inst.iterations[pass - 1] === 1) {
          const click = inst.input ? inputFrameClick(chosen, inst, l, s) : cellClick(chosen, inst, l, s);
          // A perfect prediction gets no click: the iteration refines with the mask alone.
          if (click) {
            if (2 + clicksMade[i] >= n) throw new Error(`click simulation: click ${clicksMade[i] + 1} of an instance needs more than the graph's ${n} prompt tokens`);
            const token = i * n + 2 + clicksMade[i]++;
            now.coords[2 * token] = click.x;
            now.coords[2 * token + 1] = click.y;
            now.labels[token] = click.positive ? 1 : 0;
          }
        }
        now.mask.set(chosen, i * l * l);
        now.has[i] = 1;
        const slot = inst.first + pass;
        coords.set(now.coords.subarray(i * n * 2, (i + 1) * n * 2), slot * n * 2);
        labels.set(now.labels.subarray(i * n, (i + 1) * n), slot * n);
        maskInput.set(chosen, slot * l * l);
        hasMask[slot] = 1;
      });
    }
  }

  async release(): Promise<void> {
    await this.encoder?.release();
    await this.decoder.release();
  }
}

/** A click in input-frame coordinates (as the decoder takes them). */
interface FrameClick {
  x: number;
  y: number;
  positive: boolean;
}

/** The next click on the L × L grid: the binary cells against the logits' signs (the padding's cells count as background). */
function cellClick(logits: Float32Array, inst: InstanceSlot, l: number, s: number): FrameClick | null {
  const [rows, cols] = inst.validCells;
  const predicted = new Uint8Array(l * l);
  for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) predicted[y * l + x] = logits[y * l + x] > 0 ? 1 : 0;
  const click = nextClick(predicted, inst.target, l, l);
  const factor = s / l;
  return click ? { x: (click.x + 0.5) * factor, y: (click.y + 0.5) * factor, positive: click.positive } : null;
}

/**
 * The next click on the input frame: the image's h × w part of the instance's input-frame mask
 * against the logits upsampled and cropped as postprocessing does it for an image of that size.
 */
function inputFrameClick(logits: Float32Array, inst: InstanceSlot, l: number, s: number): FrameClick | null {
  const [h, w] = inst.inputSize;
  const predicted = postprocessMasks(logits, 1, [l, l], { imgSize: s, inputSize: [h, w], originalSize: [h, w] })[0];
  const target = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) target.set(inst.input!.subarray(y * s, y * s + w), y * w);
  const click = nextClick(predicted, target, w, h);
  // Pixel centres, as the predictor places a user's click.
  return click ? { x: click.x + 0.5, y: click.y + 0.5, positive: click.positive } : null;
}

function paramFeeds(rt: Runtime, params: ParamStore): Record<string, Float32Array> {
  const feeds: Record<string, Float32Array> = {};
  for (const input of rt.signature.inputs) {
    if (!input.param) continue;
    const value = params.get(input.name);
    if (!value) throw new Error(`click simulation: no value for parameter '${input.name}'`);
    feeds[input.name] = value;
  }
  return feeds;
}
