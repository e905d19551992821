// `ultrasam finetune classify|segment|compare`, `ultrasam classify` and `ultrasam predict-seg`:
// the UltraSam encoder as a foundation model for downstream ultrasound tasks.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { checkOutputPaths } from './outputs.js';
import { fraction, integer, list, positive } from './parse.js';
import { type ClassifyReport, finetuneClassifier } from '../downstream/classify.js';
import { type CompareTask, compareInits, formatTable } from '../downstream/compare.js';
import type { EpochReport, Mode } from '../downstream/fit.js';
import { classifyImages, segmentImage, writeLabelPng } from '../downstream/predict.js';
import { type SegmentReport, finetuneSegmenter } from '../downstream/segment.js';
import { type SamConfig, validateConfig } from '../model/config.js';

type Opts = Record<string, unknown>;

function readArch(path: unknown): SamConfig | undefined {
  if (typeof path !== 'string') return undefined;
  let config: SamConfig;
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as SamConfig;
  } catch (error) {
    throw new Error(`cannot read the architecture ${path}: ${(error as Error).message}`);
  }
  validateConfig(config);
  return config;
}

function resolveInitArg(init: string): string {
  return init === 'random' || init === 'ultrasam-tiny' ? init : resolve(init);
}

/** Options shared by every fine-tune command. */
function trainingOptions(cmd: Command): Command {
  return cmd
    .option('--init <ultrasam-tiny|random|weights>', "encoder init: the bundled model, a random draw, a SAM/UltraSam checkpoint, or an earlier finetune's model", 'ultrasam-tiny')
    .option('--arch <config.json>', 'architecture of a random init, as a SAM config JSON (default ultrasam-tiny)')
    .option('--epochs <n>', 'passes over the training images', integer(1))
    .option('--batch <n>', 'images per step', integer(1))
    .option('--lr <x>', 'peak learning rate (cosine decay; default: by mode)', positive)
    .option('--seed <n>', 'seed of the split, the head init, a random encoder and the data order', integer(0), 0)
    .option('--test-fraction <f>', 'share of the images held out (whole patients)', fraction, 0.2)
    .option('--threads <n>', 'onnxruntime threads', integer(1))
    .option('--json', 'print the result as one JSON object');
}

function classifyData(cmd: Command): Command {
  return cmd
    .requiredOption('--data <dir|csv|coco.json>', 'a folder per class, a CSV of path,label[,patient], or a COCO file with image labels')
    .option('--label-field <name>', 'COCO: the image label to classify (e.g. tirads)')
    .option('--classes <spec>', "group label values into classes: 'benign=2,3;malignant=4a,4b,4c,5'")
    .option('--drop-unmapped', 'leave out images whose label is missing or not in --classes (instead of stopping)')
    .option('--test <dir|csv|coco.json>', 'held-out set (same layout options) instead of splitting --data, e.g. the corpus test split')
    .addOption(new Option('--class-weights <how>', 'loss weight per class').choices(['balanced', 'none']).default('balanced'));
}

/** The values of `trainingOptions` that every fine-tune passes on as they are. */
function trainingBase(o: Opts) {
  return {
    randomConfig: readArch(o.arch),
    epochs: o.epochs as number | undefined,
    batchSize: o.batch as number | undefined,
    lr: o.lr as number | undefined,
    testFraction: o.testFraction as number,
    threads: o.threads as number | undefined,
  };
}

function classifyBase(o: Opts) {
  return {
    ...trainingBase(o),
    data: resolve(o.data as string),
    labelField: o.labelField as string | undefined,
    classes: o.classes as string | undefined,
    dropUnmapped: Boolean(o.dropUnmapped),
    test: typeof o.test === 'string' ? resolve(o.test) : undefined,
    classWeights: o.classWeights as 'balanced' | 'none',
  };
}

function segmentBase(o: Opts) {
  return {
    ...trainingBase(o),
    coco: resolve(o.coco as string),
    testCoco: typeof o.testCoco === 'string' ? resolve(o.testCoco) : undefined,
  };
}

const onEpoch = (o: Opts) => (e: EpochReport) => {
  if (!o.json) console.error(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)} (${e.seconds.toFixed(1)} s)`);
};

const pct = (x: number | null) => (x === null ? '—' : x.toFixed(3));

function printClassify(r: ClassifyReport): void {
  console.log(`held out ${r.test_images} images (split: ${r.split_grouped_by}), trained on ${r.train_images}`);
  console.log(`accuracy ${pct(r.accuracy)}  macro-F1 ${pct(r.macro_f1)}`);
  for (const [c, m] of Object.entries(r.per_class)) console.log(`  ${c}: F1 ${pct(m.f1)}  precision ${pct(m.precision)}  recall ${pct(m.recall)}  (${m.support} images)`);
  console.log(`confusion (rows true, columns predicted: ${r.classes.join(', ')}): ${JSON.stringify(r.confusion)}`);
  for (const [k, v] of Object.entries(r.files)) console.log(`${k}: ${v}`);
}

function printSegment(r: SegmentReport): void {
  console.log(`held out ${r.test_images} images (split: ${r.split_grouped_by}), trained on ${r.train_images}`);
  for (const c of r.classes) console.log(`  Dice ${c}: ${pct(r.dice[c])}`);
  console.log(`mean foreground Dice ${pct(r.mean_dice)}`);
  for (const [k, v] of Object.entries(r.files)) console.log(`${k}: ${v}`);
}

export function registerFinetuneCommands(program: Command): void {
  const finetune = program.command('finetune').description('fine-tune the UltraSam encoder for a downstream task (classification, segmentation) and compare inits');
  const modeOption = () => new Option('--mode <mode>', 'linear: frozen encoder, train the head; full: train everything').choices(['linear', 'full']).default('linear');

  trainingOptions(classifyData(finetune.command('classify').description('train an image classifier: pooled encoder features + a linear head')))
    .addOption(modeOption())
    .requiredOption('--out <dir>', 'output folder: model.safetensors, confusion.png, report.json')
    .action(async (o: Opts) => {
      checkOutputPaths([{ flag: '--out', path: o.out as string, kind: 'folder' }]);
      const r = await finetuneClassifier({
        ...classifyBase(o),
        init: resolveInitArg(o.init as string),
        mode: o.mode as Mode,
        seed: o.seed as number,
        out: resolve(o.out as string),
        onEpoch: onEpoch(o),
      });
      if (o.json) console.log(JSON.stringify(r));
      else printClassify(r);
    });

  trainingOptions(finetune.command('segment').description('train a semantic segmenter (light head on the encoder, one class per COCO category + background)'))
    .requiredOption('--coco <file>', 'COCO file with masks (images relative to its folder)')
    .option('--test-coco <file>', 'held-out COCO file (same categories) instead of splitting --coco')
    .addOption(modeOption())
    .requiredOption('--out <dir>', 'output folder: model.safetensors, report.json')
    .action(async (o: Opts) => {
      checkOutputPaths([{ flag: '--out', path: o.out as string, kind: 'folder' }]);
      const r = await finetuneSegmenter({
        ...segmentBase(o),
        init: resolveInitArg(o.init as string),
        mode: o.mode as Mode,
        seed: o.seed as number,
        out: resolve(o.out as string),
        onEpoch: onEpoch(o),
      });
      if (o.json) console.log(JSON.stringify(r));
      else printSegment(r);
    });

  const compare = finetune
    .command('compare')
    .description('repeat a fine-tune over inits × modes × seeds and print mean ± std per (init, mode)')
    .addOption(new Option('--task <task>', 'what to fine-tune').choices(['classify', 'segment']).makeOptionMandatory())
    .option('--data <dir|csv|coco.json>', 'classify: a folder per class, a CSV, or a COCO file with image labels')
    .option('--label-field <name>', 'classify, COCO: the image label')
    .option('--classes <spec>', "classify: 'benign=2,3;malignant=4a,4b,4c,5'")
    .option('--drop-unmapped', 'classify: leave out images whose label is not in --classes')
    .option('--test <dir|csv|coco.json>', 'classify: held-out set instead of splitting --data')
    .addOption(new Option('--class-weights <how>', 'classify: loss weight per class').choices(['balanced', 'none']).default('balanced'))
    .option('--coco <file>', 'segment: COCO file with masks')
    .option('--test-coco <file>', 'segment: held-out COCO file instead of splitting --coco')
    .option('--inits <a,b,...>', 'encoder inits to compare', list, ['ultrasam-tiny', 'random'])
    .option('--modes <a,b,...>', 'modes to compare', list, ['linear', 'full'])
    .option('--seeds <a,b,...>', 'seeds (each: split, head, random encoder, data order)', list, ['0', '1', '2']);
  trainingOptions(compare).action(async (o: Opts) => {
    const modes = (o.modes as string[]).map((m) => {
      if (m !== 'linear' && m !== 'full') throw new Error(`--modes: '${m}' is not linear or full`);
      return m as Mode;
    });
    const seeds = (o.seeds as string[]).map((s) => integer(0)(s));
    let job: CompareTask;
    if (o.task === 'classify') {
      if (!o.data) throw new Error('--task classify needs --data');
      job = { task: 'classify', base: classifyBase(o) };
    } else {
      if (!o.coco) throw new Error('--task segment needs --coco');
      job = { task: 'segment', base: segmentBase(o) };
    }
    const report = await compareInits(job, {
      inits: (o.inits as string[]).map(resolveInitArg),
      modes,
      seeds,
      // Progress goes to stderr even with --json (stdout keeps the one object): a comparison runs long.
      onRun: (r) => {
        console.error(
          `${r.init} ${r.mode} seed ${r.seed}: ${Object.entries(r.metrics)
            .map(([k, v]) => `${k} ${v.toFixed(3)}`)
            .join(', ')}`,
        );
      },
    });
    if (o.json) {
      console.log(JSON.stringify(report));
      return;
    }
    const metricNames = job.task === 'classify' ? ['macro_f1', 'accuracy'] : ['mean_dice'];
    console.log(formatTable(report.summary, metricNames));
  });

  program
    .command('classify')
    .description('classify images with a model from `ultrasam finetune classify`')
    .argument('<images...>', 'image files')
    .requiredOption('--model <file>', 'model.safetensors from finetune classify')
    .option('--threads <n>', 'onnxruntime threads', integer(1))
    .option('--json', 'print one JSON object per image (one line each)')
    .action(async (images: string[], o: Opts) => {
      const results = await classifyImages(
        images.map((p) => resolve(p)),
        resolve(o.model as string),
        { threads: o.threads as number | undefined },
      );
      for (const r of results) {
        if (o.json) console.log(JSON.stringify(r));
        else
          console.log(
            `${r.image}: ${r.label} (${Object.entries(r.probabilities)
              .map(([c, p]) => `${c} ${p.toFixed(3)}`)
              .join(', ')})`,
          );
      }
    });

  program
    .command('predict-seg')
    .description('segment an image with a model from `ultrasam finetune segment`; writes the label map PNG (pixel value = class index)')
    .argument('<image>', 'image file')
    .requiredOption('--model <file>', 'model.safetensors from finetune segment')
    .requiredOption('--out <png>', 'label map to write')
    .option('--threads <n>', 'onnxruntime threads', integer(1))
    .option('--json', 'print the classes and their areas as one JSON object')
    .action(async (image: string, o: Opts) => {
      checkOutputPaths(
        [{ flag: '--out', path: o.out as string, kind: 'file' }],
        [
          { flag: '<image>', path: image },
          { flag: '--model', path: o.model as string },
        ],
      );
      const p = await segmentImage(resolve(image), resolve(o.model as string), { threads: o.threads as number | undefined });
      const out = resolve(o.out as string);
      await writeLabelPng(out, p);
      const summary = { image: p.image, out, width: p.width, height: p.height, classes: p.classes, areas: p.areas };
      if (o.json) console.log(JSON.stringify(summary));
      else console.log(`${out}: ${p.width}×${p.height}, ${p.classes.map((c, i) => `${i} ${c} (${p.areas[c]} px)`).join(', ')}`);
    });
}
