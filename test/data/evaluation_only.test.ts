// Evaluation-only datasets (BUSI, BUS-BRA, MMOTU-2D/3D, CCAUI) are kept for measuring
// generalisation: `data build`, `data merge` and `train` refuse them unless told otherwise, and
// the refusal names the dataset and the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registerDataCommands } from '../../src/cli/data.js';
import { registerTrainCommands } from '../../src/cli/train.js';
import { buildCorpus } from '../../src/data/build.js';
import { writeDataset } from '../../src/data/corpus.js';
import { mergeCorpus } from '../../src/data/merge.js';
import { evaluationOnlyAmong, getDataset, listDatasets } from '../../src/data/registry.js';
import { loadTrainingSet } from '../../src/train/dataset.js';
import { DEFAULTS, mergeConfig, validateRunConfig } from '../../src/train/run_config.js';
import { runCli } from '../cli/in_process.js';
import { writeBusi, writeDdti } from './raw_builders.js';
import { fakeDataset, syntheticSample } from './helpers.js';
import { tempDir } from '../helpers/temp_dir.js';

const REFUSAL = /refusing to .*evaluation-only.*--allow-evaluation-only/;

test('the evaluation-only datasets are BUS-BRA, BUSI, CCAUI, MMOTU-2D and MMOTU-3D; found by any alias', () => {
  const marked = listDatasets()
    .filter((m) => m.info.evaluationOnly)
    .map((m) => m.info.name);
  assert.deepEqual(marked, ['BUS-BRA', 'BUSI', 'CCAUI', 'MMOTU-2D', 'MMOTU-3D']);
  assert.deepEqual(evaluationOnlyAmong(['ddti', 'Dataset_BUSI_with_GT', 'ccaui', 'not-a-dataset', 'busi']), ['BUSI', 'CCAUI']);
  assert.deepEqual(evaluationOnlyAmong(['DDTI', 'C-TRUS', 'CAMUS-processed']), []);
});

test('data build refuses an evaluation-only dataset under the raw root, converts nothing; --only or the flag go on', async () => {
  const { dir, cleanup } = tempDir('eval-only-build');
  try {
    const raw = join(dir, 'raw');
    await writeBusi(join(raw, 'BUSI'));
    await writeDdti(join(raw, 'DDTI'));
    const out = join(dir, 'corpus');
    await assert.rejects(buildCorpus(raw, out, { workers: 1 }), (error: Error) => {
      assert.match(error.message, /^refusing to convert \(found under .*raw\) BUSI: an evaluation-only dataset/);
      assert.match(error.message, /pass --allow-evaluation-only to convert them anyway, or --only to pick the other datasets/);
      return true;
    });
    assert.equal(existsSync(out) && readdirSync(out).length > 0, false, 'something was converted');
    // The command line says the same (the error reaches the shell).
    await assert.rejects(runCli(registerDataCommands, ['data', 'build', raw, out, '--workers', '1']), REFUSAL);

    const onlyDdti = await buildCorpus(raw, out, { workers: 1, only: ['ddti'] });
    assert.deepEqual(
      onlyDdti.converted.map((d) => d.dataset),
      ['DDTI'],
    );
    const { out: printed } = await runCli(registerDataCommands, ['data', 'build', raw, out, '--workers', '1', '--allow-evaluation-only']);
    assert.match(printed, /converted 1, skipped 1, failed 0/);
    assert.deepEqual(readdirSync(out).sort(), ['BUSI', 'DDTI']);
  } finally {
    cleanup();
  }
});

test('data merge refuses a corpus folder of an evaluation-only dataset and writes nothing; --datasets or the flag go on', async () => {
  const { dir, cleanup } = tempDir('eval-only-merge');
  try {
    const out = join(dir, 'corpus');
    const one = (name: string, structure: string) =>
      fakeDataset(name, [structure], async function* () {
        yield syntheticSample(8, 8, { [structure]: [[1, 1, 3, 3]] });
      });
    await writeDataset(one('DDTI', 'thyroid_nodule'), dir, out);
    await writeDataset(one('CCAUI', 'carotid_artery'), dir, out);
    const merged = join(out, 'all.coco.json');
    await assert.rejects(mergeCorpus(out, merged, { mode: 'agnostic' }), (error: Error) => {
      assert.match(error.message, /^refusing to merge CCAUI: an evaluation-only dataset, kept for measuring generalisation/);
      assert.match(error.message, /pass --allow-evaluation-only to merge them anyway \(an evaluation set\), or --datasets to pick the others/);
      return true;
    });
    assert.deepEqual(readdirSync(out).sort(), ['CCAUI', 'DDTI'], 'a merged or partial file was left');
    await assert.rejects(runCli(registerDataCommands, ['data', 'merge', out, merged]), REFUSAL);

    assert.equal((await mergeCorpus(out, merged, { mode: 'agnostic', datasets: ['DDTI'] })).images, 1);
    const { out: printed } = await runCli(registerDataCommands, ['data', 'merge', out, merged, '--allow-evaluation-only']);
    assert.match(printed, /all\.coco\.json: 2 images, 2 annotations/);
  } finally {
    cleanup();
  }
});

test('train refuses a COCO file of an evaluation-only dataset, found by file name, description, dataset field or image names', async () => {
  const { dir, cleanup } = tempDir('eval-only-train');
  try {
    await writeBusi(join(dir, 'raw'));
    const out = join(dir, 'corpus');
    await writeDataset(getDataset('busi'), join(dir, 'raw'), out);
    const busi = join(out, 'BUSI', 'BUSI.coco.json');
    const coco = JSON.parse(await readFile(busi, 'utf8')) as {
      info: Record<string, unknown>;
      images: { file_name: string; dataset?: string }[];
    };
    const variant = async (name: string, edit: (c: typeof coco) => void) => {
      const copy = structuredClone(coco);
      edit(copy);
      const path = join(out, 'BUSI', name);
      await writeFile(path, JSON.stringify(copy));
      return path;
    };
    const byImageNames = await variant('mine.json', (c) => delete c.info.description);
    const byDatasetField = await variant('merged.json', (c) => {
      delete c.info.description;
      c.images = c.images.map((i, k) => ({ ...i, file_name: `images/${k}.png`, dataset: 'CCAUI' }));
    });
    const plain = await variant('plain.json', (c) => {
      delete c.info.description;
      c.images = c.images.map((i, k) => ({ ...i, file_name: `images/${k}.png` }));
    });
    for (const [path, dataset] of [
      [busi, 'BUSI'],
      [byImageNames, 'BUSI'],
      [byDatasetField, 'CCAUI'],
    ]) {
      assert.throws(
        () => loadTrainingSet([{ coco: path }]),
        (error: Error) => {
          assert.match(error.message, new RegExp(`^refusing to train on ${path.replace(/[.\\/]/g, '\\$&')}, which holds ${dataset}: an evaluation-only dataset`));
          assert.match(error.message, /pass --allow-evaluation-only \(run config: "allowEvaluationOnly": true\) to train on it anyway/);
          return true;
        },
      );
      assert.equal(loadTrainingSet([{ coco: path }], { allowEvaluationOnly: true }).instances, 4);
    }
    assert.equal(loadTrainingSet([{ coco: plain }]).images.length, 3);

    // The run config's field: optional, a boolean.
    const base = { data: [{ coco: busi }], init: 'scratch', out: join(dir, 'run'), steps: 1 };
    assert.equal(validateRunConfig(mergeConfig(DEFAULTS as never, base)).allowEvaluationOnly, undefined);
    assert.equal(validateRunConfig(mergeConfig(DEFAULTS as never, { ...base, allowEvaluationOnly: true })).allowEvaluationOnly, true);
    assert.throws(() => validateRunConfig(mergeConfig(DEFAULTS as never, { ...base, allowEvaluationOnly: 'yes' })), /allowEvaluationOnly must be true or false, got "yes"/);

    // The command line: refused without the flag; with it the run gets past the data (and stops at
    // --resume, which finds no state, before anything is trained).
    const args = ['train', '--data', busi, '--init', 'scratch', '--model', 'ultrasam-tiny', '--out', join(dir, 'run'), '--steps', '1', '--resume', '--no-progress'];
    await assert.rejects(runCli(registerTrainCommands, args), REFUSAL);
    await assert.rejects(runCli(registerTrainCommands, [...args, '--allow-evaluation-only']), /--resume: no training state in/);
  } finally {
    cleanup();
  }
});
