// Conversions that find nothing, and kills in the middle of replacing a finished dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCoco } from '../../src/data/coco.js';
import { writeDataset } from '../../src/data/corpus.js';
import { verifyCoco, verifyPath } from '../../src/data/verify.js';
import { fakeDataset } from './helpers.js';
import type { KillPoint } from './swap_child.js';
import { tempDir } from '../helpers/temp_dir.js';

test('a conversion that yields no image fails, names why, and leaves no output folder', async () => {
  const { dir, cleanup } = tempDir('corpus-empty');
  try {
    const module = fakeDataset('Empty', ['lesion'], async function* (options) {
      options.warn('DDTI/1_1.a.jpg', 'missing mask 1_1.b.jpg');
      options.warn('DDTI/2_1.a.jpg', 'missing mask 2_1.b.jpg');
    });
    const out = join(dir, 'out');
    await assert.rejects(
      writeDataset(module, dir, out),
      /^Error: Empty: conversion failed, nothing written: no image was converted from .* \(2 raw file\(s\) skipped, e\.g\. DDTI\/1_1\.a\.jpg: missing mask 1_1\.b\.jpg; DDTI\/2_1\.a\.jpg: missing mask 2_1\.b\.jpg\); .*--allow-empty/,
    );
    assert.equal(existsSync(out), false, 'the output folder the failed run created is gone');
    // An output folder that was there before stays (with only what was in it).
    await mkdir(join(out, 'Other'), { recursive: true });
    await assert.rejects(writeDataset(module, dir, out), /no image was converted/);
    assert.deepEqual(readdirSync(out), ['Other']);
  } finally {
    cleanup();
  }
});

test('--allow-empty records an empty dataset, and data verify reports it as it reports an empty folder', async () => {
  const { dir, cleanup } = tempDir('corpus-allow-empty');
  try {
    const module = fakeDataset('Empty', ['lesion'], async function* () {});
    const done = await writeDataset(module, dir, join(dir, 'out'), { allowEmpty: true });
    assert.equal(done.images, 0);
    const report = await verifyCoco(join(dir, 'out', 'Empty', 'Empty.coco.json'));
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems, [{ kind: 'empty', message: 'holds no images' }]);
    assert.equal(
      (await verifyPath(join(dir, 'out'))).every((r) => r.ok),
      false,
    );
  } finally {
    cleanup();
  }
});

const CHILD = fileURLToPath(new URL('./swap_child.ts', import.meta.url));

function convertInChild(out: string, raw: string, tag: string, killAt: KillPoint): number | null {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CHILD, out, raw, tag, killAt], { encoding: 'utf8' });
  if (killAt === 'none') assert.equal(result.status, 0, result.stderr);
  return result.status;
}

async function tagOf(out: string): Promise<string> {
  const coco = await readCoco(join(out, 'Swap', 'Swap.coco.json'));
  return String(coco.images[0].labels?.tag);
}

for (const killAt of ['after-aside', 'after-swap', 'during-cleanup'] as const) {
  test(`a --force re-conversion killed ${killAt} loses neither copy: the next run puts a finished one back`, async () => {
    const { dir, cleanup } = tempDir(`corpus-swap-${killAt}`);
    try {
      const out = join(dir, 'out');
      convertInChild(out, dir, 'old', 'none');
      assert.equal(await tagOf(out), 'old');
      const status = convertInChild(out, dir, 'new', killAt);
      assert.equal(status, null, 'the child was killed'); // spawnSync: status null when a signal ended it
      // The next run (here one whose raw data now fails, the worst case) must find a finished copy.
      const failing = fakeDataset('Swap', ['lesion'], async function* () {
        throw new Error('raw folder unreadable');
      });
      await assert.rejects(writeDataset(failing, dir, out), /Swap is already converted/);
      assert.ok(existsSync(join(out, 'Swap', 'DONE.json')), 'a finished copy is in place');
      assert.ok((await verifyCoco(join(out, 'Swap', 'Swap.coco.json'))).ok);
      // Before the swap's first rename both copies are whole; after it the new one is complete.
      assert.equal(await tagOf(out), 'new');
      assert.deepEqual(readdirSync(out), ['Swap'], 'no temporary folder is left');
    } finally {
      cleanup();
    }
  });
}
