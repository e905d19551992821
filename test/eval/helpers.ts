// Shared pieces of the evaluation tests: rectangle masks, a synthetic COCO corpus written to a temp
// folder, and fake predictors with known answers that implement the evaluation's predictor interface.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCoco, type CocoAnnotation, type CocoFile, type CocoImage } from '../../src/data/coco.js';
import { encodeMask } from '../../src/data/rle.js';
import type { EvalPredictor } from '../../src/eval/types.js';
import { encodePng, writeFileAtomic } from '../../src/image/write.js';
import type { ImageSource } from '../../src/image/read.js';
import type { PredictInput, Prediction } from '../../src/model/predictor.js';

/** [x, y, w, h] */
export type Rect = [number, number, number, number];

export function rectMask(width: number, height: number, rects: readonly Rect[]): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const [x0, y0, w, h] of rects) {
    for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
      for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) mask[y * width + x] = 1;
    }
  }
  return mask;
}

export interface SyntheticImage {
  name: string;
  width: number;
  height: number;
  dataset?: string;
  /** Instances: rectangle, category id, and optional crowd flag. */
  instances: { rect: Rect; category: number; crowd?: boolean }[];
}

/**
 * Writes `<dir>/images/<name>` (grey gradient PNGs) and `<dir>/test.coco.json`; returns the COCO and
 * the rectangles of each image by image path (what the fake predictors know).
 */
export async function writeSyntheticCorpus(
  dir: string,
  images: SyntheticImage[],
  categories: { id: number; name: string }[],
): Promise<{ cocoPath: string; coco: CocoFile; rects: Map<string, { width: number; height: number; rects: Rect[] }> }> {
  await mkdir(join(dir, 'images'), { recursive: true });
  const cocoImages: CocoImage[] = [];
  const annotations: CocoAnnotation[] = [];
  const rects = new Map<string, { width: number; height: number; rects: Rect[] }>();
  let annId = 1;
  for (const [i, im] of images.entries()) {
    const grey = new Uint8Array(im.width * im.height);
    for (let k = 0; k < grey.length; k++) grey[k] = 40 + (k % 7) * 10;
    const path = join(dir, 'images', im.name);
    await writeFileAtomic(path, await encodePng({ data: grey, width: im.width, height: im.height, channels: 1 }));
    cocoImages.push({ id: i + 1, file_name: `images/${im.name}`, width: im.width, height: im.height, ...(im.dataset ? { dataset: im.dataset } : {}) });
    rects.set(path, { width: im.width, height: im.height, rects: im.instances.map((x) => x.rect) });
    for (const inst of im.instances) {
      const mask = rectMask(im.width, im.height, [inst.rect]);
      const area = mask.reduce((s, v) => s + v, 0);
      annotations.push({
        id: annId++,
        image_id: i + 1,
        category_id: inst.category,
        segmentation: encodeMask(mask, im.height, im.width),
        area,
        bbox: area ? [inst.rect[0], inst.rect[1], inst.rect[2], inst.rect[3]] : [0, 0, 0, 0],
        iscrowd: inst.crowd ? 1 : 0,
      });
    }
  }
  const coco: CocoFile = { info: {}, images: cocoImages, annotations, categories: categories.map((c) => ({ ...c, supercategory: 'object' })) };
  const cocoPath = join(dir, 'test.coco.json');
  await writeCoco(cocoPath, coco);
  return { cocoPath, coco, rects };
}

const LOW = 16; // low-resolution logits side of the fakes

function prediction(masks: Uint8Array[], scores: number[], width: number, height: number): Prediction {
  const lowResLogits = new Float32Array(masks.length * LOW * LOW);
  masks.forEach((_, k) => lowResLogits.fill(k + 1, k * LOW * LOW, (k + 1) * LOW * LOW)); // output k's logits are all k + 1
  return { masks, scores: Float32Array.from(scores), lowResLogits, width, height };
}

abstract class FakeBase implements EvalPredictor {
  current: { width: number; height: number; rects: Rect[] } | undefined;
  readonly setImages: string[] = [];
  readonly batches: PredictInput[][] = [];

  constructor(private readonly images: Map<string, { width: number; height: number; rects: Rect[] }>) {}

  async setImage(source: ImageSource): Promise<void> {
    if (typeof source !== 'string') throw new Error('fake predictor: expected an image path');
    const known = this.images.get(source);
    if (!known) throw new Error(`fake predictor: unknown image ${source}`);
    this.current = known;
    this.setImages.push(source);
  }

  async predictBatch(inputs: readonly PredictInput[]): Promise<Prediction[]> {
    if (!this.current) throw new Error('fake predictor: no image set');
    this.batches.push([...inputs]);
    return inputs.map((input) => this.answer(input, this.current!));
  }

  /** The ground-truth rectangle that contains a point (pixel indices, +0.5 pixel centres). */
  protected rectAt([x, y]: readonly [number, number], rects: Rect[]): Rect {
    const px = Math.floor(x + 0.5);
    const py = Math.floor(y + 0.5);
    const found = rects.find(([x0, y0, w, h]) => px >= x0 && px < x0 + w && py >= y0 && py < y0 + h);
    if (!found) throw new Error(`fake predictor: point (${x}, ${y}) is in no rectangle`);
    return found;
  }

  protected abstract answer(input: PredictInput, image: { width: number; height: number; rects: Rect[] }): Prediction;
}

/**
 * Returns the prompted ground-truth rectangle shifted right by one pixel, score 0.9 — for a box the
 * rectangle of the box itself. With multimask it returns three outputs (empty 0.2, the shifted
 * rectangle 0.9, the whole image 0.5), so a wrong choice of output shows in the Dice.
 */
export class ShiftFake extends FakeBase {
  protected answer(input: PredictInput, { width, height, rects }: { width: number; height: number; rects: Rect[] }): Prediction {
    let rect: Rect;
    if (input.box) {
      const [x0, y0, x1, y1] = input.box.map(Math.round);
      rect = [x0, y0, x1 - x0, y1 - y0];
    } else rect = this.rectAt(input.points![0], rects);
    const shifted = rectMask(width, height, [[rect[0] + 1, rect[1], rect[2], rect[3]]]);
    const multimask = input.multimask ?? (!input.box && input.points?.length === 1 && !input.maskInput);
    if (!multimask) return prediction([shifted], [0.9], width, height);
    return prediction([new Uint8Array(width * height), shifted, new Uint8Array(width * height).fill(1)], [0.2, 0.9, 0.5], width, height);
  }
}

/**
 * For clicks: one click gives the left half of the rectangle (three outputs; the half is the best
 * scored, its logits all 1); two clicks give the whole rectangle when the second click is positive,
 * inside the right half, and the mask prompt is the first answer's logits; anything else gives an
 * empty mask.
 */
export class ClickFake extends FakeBase {
  protected answer(input: PredictInput, { width, height, rects }: { width: number; height: number; rects: Rect[] }): Prediction {
    const points = input.points ?? [];
    const rect = this.rectAt(points[0], rects);
    const [x0, y0, w, h] = rect;
    const half = Math.floor(w / 2);
    if (points.length === 1 && !input.maskInput) {
      const left = rectMask(width, height, [[x0, y0, half, h]]);
      const quarter = rectMask(width, height, [[x0, y0, Math.floor(w / 4), h]]);
      return prediction([quarter, left, new Uint8Array(width * height)], [0.3, 0.8, 0.1], width, height);
    }
    const [px, py] = points[1];
    const good = points.length === 2 && input.labels?.[1] === 1 && px >= x0 + half && px < x0 + w && py >= y0 && py < y0 + h && !!input.maskInput && input.maskInput.every((v) => v === 2);
    return prediction([good ? rectMask(width, height, [rect]) : new Uint8Array(width * height)], [good ? 0.95 : 0.05], width, height);
  }
}
