// Multi-click simulation between training steps: for instances drawn to get k extra clicks, the
// current model (forward only, the trainer's current weights) predicts, the next click goes to the
// interior of the largest error region (error_region.ts), and the prediction's logits become the
// mask prompt of the next round; after k rounds the step trains on the last prompt set, so the
// model learns from several and negative points and from its own previous masks.
import { serialize } from '../graph/onnx.js';
import { Runtime } from '../graph/runtime.js';
import type { ParamStore } from '../graph/trainer.js';
import { buildEncoderGraph } from '../model/sam.js';
import { type Batch, type BatchLayout, candidateRow } from './batch.js';
import { nextClick } from './error_region.js';
import { type TrainGraphOptions, buildForwardGraph } from './graph.js';

export class ClickSimulator {
  private constructor(
    private readonly encoder: Runtime | null,
    private readonly decoder: Runtime,
    private readonly layout: BatchLayout,
  ) {}

  /** `options` are the training graph's (mask input and empty slots on). */
  static async create(options: TrainGraphOptions, layout: BatchLayout, threads?: number): Promise<ClickSimulator> {
    if (!options.maskInput || !options.emptySlots) throw new Error('click simulation needs a graph with mask input and empty prompt slots');
    const decoder = await Runtime.create(
      serialize(buildForwardGraph({ ...options, source: 'cached', freezeEncoder: true }), { params: 'inputs' }),
      { threads },
    );
    const encoder =
      options.source === 'full'
        ? await Runtime.create(serialize(buildEncoderGraph(options.config, options.images), { params: 'inputs' }), { threads })
        : null;
    return new ClickSimulator(encoder, decoder, layout);
  }

  /** Adds the simulated clicks and mask prompts to the batch's feeds in place. */
  async simulate(batch: Batch, params: ParamStore): Promise<void> {
    const rounds = Math.max(0, ...batch.extraClicks);
    if (rounds === 0) return;
    const { promptTokens: n, lowRes: l, imgSize: s } = this.layout;
    const f = batch.feeds;
    const coords = f.point_coords as Float32Array;
    const labels = f.point_labels as Float32Array;
    const maskInput = f.mask_input as Float32Array;
    const hasMask = f.has_mask_input as Float32Array;
    if (rounds + 2 > n) throw new Error(`click simulation: ${rounds} extra clicks need ${rounds + 2} prompt tokens, the graph has ${n}`);
    const embedding = this.encoder
      ? ((await this.encoder.run({ ...paramFeeds(this.encoder, params), image: f.image as Float32Array })).embedding.data as Float32Array)
      : (f.embedding as Float32Array);
    const clicks = new Int32Array(batch.extraClicks.length);
    const factor = s / l;

    for (let round = 1; round <= rounds; round++) {
      const out = await this.decoder.run({
        ...paramFeeds(this.decoder, params),
        embedding,
        instance_image: f.instance_image,
        point_coords: coords,
        point_labels: labels,
        mask_input: maskInput,
        has_mask_input: hasMask,
      });
      const logits = out.low_res_logits.data as Float32Array;
      const iou = out.iou_predictions.data as Float32Array;
      const k = out.iou_predictions.dims[1];
      for (let slot = 0; slot < clicks.length; slot++) {
        if (batch.extraClicks[slot] < round || clicks[slot] !== round - 1) continue;
        // The output the predictor would show for the prompt so far: highest predicted IoU among the candidates.
        const row = candidateRow(this.layout.multimask, batch.singlePoint[slot] && round === 1);
        let best = -1;
        for (let j = 0; j < k; j++) if (row[j] && (best < 0 || iou[slot * k + j] > iou[slot * k + best])) best = j;
        const chosen = logits.subarray((slot * k + best) * l * l, (slot * k + best + 1) * l * l);
        const [rows, cols] = batch.validCells[slot];
        const predicted = new Uint8Array(l * l);
        for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) predicted[y * l + x] = chosen[y * l + x] > 0 ? 1 : 0;
        const click = nextClick(predicted, batch.targets[slot], l, l);
        if (!click) continue; // already perfect: no more clicks for this instance
        const token = slot * n + 1 + round;
        coords[2 * token] = (click.x + 0.5) * factor;
        coords[2 * token + 1] = (click.y + 0.5) * factor;
        labels[token] = click.positive ? 1 : 0;
        maskInput.set(chosen, slot * l * l);
        hasMask[slot] = 1;
        clicks[slot] = round;
      }
    }
    // Instances that received clicks now hold several prompts and a mask: supervise accordingly.
    const candidates = f.candidates as Float32Array;
    for (let slot = 0; slot < clicks.length; slot++) if (clicks[slot] > 0) candidates.set(candidateRow(this.layout.multimask, false), slot * 4);
  }

  async release(): Promise<void> {
    await this.encoder?.release();
    await this.decoder.release();
  }
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
