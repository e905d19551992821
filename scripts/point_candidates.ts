// How well a model picks among a lone click's candidate masks: for every instance's mask-centroid
// point (the `point` prompt of `ultrasam eval`), the Dice of SAM's default output (the candidate with
// the highest predicted IoU), of the single-mask output, of each candidate, and of the best candidate
// (an oracle no user has); and how often the default is the best. The gap between the default and
// the oracle is the IoU head's share of a model's point Dice (model card, "Choosing among candidates").
//   npx tsx scripts/point_candidates.ts <corpus-dir> [--weights W] [--datasets A,B] [--split val|test|all]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readCoco } from '../src/data/coco.js';
import { annotationMask } from '../src/eval/gt_mask.js';
import { planImages, resolveImage } from '../src/eval/plan.js';
import { highestScore } from '../src/eval/click_rule.js';
import { maskOverlap } from '../src/eval/metrics.js';
import { singleShotPrompt } from '../src/eval/prompts.js';
import { SamPredictor } from '../src/model/predictor.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    weights: { type: 'string', default: 'ultrasam-tiny' },
    datasets: { type: 'string', default: 'DDTI,HC18,TG3K,USGRA-Seg,PSFHS' },
    split: { type: 'string', default: 'val' },
  },
});
const [corpus] = positionals;
if (!corpus || !['val', 'test', 'all'].includes(values.split!)) {
  console.error('usage: npx tsx scripts/point_candidates.ts <corpus-dir> [--weights W] [--datasets A,B] [--split val|test|all]');
  process.exit(2);
}

const dice = (mask: Uint8Array, gt: Uint8Array) => maskOverlap(mask, gt).dice;

const predictor = await SamPredictor.load(values.weights!);
const fmt = (v: number) => v.toFixed(4);
console.log(`| dataset (${values.split}) | instances | default (highest predicted IoU) | single-mask output | candidate 1 | candidate 2 | candidate 3 | best candidate | default is best |`);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const rows: number[][] = [];
for (const name of values.datasets!.split(',')) {
  const file = join(corpus, name, values.split === 'all' ? `${name}.coco.json` : `${name}.${values.split}.coco.json`);
  if (!existsSync(file)) throw new Error(`${file} not found`);
  const coco = await readCoco(file);
  const skipped = { imagesWithoutInstances: 0, imagesBeyondLimit: 0, crowdAnnotations: 0, emptyMasks: 0 };
  const sums = new Float64Array(7); // default, single, c1, c2, c3, best, default-is-best
  let n = 0;
  for (const { image, prompted } of planImages(coco, skipped, undefined)) {
    await predictor.setImage(resolveImage(join(corpus, name), image));
    for (const annotation of prompted) {
      const gt = annotationMask(annotation, image);
      const { prompt } = singleShotPrompt({ kind: 'point' }, gt, image.width, image.height, Math.random); // a point draws nothing
      const [candidates, single] = await predictor.predictBatch([
        { ...prompt, multimask: true },
        { ...prompt, multimask: false },
      ]);
      const scores = candidates.masks.map((m) => dice(m, gt));
      const chosen = highestScore(candidates.scores);
      const best = Math.max(...scores);
      [scores[chosen], dice(single.masks[0], gt), ...scores, best, scores[chosen] === best ? 1 : 0].forEach((v, i) => (sums[i] += v));
      n++;
    }
  }
  const row = Array.from(sums, (s) => s / n);
  rows.push(row);
  console.log(`| ${name} | ${n} | ${row.slice(0, 6).map(fmt).join(' | ')} | ${(100 * row[6]).toFixed(1)} % |`);
}
const mean = (i: number) => rows.reduce((a, r) => a + r[i], 0) / rows.length;
console.log(`| mean over datasets | | ${[0, 1, 2, 3, 4, 5].map((i) => fmt(mean(i))).join(' | ')} | ${(100 * mean(6)).toFixed(1)} % |`);
await predictor.release();
