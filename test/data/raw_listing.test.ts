// Listing a raw dataset folder (support/files.ts, used by every converter): natural order, filters,
// hidden files skipped, and symbolic links to files followed like the files themselves.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeDataset } from '../../src/data/corpus.js';
import { listFiles } from '../../src/data/datasets/support/files.js';
import { getDataset } from '../../src/data/registry.js';
import { tempDir } from '../helpers/temp_dir.js';
import { writeDdti } from './raw_builders.js';

test('listFiles: natural order, extensions and name pattern, hidden entries skipped, recursion optional', async () => {
  const { dir, cleanup } = tempDir('listing');
  try {
    for (const name of ['10.png', '2.png', '1.PNG', 'notes.txt', '.DS_Store', '._2.png']) writeFileSync(join(dir, name), 'x');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', '3.png'), 'x');
    assert.deepEqual(await listFiles(dir), ['1.PNG', '2.png', '10.png', 'notes.txt', 'sub/3.png']);
    assert.deepEqual(await listFiles(dir, { extensions: ['.png'] }), ['1.PNG', '2.png', '10.png', 'sub/3.png']);
    assert.deepEqual(await listFiles(dir, { recursive: false, match: /^\d+\.png$/ }), ['2.png', '10.png']);
  } finally {
    cleanup();
  }
});

test('listFiles follows symbolic links to files (not to folders, not dangling ones)', async () => {
  const { dir, cleanup } = tempDir('listing-links');
  try {
    const store = join(dir, 'store');
    const raw = join(dir, 'raw');
    mkdirSync(join(store, 'deep'), { recursive: true });
    mkdirSync(raw);
    writeFileSync(join(store, 'a.png'), 'x');
    writeFileSync(join(store, 'deep', 'b.png'), 'x');
    writeFileSync(join(raw, 'c.png'), 'x');
    symlinkSync(join(store, 'a.png'), join(raw, 'a.png'));
    symlinkSync(join(store, 'missing.png'), join(raw, 'dangling.png'));
    symlinkSync(join(store, 'deep'), join(raw, 'linked-folder'));
    assert.deepEqual(await listFiles(raw), ['a.png', 'c.png']);
  } finally {
    cleanup();
  }
});

test('a raw copy made of symbolic links converts as the files themselves (DDTI)', async () => {
  const { dir, cleanup } = tempDir('linked-raw');
  try {
    await writeDdti(join(dir, 'files'));
    // The same folder tree, every file a link to the original.
    const link = (from: string, to: string) => {
      mkdirSync(to, { recursive: true });
      for (const entry of readdirSync(from, { withFileTypes: true })) {
        if (entry.isDirectory()) link(join(from, entry.name), join(to, entry.name));
        else symlinkSync(join(from, entry.name), join(to, entry.name));
      }
    };
    link(join(dir, 'files'), join(dir, 'links'));
    const direct = await writeDataset(getDataset('DDTI'), join(dir, 'files'), join(dir, 'out-files'));
    const linked = await writeDataset(getDataset('DDTI'), join(dir, 'links'), join(dir, 'out-links'));
    assert.ok(direct.images > 0);
    assert.deepEqual([linked.images, linked.annotations, linked.warnings], [direct.images, direct.annotations, direct.warnings]);
  } finally {
    cleanup();
  }
});
