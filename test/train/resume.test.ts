// Resuming at the edges: a run that had already finished, a log whose last line a kill cut short,
// an output folder without a run.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { registerTrainCommands } from '../../src/cli/train.js';
import { loadTrainingState } from '../../src/train/checkpoint.js';
import { RunLog } from '../../src/train/log.js';
import { runCli } from '../cli/in_process.js';
import { type SyntheticCorpus, tinyTrainConfig, writeSyntheticCoco } from './synthetic.js';
import { tempDir } from '../helpers/temp_dir.js';

let corpus: SyntheticCorpus;
let work: string;
let removeWork: () => void;
before(async () => {
  corpus = await writeSyntheticCoco(4, 32, 32, 6);
  ({ dir: work, cleanup: removeWork } = tempDir('resume'));
});
after(() => {
  corpus.cleanup();
  removeWork();
});

test('a log line cut by a kill is dropped; any other bad line is still an error', () => {
  const path = join(work, 'log.jsonl');
  writeFileSync(path, '{"step":0,"loss":1}\n{"step":1,"loss":0.5}\n{"step":2,"lo');
  assert.deepEqual(
    new RunLog(path).read().map((e) => e.step),
    [0, 1],
  );
  new RunLog(path).truncate(5);
  assert.deepEqual(
    new RunLog(path).read().map((e) => e.step),
    [0, 1],
    'truncate rewrites without it',
  );
  writeFileSync(path, '{"step":0,"loss":1}\n{"step":1,"loss":0.5}');
  assert.deepEqual(
    new RunLog(path).read().map((e) => e.step),
    [0, 1],
    'a whole last line without its newline is kept',
  );
  writeFileSync(path, '{"step":0,"loss":1}\n{"step":1,"lo\n{"step":2,"loss":0.5}\n');
  assert.throws(() => new RunLog(path).read(), /log\.jsonl: line 2 is not JSON/);
});

test('--resume of a finished run does nothing and reports the loss its log ends on, not NaN; a cut log line does not block it', async () => {
  const out = join(work, 'run');
  const runJson = join(work, 'run.json');
  writeFileSync(runJson, JSON.stringify({ data: [{ coco: corpus.coco }], model: tinyTrainConfig(), init: 'scratch', out, steps: 3, batch: { images: 2, instances: 1 }, threads: 1, workers: 0 }));
  const first = JSON.parse((await runCli(registerTrainCommands, ['train', '--config', runJson, '--json', '--no-progress'])).out);
  const losses = new RunLog(first.files.log).read().map((e) => e.loss);
  assert.equal(losses.length, 3);
  appendFileSync(first.files.log, '{"step":3,"loss":0.1'); // as if a kill had cut an append short
  const again = JSON.parse((await runCli(registerTrainCommands, ['train', '--resume', '--out', out, '--json', '--no-progress'])).out);
  assert.deepEqual([again.startStep, again.endStep, again.totalSteps], [3, 3, 3]);
  assert.ok(Math.abs(again.finalLoss - losses.reduce((a, b) => a + b, 0) / 3) < 1e-12, `finalLoss ${again.finalLoss}`);
  const text = (await runCli(registerTrainCommands, ['train', '--resume', '--out', out, '--no-progress'])).out;
  assert.match(text, /had already finished its 3 steps: nothing to do; loss \d\.\d{4} over its last logged steps/);
  assert.doesNotMatch(text, /NaN/);
});

test('--resume on a folder without a run says so', () => {
  const empty = join(work, 'empty');
  mkdirSync(empty);
  assert.throws(() => loadTrainingState(empty), /^Error: --resume: no training state in .*empty \(state\.safetensors is missing\): nothing to resume$/);
});
