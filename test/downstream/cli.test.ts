// The finetune commands as the shell runs them (registered on a fresh commander program).
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { registerFinetuneCommands } from '../../src/cli/finetune.js';
import { runCli } from '../cli/in_process.js';
import { tinyConfig, writeShapeCoco, writeStripeFolders } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

const { dir, cleanup } = tempDir('ds-cli');
after(cleanup);
const data = join(dir, 'stripes');
await writeStripeFolders(data, 12);
const arch = join(dir, 'tiny.json');
writeFileSync(arch, JSON.stringify(tinyConfig()));

/** Runs `ultrasam <args>` in-process; returns what it printed on stdout. */
async function cli(...args: string[]): Promise<string> {
  return (await runCli(registerFinetuneCommands, args)).out;
}

test('finetune classify --json prints macro_f1, accuracy and per-class F1; classify IMAGE predicts with the saved model', async () => {
  const out = join(dir, 'cls');
  const r = JSON.parse(await cli('finetune', 'classify', '--data', data, '--init', 'random', '--arch', arch, '--mode', 'full', '--epochs', '2', '--threads', '1', '--out', out, '--json'));
  for (const key of ['macro_f1', 'accuracy']) assert.equal(typeof r[key], 'number');
  assert.deepEqual(Object.keys(r.per_class), ['horizontal', 'vertical']);
  assert.ok(existsSync(join(out, 'confusion.png')));
  const line = JSON.parse(await cli('classify', join(data, 'vertical', '3.png'), '--model', join(out, 'model.safetensors'), '--threads', '1', '--json'));
  assert.ok(['horizontal', 'vertical'].includes(line.label));
});

test('finetune compare prints a mean ± std table per (init, mode), and JSON with every run', async () => {
  const args = ['finetune', 'compare', '--task', 'classify', '--data', data, '--arch', arch, '--inits', 'random', '--modes', 'linear,full', '--seeds', '0,1', '--epochs', '1', '--threads', '1'];
  const table = await cli(...args);
  const rows = table.split('\n').filter((l) => l.startsWith('| random'));
  assert.equal(rows.length, 2, table);
  assert.match(rows[0], /^\| random \| linear \| 2 \| \d\.\d{3} ± \d\.\d{3} \| \d\.\d{3} ± \d\.\d{3} \|$/);
  const report = JSON.parse(await cli(...args, '--json'));
  assert.equal(report.runs.length, 4);
  const linear = report.summary.find((s: { mode: string }) => s.mode === 'linear');
  const f1s = report.runs.filter((r: { mode: string }) => r.mode === 'linear').map((r: { metrics: { macro_f1: number } }) => r.metrics.macro_f1);
  assert.ok(Math.abs(linear.metrics.macro_f1.mean - (f1s[0] + f1s[1]) / 2) < 1e-12);
});

test('finetune segment and predict-seg write a model and a label map', async () => {
  const coco = await writeShapeCoco(join(dir, 'shapes'), 8);
  const out = join(dir, 'seg');
  const r = JSON.parse(await cli('finetune', 'segment', '--coco', coco, '--init', 'random', '--arch', arch, '--mode', 'linear', '--epochs', '1', '--threads', '1', '--out', out, '--json'));
  assert.deepEqual(Object.keys(r.dice), ['background', 'disc', 'square']);
  const png = join(dir, 'labels.png');
  const p = JSON.parse(await cli('predict-seg', join(dir, 'shapes', 'images', '1.png'), '--model', join(out, 'model.safetensors'), '--out', png, '--threads', '1', '--json'));
  assert.equal(
    p.width * p.height,
    Object.values(p.areas as Record<string, number>).reduce((a, b) => a + b, 0),
  );
  assert.ok(existsSync(png));
});

test('bad flags are refused with a reason', async () => {
  await assert.rejects(cli('finetune', 'compare', '--task', 'classify', '--arch', arch), /--task classify needs --data/);
  await assert.rejects(cli('finetune', 'classify', '--data', data, '--out', dir, '--mode', 'half'), /half/);
});
