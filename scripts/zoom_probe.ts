// Probe: would corrective clicks gain from zooming in (RITM's "zoom-in" at inference)? Scores the
// clicks:K protocol (eval's click rule: clicks.ts, click_rule.ts) two ways per instance:
// - plain: every round decodes on the whole image (what `eval clicks:K` does);
// - zoom: from the second click on, the image is cropped to the current mask and all clicks so far,
//   expanded `--expand` times around its centre (no zoom when that covers most of the image; with
//   `--max-zoom M` the crop's side is at least 1/M of the image's long side, so the crop is never
//   magnified more than M times — training's crop augmentation magnifies up to 2.5 times; with
//   `--zoom-below P` only masks whose box (with the clicks) is under P pixels on its longer side), the
//   crop is encoded at the model's input size, the clicks are moved into it, and the previous
//   round's logits (kept at full resolution) are resampled onto the crop's low-resolution grid as
//   the mask prompt; the crop's logits are pasted back into the full-resolution logits.
// Dice per click, averaged per dataset. A measurement for choosing, not a product path.
//   npx tsx scripts/zoom_probe.ts <corpus-dir> [--weights W] [--datasets A,B] [--split val] [--clicks 5] [--expand 1.4] [--max-zoom M] [--zoom-below P] [--threads N]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { firstClick, nextClick, type Click } from '../src/eval/clicks.js';
import { maskOverlap } from '../src/eval/metrics.js';
import { bestOutput } from '../src/eval/predict.js';
import { readImage } from '../src/image/read.js';
import { getPreprocessShape } from '../src/image/resize.js';
import { thresholdMasks, upscaleLogits } from '../src/model/postprocess.js';
import { SamPredictor } from '../src/model/predictor.js';
import { cropImage } from '../src/train/augment.js';
import { decodeSegmentation, loadTrainingSet } from '../src/train/dataset.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    weights: { type: 'string', default: 'ultrasam-tiny' },
    datasets: { type: 'string', default: 'TG3K,PSFHS,CAMUS-processed' },
    split: { type: 'string', default: 'val' },
    clicks: { type: 'string', default: '5' },
    expand: { type: 'string', default: '1.4' },
    'max-zoom': { type: 'string', default: 'Infinity' },
    'zoom-below': { type: 'string', default: 'Infinity' },
    threads: { type: 'string', default: '1' },
  },
});
const [corpus] = positionals;
const K = Number(values.clicks);
const expand = Number(values.expand);
const maxZoom = Number(values['max-zoom']);
const zoomBelow = Number(values['zoom-below']);
if (!corpus || !(K >= 2) || !(expand >= 1) || !(maxZoom >= 1)) {
  console.error('usage: npx tsx scripts/zoom_probe.ts <corpus-dir> [--weights W] [--datasets A,B] [--split val] [--clicks 5] [--expand 1.4] [--max-zoom M] [--zoom-below P] [--threads N]');
  process.exit(2);
}

const predictor = await SamPredictor.load(values.weights!, { threads: Number(values.threads) });
const S = predictor.config.imageEncoder.imgSize;
// Low-resolution logit grid: 4 × the embedding grid.
const lowRes = 4 * (S / predictor.config.imageEncoder.patchSize);

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Dice of full-resolution logits (thresholded at 0, as predictions are) against the ground truth. */
function dice(logits: Float32Array, gt: Uint8Array): number {
  return maskOverlap(thresholdMasks(logits, 1)[0], gt).dice;
}

/** The crop around the mask (logits > 0) and the clicks, expanded; null when it is most of the image. */
function zoomRect(logits: Float32Array, clicks: Click[], width: number, height: number): Rect | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (logits[y * width + x] > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  for (const c of clicks) {
    x0 = Math.min(x0, c.x);
    x1 = Math.max(x1, c.x);
    y0 = Math.min(y0, c.y);
    y1 = Math.max(y1, c.y);
  }
  if (Math.max(x1 - x0 + 1, y1 - y0 + 1) >= zoomBelow) return null;
  const cx = (x0 + x1 + 1) / 2;
  const cy = (y0 + y1 + 1) / 2;
  const side = Math.max(Math.max(x1 - x0 + 1, y1 - y0 + 1, 32) * expand, Math.max(width, height) / maxZoom);
  const w = Math.min(width, Math.round(side));
  const h = Math.min(height, Math.round(side));
  if (w * h > 0.6 * width * height) return null;
  const x = Math.max(0, Math.min(width - w, Math.round(cx - w / 2)));
  const y = Math.max(0, Math.min(height - h, Math.round(cy - h / 2)));
  return { x, y, width: w, height: h };
}

/** Full-resolution logits resampled (bilinear) onto the crop's low-resolution grid in the padded input frame. */
function cropMaskInput(full: Float32Array, width: number, height: number, rect: Rect): Float32Array {
  const [h, w] = getPreprocessShape(rect.height, rect.width, S);
  const out = new Float32Array(lowRes * lowRes).fill(-20);
  const cell = S / lowRes;
  for (let i = 0; i < lowRes; i++) {
    for (let j = 0; j < lowRes; j++) {
      const ix = (j + 0.5) * cell;
      const iy = (i + 0.5) * cell;
      if (ix >= w || iy >= h) continue;
      const fx = Math.min(width - 1, Math.max(0, rect.x + (ix * rect.width) / w - 0.5));
      const fy = Math.min(height - 1, Math.max(0, rect.y + (iy * rect.height) / h - 0.5));
      const xa = Math.floor(fx);
      const ya = Math.floor(fy);
      const xb = Math.min(width - 1, xa + 1);
      const yb = Math.min(height - 1, ya + 1);
      const tx = fx - xa;
      const ty = fy - ya;
      const v = (1 - ty) * ((1 - tx) * full[ya * width + xa] + tx * full[ya * width + xb]) + ty * ((1 - tx) * full[yb * width + xa] + tx * full[yb * width + xb]);
      out[i * lowRes + j] = v;
    }
  }
  return out;
}

const report: string[] = [];
for (const name of values.datasets!.split(',')) {
  const set = loadTrainingSet([{ coco: join(corpus, name, `${name}.${values.split}.coco.json`), images: join(corpus, name) }]);
  const sums = { plain: new Float64Array(K), zoom: new Float64Array(K) };
  let n = 0;
  let zoomed = 0;
  let rounds = 0;
  for (const item of set.images) {
    const image = await readImage(item.path);
    const { width, height } = image;
    const gts = item.instances.map((s) => decodeSegmentation(s, width, height));
    for (const mode of ['plain', 'zoom'] as const) {
      for (const gt of gts) {
        await predictor.setImage(image);
        const clicks: Click[] = [firstClick(gt, width, height)];
        const first = bestOutput(await predictor.predict({ points: clicks.map((c) => [c.x, c.y]), labels: clicks.map((c) => c.label) }), item.path);
        const geo = { imgSize: S, inputSize: getPreprocessShape(height, width, S), originalSize: [height, width] as [number, number] };
        let full = upscaleLogits(first.logits, 1, [lowRes, lowRes], geo);
        let previous = first.logits;
        let encoded: Rect | null = null;
        sums[mode][0] += dice(full, gt);
        for (let round = 2; round <= K; round++) {
          const [mask] = thresholdMasks(full, 1);
          const click = nextClick(gt, mask, width, height);
          if (!click) {
            for (let r = round; r <= K; r++) sums[mode][r - 1] += dice(full, gt);
            break;
          }
          clicks.push(click);
          const rect = mode === 'zoom' ? zoomRect(full, clicks, width, height) : null;
          if (mode === 'zoom') rounds++;
          if (!rect) {
            if (encoded) {
              await predictor.setImage(image);
              previous = cropMaskInput(full, width, height, { x: 0, y: 0, width, height });
              encoded = null;
            }
            const out = bestOutput(await predictor.predict({ points: clicks.map((c) => [c.x, c.y]), labels: clicks.map((c) => c.label), maskInput: previous }), item.path);
            full = upscaleLogits(out.logits, 1, [lowRes, lowRes], geo);
            previous = out.logits;
          } else {
            zoomed++;
            const maskInput = cropMaskInput(full, width, height, rect);
            await predictor.setImage(cropImage(image, rect));
            encoded = rect;
            const inCrop = clicks.map((c) => [c.x - rect.x, c.y - rect.y] as [number, number]);
            const out = bestOutput(await predictor.predict({ points: inCrop, labels: clicks.map((c) => c.label), maskInput }), item.path);
            const cropGeo = { imgSize: S, inputSize: getPreprocessShape(rect.height, rect.width, S), originalSize: [rect.height, rect.width] as [number, number] };
            const cropLogits = upscaleLogits(out.logits, 1, [lowRes, lowRes], cropGeo);
            full = Float32Array.from(full);
            for (let y = 0; y < rect.height; y++) full.set(cropLogits.subarray(y * rect.width, (y + 1) * rect.width), (rect.y + y) * width + rect.x);
            previous = out.logits;
          }
          sums[mode][round - 1] += dice(full, gt);
        }
      }
    }
    n += gts.length;
  }
  const fmt = (a: Float64Array) => Array.from(a, (v) => (v / n).toFixed(4)).join(' ');
  const line = `${name} (${n} instances; ${zoomed} of ${rounds} corrective rounds zoomed): plain ${fmt(sums.plain)} | zoom ${fmt(sums.zoom)}`;
  console.error(line);
  report.push(line);
}
console.log(report.join('\n'));
await predictor.release();
