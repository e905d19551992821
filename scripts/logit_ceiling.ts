// How well can a model with this input size segment at all? SAM-style decoders predict logits on a
// low-resolution grid (4× the embedding grid: 64 × 64 for ultrasam-tiny's 256-pixel input) that
// postprocessing upsamples bilinearly to the image. This scores each ground-truth mask's own
// rendering on that grid — cell value = the share of the cell the mask covers, minus ½, pushed through
// the same postprocessing (postprocess.ts) and thresholded at 0 — against the mask itself (Dice per
// instance, averaged per dataset as `eval` does). It is the Dice of a perfect-coverage prediction at
// that resolution: an estimate of the ceiling that more clicks approach, not a bound. With --cells
// binary each cell is ±½ by whether the mask covers at least half of it — the target training's
// loss sees with `maskTarget: "binary"` (src/train/sample.ts): the ceiling of a model that learnt
// that target exactly.
//   npx tsx scripts/logit_ceiling.ts <corpus-dir> [--datasets A,B] [--split test|val|all] [--input 256] [--grid 64] [--cells share|binary]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getPreprocessShape } from '../src/image/resize.js';
import { maskOverlap } from '../src/eval/metrics.js';
import { postprocessMasks } from '../src/model/postprocess.js';
import { decodeSegmentation, loadTrainingSet } from '../src/train/dataset.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    datasets: { type: 'string', default: 'DDTI,HC18,TG3K,USGRA-Seg,PSFHS' },
    split: { type: 'string', default: 'test' },
    input: { type: 'string', default: '256' },
    grid: { type: 'string', default: '64' },
    cells: { type: 'string', default: 'share' },
  },
});
const [corpus] = positionals;
const input = Number(values.input);
const grid = Number(values.grid);
const binary = values.cells === 'binary';
if (!corpus || !['test', 'val', 'all'].includes(values.split!) || !Number.isInteger(input) || !Number.isInteger(grid) || input % grid !== 0 || !['share', 'binary'].includes(values.cells!)) {
  console.error('usage: npx tsx scripts/logit_ceiling.ts <corpus-dir> [--datasets A,B] [--split test|val|all] [--input 256] [--grid 64] [--cells share|binary] (input a multiple of grid)');
  process.exit(2);
}

/** The mask's coverage of each grid cell in the padded input frame (or 1 where it is ≥ ½, 0 elsewhere: --cells binary), minus ½. */
function gridLogits(mask: Uint8Array, width: number, height: number): Float32Array {
  const [h, w] = getPreprocessShape(height, width, input);
  const cell = input / grid;
  const covered = new Float64Array(grid * grid);
  const total = new Float64Array(grid * grid);
  // Each original pixel lands at its centre's place in the resized frame.
  for (let y = 0; y < height; y++) {
    const gy = Math.min(grid - 1, Math.floor(((y + 0.5) * h) / height / cell));
    for (let x = 0; x < width; x++) {
      const gx = Math.min(grid - 1, Math.floor(((x + 0.5) * w) / width / cell));
      total[gy * grid + gx]++;
      if (mask[y * width + x]) covered[gy * grid + gx]++;
    }
  }
  const logits = new Float32Array(grid * grid).fill(-0.5);
  for (let i = 0; i < logits.length; i++) {
    if (total[i] === 0) continue;
    const share = covered[i] / total[i];
    logits[i] = (binary ? (share >= 0.5 ? 1 : 0) : share) - 0.5;
  }
  return logits;
}

const rows: { name: string; instances: number; dice: number }[] = [];
for (const name of values.datasets!.split(',')) {
  const file = values.split === 'all' ? `${name}.coco.json` : `${name}.${values.split}.coco.json`;
  const set = loadTrainingSet([{ coco: join(corpus, name, file), images: join(corpus, name) }]);
  let sum = 0;
  let n = 0;
  for (const image of set.images) {
    const inputSize = getPreprocessShape(image.height, image.width, input);
    for (const segmentation of image.instances) {
      const mask = decodeSegmentation(segmentation, image.width, image.height);
      const [predicted] = postprocessMasks(gridLogits(mask, image.width, image.height), 1, [grid, grid], { imgSize: input, inputSize, originalSize: [image.height, image.width] });
      sum += maskOverlap(predicted, mask).dice;
      n++;
    }
  }
  rows.push({ name, instances: n, dice: sum / n });
  console.error(`${name}: ${n} instances, Dice ${(sum / n).toFixed(4)}`);
}
console.log(
  `| dataset (${values.split === 'all' ? 'all images' : `${values.split} split`}) | instances | Dice of the ground truth through a ${grid} × ${grid} logit grid (${input}-pixel input${binary ? ', cells covered ≥ ½' : ''}) |`,
);
console.log('| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.name} | ${r.instances} | ${r.dice.toFixed(4)} |`);
