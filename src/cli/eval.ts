// `ultrasam eval`: prompted segmentation quality of a model on a COCO file (Dice, IoU, mask AP, NoC).
import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkOutputPaths } from './outputs.js';
import { integer } from './parse.js';
import { evaluate } from '../eval/evaluate.js';
import { parsePromptSpec } from '../eval/prompts.js';
import { writeReport } from '../eval/report.js';
import { summarize, type EvalSummary } from '../eval/summary.js';
import type { MultimaskMode } from '../eval/types.js';
import { SamPredictor } from '../model/predictor.js';

const DEFAULT_MODEL = 'ultrasam-tiny';

function promptOption(text: string) {
  try {
    return parsePromptSpec(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

const fmt = (v: number | null) => (v === null || Number.isNaN(v) ? '–' : v.toFixed(4));

function printText(summary: EvalSummary): void {
  console.log(`${summary.prompt}${summary.refine ? ' + refinement' : ''}: ${summary.n_instances} instances in ${summary.n_images} images (${summary.seconds.toFixed(1)} s)`);
  console.log(
    `Dice mean ${fmt(summary.dice_mean)} median ${fmt(summary.dice_median)} | IoU mean ${fmt(summary.iou_mean)} median ${fmt(summary.iou_median)} | AP ${fmt(summary.ap.AP)} AP50 ${fmt(summary.ap.AP50)} AP75 ${fmt(summary.ap.AP75)}`,
  );
  if (summary.clicks) {
    const c = summary.clicks;
    console.log(
      `NoC@85 ${c.noc85.toFixed(2)} NoC@90 ${c.noc90.toFixed(2)} | IoU per click ${c.mean_iou_per_click.map((v) => v.toFixed(3)).join(' ')} | Dice per click ${c.mean_dice_per_click.map((v) => v.toFixed(3)).join(' ')}`,
    );
  }
  for (const [name, g] of Object.entries(summary.per_dataset)) {
    console.log(`  ${name}: n ${g.n}, Dice ${fmt(g.dice_mean)} (median ${fmt(g.dice_median)}), IoU ${fmt(g.iou_mean)}, AP ${fmt(g.ap.AP)}`);
  }
}

export function registerEvalCommands(program: Command): void {
  program
    .command('eval')
    .description('evaluate prompted segmentation on a COCO file: Dice, IoU (mean/median per dataset and structure), mask AP, NoC for clicks')
    .requiredOption('--coco <file>', 'COCO file with RLE (or polygon) masks, e.g. a held-out split <dataset>.test.coco.json')
    .option('--images <dir>', "folder the images' file_name are relative to (default: the COCO file's folder)")
    .option('--weights <file>', `SAM/MedSAM/UltraSam .pth or ultrasam .safetensors (default: the bundled ${DEFAULT_MODEL})`)
    .requiredOption('--prompt <kind>', 'point (mask centroid) | box (tight box) | box-jitter (±5 % corners) | clicks:K (simulated clicks)', promptOption)
    .option('--json', 'print one JSON object (dice_mean, iou_mean, n_instances, per-dataset/structure tables, AP, NoC)')
    .option('--out <dir>', 'write report.md, report.json, instances.jsonl and overlays of the best and worst cases there')
    .option('--overlays <n>', 'best and worst cases drawn in the report', integer(0), 5)
    .option('--limit <n>', 'evaluate only the first N images that have instances', integer(1))
    .option('--seed <n>', 'seed of the random prompt draws (box-jitter)', integer(0), 0)
    .option('--batch <n>', 'prompts per decoder call', integer(1), 16)
    .option('--refine', "UltraSam's test-time refinement: decode each prompt again with its mask's box and low-resolution logits (point, box, box-jitter)")
    .addOption(
      new Option('--multimask <mode>', 'decoder outputs: auto (three for a lone point, else one), always, never; the best-scored is kept').choices(['auto', 'always', 'never']).default('auto'),
    )
    .option('--threads <n>', 'onnxruntime threads', integer(1))
    .option('--decoder-heads <n>', 'attention heads of the mask decoder, for a .pth of a non-standard model (default 8)', integer(1))
    .action(async (o) => {
      if (o.out) checkOutputPaths([{ flag: '--out', path: o.out, kind: 'folder' }], [{ flag: '--coco', path: o.coco }]);
      const weights: string = o.weights ?? DEFAULT_MODEL;
      const predictor = await SamPredictor.load(weights, { threads: o.threads, decoderHeads: o.decoderHeads });
      try {
        const result = await evaluate(predictor, {
          coco: o.coco,
          imagesDir: o.images,
          prompt: o.prompt,
          seed: o.seed,
          limit: o.limit,
          batchSize: o.batch,
          multimask: o.multimask as MultimaskMode,
          refine: !!o.refine,
          progress: process.stderr.isTTY === true,
        });
        const summary = summarize(result, predictor.source);
        if (o.out) {
          const command = ['ultrasam', ...process.argv.slice(2)].join(' ');
          const files = await writeReport(result, summary, o.out, { overlays: o.overlays, command });
          if (!o.json) console.log(`report: ${files.markdown}, ${files.json}, ${files.instances} (${files.overlays.length} overlays)`);
        }
        if (o.json) console.log(JSON.stringify(summary));
        else printText(summary);
      } finally {
        await predictor.release();
      }
    });
}
