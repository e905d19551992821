import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCorpus, findRawDatasets, type BuildEvent } from '../../src/data/build.js';
import { verifyPath } from '../../src/data/verify.js';
import { writeBusi, writeDdti } from './raw_builders.js';
import { tempDir } from '../helpers/temp_dir.js';

test('build finds datasets by folder name, converts them in parallel workers, then skips them', async () => {
  const { dir, cleanup } = tempDir('build');
  try {
    const raw = join(dir, 'raw');
    await writeBusi(join(raw, 'busi'));
    await writeDdti(join(raw, 'DDTI_dataset'));
    await mkdir(join(raw, 'my-notes'));
    const found = findRawDatasets(raw);
    assert.deepEqual(
      found.found.map((f) => f.name),
      ['BUSI', 'DDTI'],
    );
    assert.deepEqual(found.unknownFolders, ['my-notes']);

    const out = join(dir, 'corpus');
    const events: BuildEvent[] = [];
    // BUSI is evaluation-only (evaluation_only.test.ts has the refusal): allowed here.
    const report = await buildCorpus(raw, out, { workers: 2, allowEvaluationOnly: true, onEvent: (e) => events.push(e) });
    assert.deepEqual(report.failed, []);
    assert.deepEqual(report.converted.map((d) => d.dataset).sort(), ['BUSI', 'DDTI']);
    assert.equal(report.images, 7);
    assert.ok(report.imagesPerSecond > 0);
    assert.deepEqual(events.filter((e) => e.type === 'started').length, 2);
    assert.ok(existsSync(join(out, 'BUSI', 'DONE.json')) && existsSync(join(out, 'DDTI', 'DONE.json')));
    assert.ok((await verifyPath(out)).every((r) => r.ok));

    const again = await buildCorpus(raw, out, { workers: 2, allowEvaluationOnly: true });
    assert.deepEqual([again.skipped, again.converted.length], [['BUSI', 'DDTI'], 0]);
    const forced = await buildCorpus(raw, out, { workers: 1, force: true, only: ['ddti'] });
    assert.deepEqual(
      forced.converted.map((d) => d.dataset),
      ['DDTI'],
    );
    assert.deepEqual(readdirSync(out).sort(), ['BUSI', 'DDTI']);
  } finally {
    cleanup();
  }
});

test('a dataset that fails in its worker is reported and leaves nothing behind', async () => {
  const { dir, cleanup } = tempDir('build-fail');
  try {
    const raw = join(dir, 'raw');
    await mkdir(join(raw, 'hc18'), { recursive: true }); // no training_set/: the converter throws
    const report = await buildCorpus(raw, join(dir, 'corpus'), { workers: 1 });
    assert.equal(report.failed.length, 1);
    assert.match(report.failed[0].message, /HC18: .*no training_set\/<n>_HC\.png images/);
    assert.equal(existsSync(join(dir, 'corpus')), false, 'the output folder the run created is removed too');
  } finally {
    cleanup();
  }
});

test('a raw root assembled from links: a linked dataset folder is found and converted, a dangling link is not a dataset', async () => {
  const { dir, cleanup } = tempDir('build-links');
  try {
    const elsewhere = join(dir, 'copies', 'DDTI_dataset');
    await writeDdti(elsewhere);
    const raw = join(dir, 'raw');
    await mkdir(raw);
    symlinkSync(elsewhere, join(raw, 'DDTI'));
    symlinkSync(join(dir, 'copies', 'missing'), join(raw, 'busi'));
    const found = findRawDatasets(raw);
    assert.deepEqual(
      found.found.map((f) => [f.name, f.rawDir]),
      [['DDTI', join(raw, 'DDTI')]],
    );
    const report = await buildCorpus(raw, join(dir, 'corpus'), { workers: 1 });
    assert.deepEqual(report.failed, []);
    assert.deepEqual(
      report.converted.map((d) => d.dataset),
      ['DDTI'],
    );
  } finally {
    cleanup();
  }
});
