#!/usr/bin/env node
// Evaluates a model on the held-out (test) split of each dataset of a corpus, with the paper's
// box and centroid-point prompts, and prints the Markdown table used in the model card:
//   node scripts/eval-bundled.mjs <corpus-dir> [weights=ultrasam-tiny] [datasets=DDTI,HC18,TG3K,USGRA-Seg,PSFHS]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [corpus, weights = 'ultrasam-tiny', list = 'DDTI,HC18,TG3K,USGRA-Seg,PSFHS'] = process.argv.slice(2);
if (!corpus) {
  console.error('usage: node scripts/eval-bundled.mjs <corpus-dir> [weights] [datasets]');
  process.exit(2);
}
const bin = fileURLToPath(new URL('../bin/ultrasam.js', import.meta.url));
const rows = [];
for (const name of list.split(',')) {
  const coco = join(corpus, name, `${name}.test.coco.json`);
  if (!existsSync(coco)) throw new Error(`${coco} not found: convert and split ${name} first`);
  const row = { name };
  for (const prompt of ['box', 'point']) {
    const out = execFileSync(process.execPath, [bin, 'eval', '--coco', coco, '--images', join(corpus, name), '--weights', weights, '--prompt', prompt, '--json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    const summary = JSON.parse(out.trim().split('\n').pop());
    row[prompt] = summary;
    row.instances = summary.n_instances;
  }
  rows.push(row);
  console.error(`${name}: box Dice ${row.box.dice_mean.toFixed(4)}, point Dice ${row.point.dice_mean.toFixed(4)} (${row.instances} instances)`);
}
const mean = (k) => rows.reduce((a, r) => a + r[k].dice_mean, 0) / rows.length;
console.log('| dataset (test split) | instances | Dice (box) | IoU (box) | Dice (point) | IoU (point) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.instances} | ${r.box.dice_mean.toFixed(4)} | ${r.box.iou_mean.toFixed(4)} | ${r.point.dice_mean.toFixed(4)} | ${r.point.iou_mean.toFixed(4)} |`);
}
console.log(`| mean over datasets | ${rows.reduce((a, r) => a + r.instances, 0)} | ${mean('box').toFixed(4)} | | ${mean('point').toFixed(4)} | |`);
