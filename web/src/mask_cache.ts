// The decoded masks of one frame's prompts, each decoded once: keyed by the prompt with its
// corrective clicks (annotations.ts) and the Refine option, so undo, redo and switching objects bring
// a mask back without the decoder. A corrective click is decoded by SAM's interactive rule
// (src/eval/click_rule.ts): with the low-resolution logits of the output shown for the prompt before
// it as the mask input; when that prompt's masks are not cached (Refine toggled since, or a prompt
// restored by redo after its parent was never decoded), it is decoded first.
import { type LonePointOutput, clickRoundInput } from '../../src/eval/click_rule.js';
import { type ObjectPrompt, chosenCandidate, previousPrompt, promptKey, toModelPrompt } from './annotations.js';
import type { DecodePrompt, DecodeResult } from './protocol.js';

export interface CachedMasks extends DecodeResult {
  /** Pixels of each output's mask. */
  areas: number[];
}

/** One decoder run (the model worker's decode on the frame's embedding). */
export type DecodeFn = (prompt: DecodePrompt) => Promise<DecodeResult>;

/** The low-resolution logits (L × L) of one output. */
export function outputLogits(result: DecodeResult, output: number): Float32Array {
  const count = result.masks.length;
  if (!Number.isInteger(output) || output < 0 || output >= count) throw new Error(`output ${output} does not exist: the decoder gave ${count}`);
  const per = result.lowResLogits.length / count;
  return result.lowResLogits.slice(output * per, (output + 1) * per);
}

export class MaskCache {
  private readonly decoded = new Map<string, CachedMasks>();
  private readonly pending = new Map<string, Promise<CachedMasks>>();

  /**
   * `lonePoint`: the model's rule for a lone click (ModelInfo.lonePoint), for the output kept before
   * a corrective click; asked at each decode, since a frame may be opened before the model is ready.
   */
  constructor(private readonly lonePoint: () => LonePointOutput = () => 'candidates') {}

  private static key(prompt: ObjectPrompt, refine: boolean): string {
    return `${refine ? 'refine|' : ''}${promptKey(prompt)}`;
  }

  get(prompt: ObjectPrompt, refine: boolean): CachedMasks | undefined {
    return this.decoded.get(MaskCache.key(prompt, refine));
  }

  /** Whether the prompt's masks are being decoded. */
  isPending(prompt: ObjectPrompt, refine: boolean): boolean {
    return this.pending.has(MaskCache.key(prompt, refine));
  }

  /** The masks of a prompt: cached, being decoded, or decoded now (the prompts before its corrective clicks first). */
  resolve(prompt: ObjectPrompt, refine: boolean, decode: DecodeFn): Promise<CachedMasks> {
    const key = MaskCache.key(prompt, refine);
    const cached = this.decoded.get(key);
    if (cached) return Promise.resolve(cached);
    let pending = this.pending.get(key);
    if (!pending) {
      // A failed decode is forgotten, so that the next refresh tries again.
      pending = this.decodeByRule(prompt, refine, decode).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async decodeByRule(prompt: ObjectPrompt, refine: boolean, decode: DecodeFn): Promise<CachedMasks> {
    const previous = previousPrompt(prompt);
    let kept: Float32Array | undefined;
    if (previous) {
      const before = await this.resolve(previous.prompt, refine, decode);
      kept = outputLogits(before, chosenCandidate({ prompt: previous.prompt, chosen: previous.kept ?? undefined }, before.scores, refine, this.lonePoint()));
    }
    const result = await decode({ ...clickRoundInput(toModelPrompt(prompt), kept), refine });
    const masks: CachedMasks = { ...result, areas: result.masks.map((m) => m.reduce((a, v) => a + v, 0)) };
    this.decoded.set(MaskCache.key(prompt, refine), masks);
    return masks;
  }
}
