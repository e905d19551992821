// `ultrasam train`: the training recipe from the shell. A run.json holds the run; flags override it.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkOutputPaths } from './outputs.js';
import { decimal, integer, nonNegative, unitInterval } from './parse.js';
import { loadTrainingState } from '../train/checkpoint.js';
import { type StepReport, train } from '../train/run.js';
import { DEFAULTS, type RunConfig, mergeConfig, validateRunConfig } from '../train/run_config.js';

type Json = Record<string, unknown>;

function collectData(text: string, previous: Json[] = []): Json[] {
  const [coco, images] = text.split('=');
  if (!coco) throw new InvalidArgumentError(`--data '${text}' must be COCO.json or COCO.json=IMAGES_DIR`);
  return [...previous, { coco: resolve(coco), ...(images ? { images: resolve(images) } : {}) }];
}

/** Paths in a config file are relative to the file. */
function readConfigFile(path: string): Json {
  let raw: Json;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Json;
  } catch (error) {
    throw new Error(`cannot read run config ${path}: ${(error as Error).message}`);
  }
  const base = dirname(resolve(path));
  const at = (p: unknown) => (typeof p === 'string' && !isAbsolute(p) ? resolve(base, p) : p);
  if (Array.isArray(raw.data)) raw.data = raw.data.map((d: Json) => ({ ...d, coco: at(d.coco), ...(d.images ? { images: at(d.images) } : {}) }));
  if (raw.init !== 'scratch') raw.init = at(raw.init);
  raw.out = at(raw.out);
  return raw;
}

/** The run config from flags (only those given). */
function flagLayer(o: Record<string, unknown>): Json {
  const layer: Json = {
    data: o.data,
    allowEvaluationOnly: o.allowEvaluationOnly,
    model: o.model,
    init: o.init === 'scratch' || o.init === undefined ? o.init : resolve(o.init as string),
    out: o.out === undefined ? undefined : resolve(o.out as string),
    steps: o.steps,
    epochs: o.epochs,
    batch: { images: o.images, instances: o.instances },
    optimizer: { lr: o.lr, weightDecay: o.weightDecay, clipNorm: o.clipNorm === 'none' ? null : o.clipNorm === undefined ? undefined : decimal(o.clipNorm as string) },
    prompts: { clicks: o.clicks, maskOnlyIterations: o.maskOnly },
    augment: o.augment,
    balance: o.balance,
    sizeBalance: o.sizeBalance,
    multimask: o.multimask,
    lonePoint: o.lonePoint,
    maskTarget: o.maskTarget,
    focalAlpha: o.focalAlpha,
    clickFocus: o.clickFocus,
    clickGrid: o.clickGrid,
    refine: o.refine,
    freezeEncoder: o.freezeEncoder,
    cacheEmbeddings: o.cacheEmbeddings,
    flip: o.flip === false ? false : undefined,
    seed: o.seed,
    threads: o.threads,
    workers: o.workers,
    checkpointEvery: o.checkpointEvery,
  };
  if (o.schedule || o.warmup !== undefined || o.milestones) {
    layer.schedule = {
      type: o.schedule,
      warmupSteps: o.warmup,
      milestones: o.milestones ? String(o.milestones).split(',').map(decimal) : undefined,
    };
  }
  return layer;
}

const AUGMENT_KEYS = ['crop', 'cropMinScale', 'rotateDegrees', 'intensity', 'synthetic'];

/** `crop=0.5,intensity=0.8`: the augment fields given (validated with the rest of the run config). */
function augmentOptions(text: string): Json {
  const out: Json = {};
  for (const part of text.split(',').filter(Boolean)) {
    const [key, value] = part.split('=');
    if (!AUGMENT_KEYS.includes(key)) throw new InvalidArgumentError(`'${key}' is not one of ${AUGMENT_KEYS.join(', ')}`);
    const n = Number(value);
    if (value === undefined || value === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${key}: '${value ?? ''}' is not a number`);
    out[key] = n;
  }
  return out;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

/** `--click-focus weight,radius[,corrective]`: the run config's clickFocus. */
function clickFocus(text: string): { weight: number; radius: number; corrective?: boolean } {
  const parts = text.split(',');
  const [weight, radius] = parts.slice(0, 2).map(Number);
  const corrective = parts[2] === 'corrective';
  if (parts.length < 2 || parts.length > 3 || (parts.length === 3 && !corrective) || !(weight >= 0) || !(radius > 0)) {
    throw new InvalidArgumentError(`expected weight,radius[,corrective] with weight ≥ 0 and radius > 0 (e.g. 10,8), got '${text}'`);
  }
  return { weight, radius, ...(corrective ? { corrective } : {}) };
}

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description('train or fine-tune a SAM/UltraSam model on COCO data (UltraSam recipe); a run.json holds the run, flags override it')
    .option('--config <run.json>', 'the run configuration (see docs); its relative paths are relative to it')
    .option('--data <coco.json[=images-dir]>', "training COCO file, with its image folder when not the file's own; repeatable", collectData)
    .option('--allow-evaluation-only', 'train on evaluation-only datasets (marked in `ultrasam data list`) if the data holds them; refused otherwise')
    .option('--model <name>', "architecture: 'ultrasam-tiny', 'vit_b', 'vit_l', 'vit_h' (default: the init weights' own)")
    .option('--init <scratch|weights>', 'start from scratch, our .safetensors, or a SAM/MedSAM/UltraSam .pth')
    .option('--out <dir>', 'output folder: state, weights.safetensors, log.jsonl, loss.png')
    .option('--steps <n>', 'training steps', integer(1))
    .option('--epochs <n>', 'training length in passes over the images (when --steps is absent)', nonNegative)
    .option('--images <n>', 'images per step', integer(1))
    .option('--instances <n>', 'instances per image per step', integer(1))
    .option('--lr <x>', 'peak learning rate (default 1e-4)', nonNegative)
    .option('--weight-decay <x>', 'AdamW weight decay (default 1e-4)', nonNegative)
    .option('--clip-norm <x|none>', 'clip the global gradient norm (default 0.1)')
    .addOption(new Option('--schedule <type>', 'learning-rate schedule after the warm-up').choices(['multistep', 'cosine', 'constant']))
    .option('--warmup <steps>', 'linear warm-up steps', integer(0))
    .option('--milestones <a,b,...>', 'multistep: steps where the rate drops 10×')
    .option('--clicks <n>', 'interactive training: n iterations per instance that each add a corrective click (0: off)', integer(0))
    .option('--mask-only <n>', 'interactive training: n iterations per instance with the previous mask and no new click', integer(0))
    .option('--augment <k=v,...>', 'augmentations: crop=P,cropMinScale=S,rotateDegrees=D,intensity=P,synthetic=P', augmentOptions)
    .option('--balance <b>', 'sampling over datasets: 1 as the data comes, 0 every dataset equally', nonNegative)
    .option('--size-balance <e>', 'sampling over instance size within each dataset: images drawn ∝ (median / smallest-instance area)^e, 0–1 (0: uniform)', unitInterval)
    .option('--refine', "a second decoder pass with the first pass's logits as the mask prompt")
    .addOption(new Option('--multimask <mode>', 'outputs supervised: auto (SAM: 1-3 for a single point), always, never').choices(['auto', 'always', 'never']))
    .addOption(
      new Option(
        '--lone-point <output>',
        "what a lone point is decoded into (click rule): the click simulation keeps it; 'single' also supervises half the lone points through it and is recorded in the weights",
      ).choices(['candidates', 'single']),
    )
    .option('--focal-alpha <a>', "the focal loss's weight of foreground cells, 0–1 (the reference's 0.25 draws masks too small)", unitInterval)
    .option(
      '--click-focus <weight,radius[,corrective]>',
      "extra focal weight around the prompt's clicks (or only the corrective ones): 1 + weight · exp(−d²/2radius²), radius in input pixels",
      clickFocus,
    )
    .addOption(
      new Option(
        '--mask-target <kind>',
        "the loss's target: on the low-resolution grid, cells covered at least half (binary) or each cell's covered share (coverage); or the mask at input resolution against the upsampled logits (input)",
      ).choices(['binary', 'coverage', 'input']),
    )
    .addOption(
      new Option(
        '--click-grid <grid>',
        'where the click simulation finds error regions: the low-resolution cells (cells) or the input frame against the upsampled logits (input, where evaluation and users find them)',
      ).choices(['cells', 'input']),
    )
    .option('--freeze-encoder', 'train only the prompt encoder and mask decoder')
    .option('--cache-embeddings', 'freeze the encoder and train on embeddings computed once (fast fine-tuning)')
    .option('--no-flip', 'no random horizontal flips')
    .option('--seed <n>', 'seed of the data order, augmentation and initial weights', integer(0))
    .option('--threads <n>', 'onnxruntime threads (exact reproduction needs the same count)', integer(1))
    .option('--workers <n>', 'worker threads preparing batches (0: main thread)', integer(0))
    .option('--checkpoint-every <n>', 'steps between checkpoints', integer(1))
    .option('--resume', "continue the run in --out (or the config's out) exactly where its last checkpoint left it")
    .option('--json', 'print the result as one JSON object')
    .option('--no-progress', 'no progress bar')
    .action(async (o: Record<string, unknown>) => {
      const flags = flagLayer(o);
      if (typeof flags.out === 'string') checkOutputPaths([{ flag: '--out', path: flags.out, kind: 'folder' }]);
      let file: Json = o.config ? readConfigFile(o.config as string) : {};
      if (o.resume && !o.config && !o.data) {
        // `--resume --out DIR` alone: the run's own config, saved in its state.
        if (typeof flags.out !== 'string') throw new Error('--resume needs --out DIR (or --config)');
        file = loadTrainingState(flags.out).meta.run as Json;
      }
      const config: RunConfig = validateRunConfig(mergeConfig(DEFAULTS as unknown as Json, file, flags));
      checkOutputPaths([{ flag: flags.out === undefined ? 'out (run config)' : '--out', path: config.out, kind: 'folder' }]);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      const showBar = o.progress !== false && process.stderr.isTTY;
      const bar = showBar
        ? new cliProgress.SingleBar(
            { format: 'train {bar} {value}/{total} steps | loss {loss} | {rate} img/s | ETA {eta}', stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      let barStarted = false;
      try {
        const result = await train(config, {
          resume: !!o.resume,
          signal: controller.signal,
          onStage: (message, done, total) => {
            if (!o.json && (done === undefined || done === total || (done ?? 0) % 50 === 0)) console.error(done === undefined ? message : `${message}: ${done}/${total}`);
          },
          onStep: (r: StepReport) => {
            if (!bar) return;
            const payload = { loss: r.loss.toFixed(4), rate: r.imagesPerSecond.toFixed(2), eta: formatSeconds(r.etaSeconds) };
            if (!barStarted) {
              bar.start(r.total, r.step, payload);
              barStarted = true;
            } else bar.update(r.step, payload);
          },
        });
        bar?.stop();
        if (o.json) console.log(JSON.stringify(result));
        else if (result.startStep >= result.totalSteps) {
          const loss = Number.isFinite(result.finalLoss) ? `; loss ${result.finalLoss.toFixed(4)} over its last logged steps` : '';
          console.log(`the run in ${config.out} had already finished its ${result.totalSteps} steps: nothing to do${loss}`);
          console.log(`weights: ${result.files.weights}`);
        } else {
          const stopped = result.endStep < result.totalSteps;
          console.log(
            `${stopped ? `stopped at step ${result.endStep} of ${result.totalSteps} (continue with --resume)` : `trained ${result.totalSteps} steps`}; ` +
              `loss ${result.finalLoss.toFixed(4)}, ${result.imagesPerSecond.toFixed(2)} images/s, ${formatSeconds(result.wallSeconds)}`,
          );
          console.log(`weights: ${result.files.weights}\nlog: ${result.files.log}\nloss curve: ${result.files.curve}`);
        }
      } finally {
        bar?.stop();
        process.removeListener('SIGINT', stop);
      }
    });
}
