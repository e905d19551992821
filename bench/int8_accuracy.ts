// int8 encoder against fp32 on real ultrasound images: `npm run bench:int8 -- [--weights FILE|ultrasam-tiny|vit_b-random]
// [--images N] [--threads N] [--json]`. For the first N images of DDTI (thyroid nodules) and HC18
// (fetal heads) in ../shared, the image embedding of the int8-quantised encoder (see quantize.ts)
// against the fp32 one (relative RMS error), and the masks the decoder gives from both embeddings
// for the ground truth's box and for a point at its centre (share of pixels that agree). The
// issue's bars: relative RMS ≤ 3e-2, agreement ≥ 99 %. Without a checkpoint the bundled
// ultrasam-tiny (trained weights); `vit_b-random` is SAM ViT-B with random weights (speed-only
// weights: its embeddings say little about a trained model's).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readImage } from '../src/image/read.js';
import { samConfig } from '../src/model/config.js';
import { type Prediction, SamPredictor } from '../src/model/predictor.js';
import { randomValues } from './random_weights.js';
import { benchArgs, pixelAgreement, report } from './util.js';

export const DATA_DIR = fileURLToPath(new URL('../../shared/data/ultrasound/', import.meta.url));

/** Image and ground-truth mask files of the first `count` images of DDTI and HC18 (sorted by name). */
export function realImages(count: number): { dataset: string; image: string; mask: string }[] {
  const ddti = join(DATA_DIR, 'ddti', 'DDTI');
  const hc18 = join(DATA_DIR, 'hc18', 'training_set');
  const pick = (dir: string, suffix: string, maskOf: (f: string) => string, dataset: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith(suffix))
      .sort()
      .slice(0, count)
      .map((f) => ({ dataset, image: join(dir, f), mask: join(dir, maskOf(f)) }));
  return [...pick(ddti, '.a.jpg', (f) => f.replace('.a.jpg', '.b.jpg'), 'DDTI'), ...pick(hc18, '_HC.png', (f) => f.replace('_HC.png', '_HC_Annotation.png'), 'HC18')];
}

/** Bounding box [x0, y0, x1, y1] of the mask's pixels above 127 (DDTI's filled JPEG masks, HC18's outlines). */
async function groundTruthBox(path: string): Promise<[number, number, number, number]> {
  const m = await readImage(path);
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (m.data[(y * m.width + x) * m.channels] > 127) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  if (x1 < 0) throw new Error(`${path}: the ground-truth mask is empty`);
  return [x0, y0, x1, y1];
}

export interface Int8Comparison {
  dataset: string;
  image: string;
  /** ‖int8 − fp32‖ / ‖fp32‖ over the embedding. */
  embeddingRelRms: number;
  /** Lowest share of agreeing pixels over the masks of the box and the point prompt. */
  maskAgreement: number;
}

/** The int8 encoder against the fp32 one on the given images (same decoder, same prompts). */
export async function compareInt8(load: (quantizeEncoder: boolean) => Promise<SamPredictor>, images: { dataset: string; image: string; mask: string }[]): Promise<Int8Comparison[]> {
  const [fp32, int8] = [await load(false), await load(true)];
  const out: Int8Comparison[] = [];
  try {
    for (const item of images) {
      const image = await readImage(item.image);
      const box = await groundTruthBox(item.mask);
      const prompts = [{ box }, { points: [[(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]] as [number, number][], labels: [1], multimask: true }];
      const run = async (p: SamPredictor) => {
        await p.setImage(image);
        return { embedding: p.embedding, predictions: await p.predictBatch(prompts) };
      };
      const a = await run(fp32);
      const b = await run(int8);
      let sq = 0;
      let ref = 0;
      for (let i = 0; i < a.embedding.length; i++) {
        sq += (a.embedding[i] - b.embedding[i]) ** 2;
        ref += a.embedding[i] ** 2;
      }
      out.push({ dataset: item.dataset, image: item.image, embeddingRelRms: Math.sqrt(sq / ref), maskAgreement: agreement(a.predictions, b.predictions) });
    }
  } finally {
    await fp32.release();
    await int8.release();
  }
  return out;
}

function agreement(a: Prediction[], b: Prediction[]): number {
  let lowest = 1;
  a.forEach((p, i) =>
    p.masks.forEach((mask, k) => {
      lowest = Math.min(lowest, pixelAgreement(mask, b[i].masks[k]));
    }),
  );
  return lowest;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { json, threads, text } = benchArgs(1);
  const weights = text('--weights', 'ultrasam-tiny');
  const count = Number(text('--images', '10'));
  if (!existsSync(DATA_DIR)) throw new Error(`no real images: ${DATA_DIR} is absent (see ../shared/data/README.md)`);
  const load = (quantizeEncoder: boolean) => {
    if (weights !== 'vit_b-random') return SamPredictor.load(weights, { threads, quantizeEncoder });
    const config = samConfig('vit_b');
    return Promise.resolve(SamPredictor.fromValues(config, randomValues(config, 1), false, { threads, quantizeEncoder }));
  };
  const rows = await compareInt8(load, realImages(count));
  const result: Record<string, unknown> = { weights, images_per_dataset: count };
  for (const dataset of ['DDTI', 'HC18']) {
    const mine = rows.filter((r) => r.dataset === dataset);
    const key = dataset.toLowerCase();
    result[`${key}_embedding_rel_rms_max`] = Number(Math.max(...mine.map((r) => r.embeddingRelRms)).toExponential(2));
    result[`${key}_embedding_rel_rms_mean`] = Number((mine.reduce((s, r) => s + r.embeddingRelRms, 0) / mine.length).toExponential(2));
    result[`${key}_mask_agreement_min`] = Number(Math.min(...mine.map((r) => r.maskAgreement)).toFixed(5));
  }
  report(result, json);
}
