// Sampling balanced over instance size: within each dataset, an image is drawn in proportion to
// (median / a)^e, a being the area of its smallest instance as a share of the image and the median
// that of its dataset's images, clamped to [¼, 4]. Small structures carry most of what the masks
// still get wrong at their boundaries (the model card's TG3K analysis), and at e = 0 they are seen
// only as often as the data holds them. Datasets keep their share of each epoch (order.ts quotas).
import { type Rle, rleArea } from '../data/rle.js';
import type { Segmentation, TrainImage } from './dataset.js';

/** Clamp of each weight: no image more than 4× (or less than ¼×) its dataset's typical draw. */
export const SIZE_WEIGHT_LIMIT = 4;

/** One weight per image (see above); all 1 at exponent 0. */
export function sizeWeights(images: readonly TrainImage[], exponent: number): number[] {
  if (!(exponent >= 0 && exponent <= 1)) throw new Error(`size balance: the exponent must be in [0, 1], got ${exponent}`);
  const share = images.map((im) => Math.min(...im.instances.map((s) => segmentationArea(s))) / (im.width * im.height));
  const byDataset = new Map<string, number[]>();
  images.forEach((im, i) => (byDataset.get(im.dataset) ?? byDataset.set(im.dataset, []).get(im.dataset)!).push(share[i]));
  const medians = new Map([...byDataset].map(([name, shares]) => [name, median(shares)]));
  return images.map((im, i) => {
    const ratio = medians.get(im.dataset)! / Math.max(share[i], 1e-12);
    return Math.min(Math.max(Math.pow(ratio, exponent), 1 / SIZE_WEIGHT_LIMIT), SIZE_WEIGHT_LIMIT);
  });
}

/** Pixels of a segmentation: RLE (compressed or not) counted from its runs, polygons by the shoelace formula. */
export function segmentationArea(s: Segmentation): number {
  if (Array.isArray(s)) {
    let area = 0;
    for (const poly of s) {
      let twice = 0;
      for (let i = 0; i < poly.length; i += 2) {
        const j = (i + 2) % poly.length;
        twice += poly[i] * poly[j + 1] - poly[j] * poly[i + 1];
      }
      area += Math.abs(twice) / 2;
    }
    return area;
  }
  if (typeof s.counts === 'string') return rleArea(s as Rle);
  let area = 0;
  for (let i = 1; i < s.counts.length; i += 2) area += s.counts[i];
  return area;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
