// Evaluates a model on a corpus, dataset by dataset, with the paper's prompts (tight box, mask-centroid
// point) and simulated clicks (clicks:K, the rule of src/eval/clicks.ts), and prints the Markdown table
// of the model card: Dice for box, point and K = 5 clicks, then mean Dice after each click 1..K.
//   npx tsx scripts/eval_bundled.ts <corpus-dir> [--weights W] [--datasets A,B] [--split test|val|all] [--clicks K] [--multimask auto|always|never] [--threads N] [--json FILE] [--plot PNG]
// --split all scores every image of a dataset (for one the model never saw, e.g. leave-one-dataset-out);
// --multimask is `ultrasam eval`'s (default auto: what the weights' predictor does by default).
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeClickPlot } from '../src/eval/click_plot.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    weights: { type: 'string', default: 'ultrasam-tiny' },
    datasets: { type: 'string', default: 'DDTI,HC18,TG3K,USGRA-Seg,PSFHS' },
    split: { type: 'string', default: 'test' },
    clicks: { type: 'string', default: '10' },
    multimask: { type: 'string', default: 'auto' },
    json: { type: 'string' },
    plot: { type: 'string' },
    title: { type: 'string', default: 'mean Dice against clicks' },
    threads: { type: 'string' },
  },
});
const [corpus] = positionals;
const clicks = Number(values.clicks);
if (!corpus || !['test', 'val', 'all'].includes(values.split!) || !Number.isInteger(clicks) || clicks < 0 || !['auto', 'always', 'never'].includes(values.multimask!)) {
  console.error(
    'usage: npx tsx scripts/eval_bundled.ts <corpus-dir> [--weights W] [--datasets A,B] [--split test|val|all] [--clicks K] [--multimask auto|always|never] [--threads N] [--json FILE] [--plot PNG]',
  );
  process.exit(2);
}
const bin = fileURLToPath(new URL('../bin/ultrasam.js', import.meta.url));
const prompts = ['box', 'point', ...(clicks > 0 ? [`clicks:${clicks}`] : [])];
interface Summary {
  n_instances: number;
  dice_mean: number;
  clicks?: { mean_dice_per_click: number[]; mean_iou_per_click: number[] };
}
interface Row {
  name: string;
  instances: number;
  box: Summary;
  point: Summary;
  clicks?: Summary;
}
const rows: Row[] = [];
for (const name of values.datasets!.split(',')) {
  const coco = join(corpus, name, values.split === 'all' ? `${name}.coco.json` : `${name}.${values.split}.coco.json`);
  if (!existsSync(coco)) throw new Error(`${coco} not found: convert${values.split === 'all' ? '' : ' and split'} ${name} first`);
  const row = { name } as Row;
  for (const prompt of prompts) {
    const out = execFileSync(
      process.execPath,
      [
        bin,
        'eval',
        '--coco',
        coco,
        '--images',
        join(corpus, name),
        '--weights',
        values.weights!,
        '--prompt',
        prompt,
        '--multimask',
        values.multimask!,
        ...(values.threads ? ['--threads', values.threads] : []),
        '--json',
      ],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      },
    );
    const summary = JSON.parse(out.trim().split('\n').pop()!) as Summary;
    row[prompt.split(':')[0] as 'box' | 'point' | 'clicks'] = summary;
    row.instances = summary.n_instances;
  }
  rows.push(row);
  const perClick = row.clicks?.clicks?.mean_dice_per_click ?? [];
  console.error(
    `${name}: box ${row.box.dice_mean.toFixed(4)}, point ${row.point.dice_mean.toFixed(4)}` +
      (perClick.length ? `, Dice per click ${perClick.map((v) => v.toFixed(3)).join(' ')}` : '') +
      ` (${row.instances} instances)`,
  );
}
const dicePerClick = (r: Row) => r.clicks!.clicks!.mean_dice_per_click;
const clicks5 = (r: Row) => (r.clicks ? dicePerClick(r)[Math.min(5, clicks) - 1] : NaN);
const mean = (f: (r: Row) => number) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '–');
console.log(`| dataset (${values.split === 'all' ? 'all images' : `${values.split} split`}) | instances | Dice (box) | Dice (point) | Dice (clicks:${Math.min(5, clicks)}) |`);
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.name} | ${r.instances} | ${fmt(r.box.dice_mean)} | ${fmt(r.point.dice_mean)} | ${fmt(clicks5(r))} |`);
console.log(`| mean over datasets | ${rows.reduce((a, r) => a + r.instances, 0)} | ${fmt(mean((r) => r.box.dice_mean))} | ${fmt(mean((r) => r.point.dice_mean))} | ${fmt(mean(clicks5))} |`);
if (clicks > 0) {
  console.log('');
  console.log(`| dataset | ${Array.from({ length: clicks }, (_, k) => `${k + 1}`).join(' | ')} |`);
  console.log(`| --- | ${Array.from({ length: clicks }, () => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.name} | ${dicePerClick(r).map(fmt).join(' | ')} |`);
  console.log(`| mean | ${Array.from({ length: clicks }, (_, k) => fmt(mean((r) => dicePerClick(r)[k]))).join(' | ')} |`);
}
if (values.json) {
  const out = rows.map((r) => ({
    dataset: r.name,
    instances: r.instances,
    box: r.box.dice_mean,
    point: r.point.dice_mean,
    ...(r.clicks ? { dice_per_click: dicePerClick(r), iou_per_click: r.clicks.clicks!.mean_iou_per_click } : {}),
  }));
  writeFileSync(values.json, JSON.stringify({ weights: values.weights, split: values.split, datasets: out }, null, 2) + '\n');
}
if (values.plot && clicks > 0)
  await writeClickPlot(
    values.plot,
    rows.map((r) => ({ name: r.name, dice: dicePerClick(r) })),
    values.title!,
  );
