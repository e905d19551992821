#!/usr/bin/env node
// Dice with and without UltraSam's test-time refinement (`ultrasam eval --refine`), for the paper's
// box and centroid-point prompts, on the held-out (test) split of each dataset of a corpus; prints
// the Markdown table of the model card's refinement section:
//   node scripts/eval_refine.mjs <corpus-dir> [--weights <file>] [--datasets DDTI,HC18,...]
//                                [--exclude-train-list models/ultrasam-tiny.train-images.txt]
// --exclude-train-list drops test images whose raw source file the model was trained on (the list's
// second column, per dataset): needed when the corpus was split from other copies of the data than
// the model's own corpus, as the partial copies in ../shared are.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    weights: { type: 'string', default: 'ultrasam-tiny' },
    datasets: { type: 'string', default: 'DDTI,HC18,TG3K,USGRA-Seg,PSFHS' },
    'exclude-train-list': { type: 'string' },
  },
});
const [corpus] = positionals;
if (!corpus) {
  console.error('usage: node scripts/eval_refine.mjs <corpus-dir> [--weights <file>] [--datasets a,b] [--exclude-train-list <file>]');
  process.exit(2);
}
const trained = new Set();
if (values['exclude-train-list']) {
  for (const line of readFileSync(values['exclude-train-list'], 'utf8').split('\n')) {
    const [corpusFile, source] = line.split('\t');
    if (corpusFile && source) trained.add(`${corpusFile.split('/')[0]}/${source.trim()}`);
  }
}
const bin = fileURLToPath(new URL('../bin/ultrasam.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ultrasam-eval-refine-'));
const runs = [
  ['box', false],
  ['box', true],
  ['point', false],
  ['point', true],
];
const rows = [];
try {
  for (const name of values.datasets.split(',')) {
    let coco = join(corpus, name, `${name}.test.coco.json`);
    if (!existsSync(coco)) throw new Error(`${coco} not found: convert and split ${name} first`);
    const row = { name, dropped: 0 };
    if (trained.size) {
      const file = JSON.parse(readFileSync(coco, 'utf8'));
      const keep = file.images.filter((im) => !trained.has(`${name}/${im.source_file}`));
      row.dropped = file.images.length - keep.length;
      const ids = new Set(keep.map((im) => im.id));
      coco = join(work, `${name}.test.coco.json`);
      writeFileSync(coco, JSON.stringify({ ...file, images: keep, annotations: file.annotations.filter((a) => ids.has(a.image_id)) }));
      if (keep.length === 0) {
        console.error(`${name}: every test image was in the training list; skipped`);
        continue;
      }
    }
    for (const [prompt, refine] of runs) {
      const args = [bin, 'eval', '--coco', coco, '--images', join(corpus, name), '--weights', values.weights, '--prompt', prompt, '--json', ...(refine ? ['--refine'] : [])];
      const summary = JSON.parse(
        execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 })
          .trim()
          .split('\n')
          .pop(),
      );
      if (summary.refine !== refine) throw new Error(`${name} ${prompt}: the report says refine ${summary.refine}`);
      row[`${prompt}${refine ? '+refine' : ''}`] = summary.dice_mean;
      row.instances = summary.n_instances;
    }
    rows.push(row);
    console.error(
      `${name}: ${row.instances} instances (${row.dropped} training images dropped): box ${row.box.toFixed(4)} → ${row['box+refine'].toFixed(4)}, point ${row.point.toFixed(4)} → ${row['point+refine'].toFixed(4)}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const keys = ['box', 'box+refine', 'point', 'point+refine'];
const total = rows.reduce((a, r) => a + r.instances, 0);
const overDatasets = (k) => rows.reduce((a, r) => a + r[k], 0) / rows.length;
const overInstances = (k) => rows.reduce((a, r) => a + r[k] * r.instances, 0) / total;
console.log('| dataset (test split) | instances | Dice (box) | Dice (box, refined) | Dice (point) | Dice (point, refined) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.name} | ${r.instances} | ${keys.map((k) => r[k].toFixed(4)).join(' | ')} |`);
console.log(`| mean over datasets | ${total} | ${keys.map((k) => overDatasets(k).toFixed(4)).join(' | ')} |`);
console.log(`| mean over instances | ${total} | ${keys.map((k) => overInstances(k).toFixed(4)).join(' | ')} |`);
