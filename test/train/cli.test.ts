// `ultrasam train` from the command line: a run.json with relative paths, flags over it, the
// JSON summary, --resume with the run's own saved config, and errors that name the field.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { registerTrainCommands } from '../../src/cli/train.js';
import { runCli } from '../cli/in_process.js';
import { RunLog } from '../../src/train/log.js';
import { planRun } from '../../src/train/plan.js';
import { DEFAULTS, mergeConfig, validateRunConfig } from '../../src/train/run_config.js';
import { type SyntheticCorpus, tinyTrainConfig, writeSyntheticCoco } from './synthetic.js';
import { tempDir } from '../helpers/temp_dir.js';

let corpus: SyntheticCorpus;
let work: string;
let removeWork: () => void;
before(async () => {
  corpus = await writeSyntheticCoco(4, 32, 32, 6);
  ({ dir: work, cleanup: removeWork } = tempDir('train-cli'));
});
after(() => {
  corpus.cleanup();
  removeWork();
});

/** Runs `ultrasam train ...args` in-process; returns what it printed on stdout. */
async function cli(args: string[]): Promise<string> {
  return (await runCli(registerTrainCommands, ['train', ...args])).out;
}

test('a run.json (paths relative to it) with flags over it; --resume --out alone continues with the saved config', async () => {
  const file = join(work, 'run.json');
  writeFileSync(
    file,
    JSON.stringify({
      data: [{ coco: relative(work, corpus.coco) }],
      model: tinyTrainConfig(),
      init: 'scratch',
      out: 'run',
      steps: 4,
      batch: { images: 2, instances: 1 },
      threads: 1,
    }),
  );
  const first = JSON.parse(await cli(['--config', file, '--steps', '3', '--workers', '0', '--no-progress', '--json']));
  assert.equal(first.totalSteps, 3, '--steps overrides the file');
  assert.equal(first.files.log, join(work, 'run', 'log.jsonl'), 'out is relative to the config file');
  assert.equal(new RunLog(first.files.log).read().length, 3);
  // Resuming a finished run (with its own saved config) has no step left to do.
  const again = JSON.parse(await cli(['--resume', '--out', join(work, 'run'), '--json', '--no-progress']));
  assert.equal(again.startStep, 3);
  assert.equal(again.endStep, 3);
  await assert.rejects(cli(['--config', file, '--steps', '3', '--json', '--no-progress']), /already holds a run/);
});

test('run config errors name the field and the value', () => {
  const base = { data: [{ coco: 'x.json' }], init: 'scratch', out: 'o', steps: 10 };
  const check = (over: Record<string, unknown>, message: RegExp) => assert.throws(() => validateRunConfig(mergeConfig(DEFAULTS as unknown as Record<string, unknown>, base, over)), message);
  check({ steps: 0 }, /steps must be an integer ≥ 1, got 0/);
  check({ batch: { images: 2.5 } }, /batch\.images must be an integer ≥ 1, got 2\.5/);
  check({ optimizer: { lr: -1 } }, /optimizer\.lr must be a number/);
  check({ schedule: { type: 'linear' } }, /schedule\.type must be 'multistep', 'cosine' or 'constant', got "linear"/);
  check({ multimask: 'sometimes' }, /multimask must be 'auto', 'always' or 'never'/);
  check({ iouOutputs: 'all' }, /iouOutputs must be 'best' or 'candidates', got "all"/);
  check({ lonePoint: 'both' }, /lonePoint must be 'candidates' or 'single', got "both"/);
  check({ maskTarget: 'soft' }, /maskTarget must be 'binary', 'coverage' or 'input', got "soft"/);
  check({ clickGrid: 'pixels' }, /clickGrid must be 'cells' or 'input', got "pixels"/);
  check({ focalAlpha: 1.5 }, /focalAlpha must be a number in \[0, 1\], got 1\.5/);
  check({ clickFocus: { weight: 10, radius: 0 } }, /clickFocus\.radius must be a number > 0 \(input pixels\), got 0/);
  check({ clickFocus: { weight: -1, radius: 8 } }, /clickFocus\.weight must be a number in \[0, Infinity\], got -1/);
  check({ clickFocus: 3 }, /clickFocus must be an object \{ weight, radius \}, got 3/);
  check({ sizeBalance: -0.5 }, /sizeBalance must be a number in \[0, 1\], got -0\.5/);
  check({ lonePoint: 'single', multimask: 'always' }, /multimask must be 'auto' with lonePoint 'single'.*got "always"/);
  check({ data: [] }, /data must be a non-empty list/);
  check({ prompts: { boxProbability: 2 } }, /prompts\.boxProbability must be a number in \[0, 1\], got 2/);
  assert.equal(validateRunConfig(mergeConfig(DEFAULTS as unknown as Record<string, unknown>, base)).optimizer.lr, 1e-4);
});

test("focalAlpha reaches the loss; absent, the reference's 0.25; the flag takes 0–1", async () => {
  const base = { data: [{ coco: corpus.coco, images: corpus.dir }], init: 'scratch', model: tinyTrainConfig(), out: join(work, 'alpha'), steps: 1 };
  const alpha = (over: Record<string, unknown>) => planRun(validateRunConfig(mergeConfig(DEFAULTS as unknown as Record<string, unknown>, base, over))).graph.loss?.alpha;
  assert.equal(alpha({}), 0.25);
  assert.equal(alpha({ focalAlpha: 0.5 }), 0.5);
  await assert.rejects(runCli(registerTrainCommands, ['train', '--focal-alpha', '2']), /--focal-alpha.*'2' is not a number in \[0, 1\]/);
});

test('clickFocus reaches the loss; absent, none; the flag takes weight,radius', async () => {
  const base = { data: [{ coco: corpus.coco, images: corpus.dir }], init: 'scratch', model: tinyTrainConfig(), out: join(work, 'focus'), steps: 1 };
  const focus = (over: Record<string, unknown>) => planRun(validateRunConfig(mergeConfig(DEFAULTS as unknown as Record<string, unknown>, base, over))).graph.loss?.clickFocus;
  assert.equal(focus({}), undefined);
  assert.deepEqual(focus({ clickFocus: { weight: 10, radius: 8 } }), { weight: 10, radius: 8 });
  await assert.rejects(runCli(registerTrainCommands, ['train', '--click-focus', '10']), /--click-focus.*expected weight,radius/);
  await assert.rejects(runCli(registerTrainCommands, ['train', '--click-focus', '10,0']), /--click-focus.*radius > 0/);
  await assert.rejects(runCli(registerTrainCommands, ['train', '--click-focus', '10,8,all']), /--click-focus.*expected weight,radius\[,corrective\]/);
  assert.deepEqual(focus({ clickFocus: { weight: 10, radius: 8, corrective: true } }), { weight: 10, radius: 8, corrective: true });
});

test('clickGrid reaches the click simulation and the samples; absent, the cells; the flag takes cells or input', async () => {
  const base = { data: [{ coco: corpus.coco, images: corpus.dir }], init: 'scratch', model: tinyTrainConfig(), out: join(work, 'grid'), steps: 1, prompts: { clicks: 2 } };
  const plan = (over: Record<string, unknown>) => planRun(validateRunConfig(mergeConfig(DEFAULTS as unknown as Record<string, unknown>, base, over)));
  assert.deepEqual([plan({}).layout.clickGrid, plan({}).sample.clickGrid], ['cells', 'cells']);
  assert.deepEqual([plan({ clickGrid: 'input' }).layout.clickGrid, plan({ clickGrid: 'input' }).sample.clickGrid], ['input', 'input']);
  await assert.rejects(runCli(registerTrainCommands, ['train', '--click-grid', 'pixels']), /--click-grid.*'pixels'.*Allowed choices are cells, input/);
});
