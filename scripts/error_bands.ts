// Probe: where are the errors left after K clicks? Runs eval's clicks:K protocol (interactive.ts,
// the click rule of eval and the app) and sorts every wrong pixel of the final mask by its distance
// to the ground truth's boundary, in cells of the model's low-resolution logit grid (one cell =
// the image's long side / grid pixels): a band of ≤ 1 cell (where the boundary is placed) and
// everything farther (a missed or extra region). Prints, per dataset, mean Dice, the band's share of
// the wrong pixels, how many of those lie outside the truth (over- rather than under-segmentation),
// and the mean Dice with the band's errors (or the far ones) undone — what a perfect boundary, or a
// perfect region, would be worth. A measurement for choosing, not a product path.
//   npx tsx scripts/error_bands.ts <corpus-dir> [--weights W] [--datasets A,B] [--split val] [--clicks 5] [--band 1] [--threads N]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { squaredDistanceToOutside } from '../src/eval/distance.js';
import { runClicks } from '../src/eval/interactive.js';
import { diceOfAreas } from '../src/eval/metrics.js';
import { readImage } from '../src/image/read.js';
import { SamPredictor } from '../src/model/predictor.js';
import { lowResSize } from '../src/model/config.js';
import { decodeSegmentation, loadTrainingSet } from '../src/train/dataset.js';

const USAGE = 'usage: npx tsx scripts/error_bands.ts <corpus-dir> [--weights W] [--datasets A,B] [--split val] [--clicks 5] [--band 1] [--threads N]';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    weights: { type: 'string', default: 'ultrasam-tiny' },
    datasets: { type: 'string', default: 'TG3K,PSFHS,CAMUS-processed' },
    split: { type: 'string', default: 'val' },
    clicks: { type: 'string', default: '5' },
    band: { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
  },
});
const [corpus] = positionals;
const clicks = Number(values.clicks);
const band = Number(values.band);
if (!corpus || !Number.isInteger(clicks) || clicks < 1 || !(band > 0)) {
  console.error(USAGE);
  process.exit(2);
}

const predictor = await SamPredictor.load(values.weights!, { threads: Number(values.threads) });
const grid = lowResSize(predictor.config);

/** Dice from the overlap counts (true positives, false positives, false negatives). */
const dice = (tp: number, fp: number, fn: number) => diceOfAreas(tp, tp + fp, tp + fn);

const lines = [
  '| dataset | instances | Dice | wrong pixels within the band | of them outside the truth | Dice, band errors undone | Dice, far errors undone |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
for (const name of values.datasets!.split(',')) {
  const set = loadTrainingSet([{ coco: join(corpus, name, `${name}.${values.split}.coco.json`), images: join(corpus, name) }]);
  const sum = { dice: 0, nearFixed: 0, farFixed: 0 };
  let n = 0;
  let wrongTotal = 0;
  let nearTotal = 0;
  let nearOutside = 0;
  for (const item of set.images) {
    const image = await readImage(item.path);
    const { width, height } = image;
    const gts = item.instances.map((s) => decodeSegmentation(s, width, height));
    await predictor.setImage(image);
    const outcomes = await runClicks(predictor, gts, width, height, { clicks, batchSize: 8, multimask: 'auto', where: item.path });
    // Distances in pixels, compared squared: the band is `band` cells of the logit grid.
    const limit = ((band * Math.max(width, height)) / grid) ** 2;
    outcomes.forEach((o, i) => {
      const gt = gts[i];
      const inside = squaredDistanceToOutside(gt, width, height);
      const outside = squaredDistanceToOutside(
        gt.map((v) => (v ? 0 : 1)),
        width,
        height,
      );
      let tp = 0;
      const count = { fpNear: 0, fpFar: 0, fnNear: 0, fnFar: 0 };
      for (let p = 0; p < gt.length; p++) {
        const predicted = o.final.mask[p] !== 0;
        if (gt[p] && predicted) tp++;
        else if (gt[p]) {
          if (inside[p] <= limit) count.fnNear++;
          else count.fnFar++;
        } else if (predicted) {
          if (outside[p] <= limit) count.fpNear++;
          else count.fpFar++;
        }
      }
      const near = count.fpNear + count.fnNear;
      const wrong = near + count.fpFar + count.fnFar;
      sum.dice += dice(tp, count.fpNear + count.fpFar, count.fnNear + count.fnFar);
      sum.nearFixed += dice(tp + count.fnNear, count.fpFar, count.fnFar);
      sum.farFixed += dice(tp + count.fnFar, count.fpNear, count.fnNear);
      wrongTotal += wrong;
      nearTotal += near;
      nearOutside += count.fpNear;
      n++;
    });
  }
  const f = (v: number) => (v / n).toFixed(4);
  const line = `| ${name} | ${n} | ${f(sum.dice)} | ${((100 * nearTotal) / Math.max(1, wrongTotal)).toFixed(1)} % | ${((100 * nearOutside) / Math.max(1, nearTotal)).toFixed(1)} % | ${f(sum.nearFixed)} | ${f(sum.farFixed)} |`;
  console.error(line);
  lines.push(line);
}
console.log(`clicks:${clicks}, band ${band} cell${band === 1 ? '' : 's'} of the ${grid} × ${grid} logit grid, ${values.split} splits\n\n${lines.join('\n')}`);
await predictor.release();
