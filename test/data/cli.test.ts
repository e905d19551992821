import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { registerDataCommands } from '../../src/cli/data.js';
import { runCli } from '../cli/in_process.js';
import { readCoco, writeCoco } from '../../src/data/coco.js';
import { writeBusi } from './raw_builders.js';
import { tempDir } from '../helpers/temp_dir.js';

/** Runs `ultrasam data ...` in-process; returns what it printed and the exit code it set. */
async function run(...args: string[]): Promise<{ out: string; code: number }> {
  return runCli(registerDataCommands, ['data', ...args]);
}

test('data list --json lists every registry entry with its taxonomy; the text shows category → structure', async () => {
  const { out } = await run('list', '--json');
  const entries = JSON.parse(out) as { name: string; licence: string; structures: string[]; taxonomy: { anatomy: string; structures: Record<string, string> } }[];
  assert.ok(entries.length >= 45);
  assert.ok(entries.some((e) => e.name === 'PSFHS'));
  assert.ok(entries.every((e) => typeof e.licence === 'string'));
  assert.ok(entries.every((e) => e.taxonomy && e.structures.every((c) => typeof e.taxonomy.structures[c] === 'string')));
  assert.deepEqual(entries.find((e) => e.name === 'BUS-UCLM')!.taxonomy, {
    anatomy: 'breast',
    structures: { benign_breast_lesion: 'breast_lesion', malignant_breast_lesion: 'breast_lesion' },
  });
  const text = (await run('list')).out;
  assert.match(text, /^S1 +breast: benign_tumour → breast_lesion, malignant_tumour → breast_lesion$/m);
  assert.match(text, /^DDTI +thyroid: thyroid_nodule$/m);
});

test('convert, split, merge, stats, verify and preview from the command line', async () => {
  const { dir, cleanup } = tempDir('cli');
  try {
    await writeBusi(join(dir, 'raw'));
    const corpus = join(dir, 'corpus');
    assert.match((await run('convert', 'busi', join(dir, 'raw'), corpus)).out, /BUSI: 4 images, 4 annotations, 0 warnings/);
    assert.match((await run('split', corpus, '--seed', '3')).out, /BUSI: train \d+ \/ val \d+ \/ test \d+ images \(grouped by image\)/);
    const merged = join(corpus, 'merged.coco.json');
    // BUSI is evaluation-only: merged only when the flag says so (an evaluation set).
    await assert.rejects(run('merge', corpus, merged, '--mode', 'structure'), /refusing to merge BUSI: .*--allow-evaluation-only/);
    assert.match((await run('merge', corpus, merged, '--mode', 'structure', '--allow-evaluation-only')).out, /4 images, 4 annotations, categories: breast_lesion/);
    const stats = await run('stats', corpus, '--json', '--histogram', join(dir, 'hist.png'), '--plot', join(dir, 'composition.png'));
    assert.equal(JSON.parse(stats.out).images, 4);
    assert.ok(existsSync(join(dir, 'hist.png')) && existsSync(join(dir, 'composition.png')));
    const table = await run('stats', corpus, '--histogram', join(dir, 'hist.png'), '--plot', join(dir, 'composition.png'));
    assert.match(table.out, /^\| BUSI \| breast \| breast_lesion \| 4 \| 4 \|$/m);
    assert.match(table.out, /^\| \*\*1 dataset\*\* \| \*\*1 anatomy\*\* \| \*\*1 structure\*\* \| \*\*4\*\* \| \*\*4\*\* \|$/m);
    await assert.rejects(run('stats', join(dir, 'raw'), '--plot', join(dir, 'c.png')), /no converted datasets \(folders with DONE\.json\)/);
    assert.match((await run('preview', merged, join(dir, 'sheet.png'), '--count', '3', '--tile', '64')).out, /3 images/);
    const verified = await run('verify', corpus);
    assert.equal(verified.code, 0);
    assert.match(verified.out, /^ok .*merged\.coco\.json/m);
    // Break one annotation's area: verify names it and fails.
    const file = join(corpus, 'BUSI', 'BUSI.coco.json');
    const coco = await readCoco(file);
    coco.annotations[0].area += 1;
    await writeCoco(file, coco);
    const failed = await run('verify', join(corpus, 'BUSI'));
    assert.equal(failed.code, 1);
    assert.match(failed.out, /FAIL .*BUSI\.coco\.json.*\n\s+area: annotation 1: area \d+ but the mask has \d+ pixels/);
    await assert.rejects(run('merge', corpus, merged, '--mode', 'odd'), /--mode must be agnostic or structure/);
  } finally {
    cleanup();
  }
});
