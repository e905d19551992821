// The evaluation loop: one prompt per ground-truth instance, a predictor over a COCO file and its
// images, grouped by image (the image is embedded once and all its instances are decoded together).
// Crowd annotations are not prompted but stay in AP as crowd regions (as in COCOeval); empty masks
// are skipped; images without any instance left are skipped.
import { dirname, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { readCoco, type CocoAnnotation, type CocoFile, type CocoImage } from '../data/coco.js';
import { encodeMask, type Rle } from '../data/rle.js';
import type { PredictInput } from '../model/predictor.js';
import { maskIouMatrix } from './coco_ap.js';
import { annotationMask } from './gt_mask.js';
import { runClicks } from './interactive.js';
import { maskOverlap } from './metrics.js';
import { datasetOf, planImages, resolveImage, type SkipCounts } from './plan.js';
import { bestOutput, multimaskFlag, predictInChunks, type ChosenOutput } from './predict.js';
import { instanceRandom, promptSpecName, singleShotPrompt } from './prompts.js';
import type { ApImageInput, EvalPredictor, InstanceResult, MultimaskMode, PromptSpec, UsedPrompt } from './types.js';

export interface EvaluateOptions {
  /** The COCO file: a path, or the parsed file with the path it came from (for messages and the default images dir). */
  coco: string | { file: CocoFile; path: string };
  /** Folder the images' `file_name`s are relative to (also tried: the base name in it). Default: the COCO file's folder. */
  imagesDir?: string;
  prompt: PromptSpec;
  /** Seed of the random draws (box-jitter); each instance's draws depend on the seed and its annotation id only. */
  seed?: number;
  /** Evaluate the first N images that have instances (file order). */
  limit?: number;
  /** Prompts per decoder call (default 16). */
  batchSize?: number;
  multimask?: MultimaskMode;
  /** UltraSam's test-time refinement on every prompt (point, box, box-jitter; see model/refine.ts). */
  refine?: boolean;
  /** Show a progress bar on stderr (when it is a terminal). */
  progress?: boolean;
}

export type { SkipCounts } from './plan.js';
export { datasetOf } from './plan.js';

export interface EvalResult {
  cocoPath: string;
  imagesDir: string;
  prompt: string;
  seed: number;
  multimask: MultimaskMode;
  /** Whether UltraSam's test-time refinement was applied. */
  refine: boolean;
  /** Images evaluated. */
  images: number;
  skipped: SkipCounts;
  instances: InstanceResult[];
  /** COCOeval's per (image, category) input for mask AP. */
  apInputs: ApImageInput[];
  /** Predicted and ground-truth masks by annotation id (for overlays). */
  predictions: Map<number, Rle>;
  groundTruths: Map<number, Rle>;
  seconds: number;
}

async function singleShot(
  predictor: EvalPredictor,
  gts: Uint8Array[],
  anns: CocoAnnotation[],
  image: CocoImage,
  options: Required<Pick<EvaluateOptions, 'prompt' | 'seed' | 'batchSize' | 'multimask' | 'refine'>>,
) {
  const prompts = gts.map((gt, i) => singleShotPrompt(options.prompt, gt, image.width, image.height, instanceRandom(options.seed, anns[i].id)));
  const inputs: PredictInput[] = prompts.map((p) => ({ ...p.prompt, multimask: multimaskFlag(options.multimask), ...(options.refine ? { refine: true } : {}) }));
  const predictions = await predictInChunks(predictor, inputs, options.batchSize);
  return predictions.map((p, i) => ({ chosen: bestOutput(p, `image ${image.id}, annotation ${anns[i].id}`), used: prompts[i].prompt, centroidInside: prompts[i].centroidInside }));
}

/** Runs the predictor over every instance and returns per-instance results and AP inputs. */
export async function evaluate(predictor: EvalPredictor, options: EvaluateOptions): Promise<EvalResult> {
  const started = performance.now();
  const cocoPath = typeof options.coco === 'string' ? options.coco : options.coco.path;
  const coco = typeof options.coco === 'string' ? await readCoco(options.coco) : options.coco.file;
  const imagesDir = resolve(options.imagesDir ?? dirname(cocoPath));
  const settings = { prompt: options.prompt, seed: options.seed ?? 0, batchSize: options.batchSize ?? 16, multimask: options.multimask ?? 'auto', refine: options.refine ?? false };
  if (settings.refine && settings.prompt.kind === 'clicks') {
    throw new Error('refine applies to the single-prompt protocols (point, box, box-jitter); simulated clicks already feed each mask back');
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) throw new Error(`limit must be a positive integer, got ${options.limit}`);
  const skipped: SkipCounts = { imagesWithoutInstances: 0, imagesBeyondLimit: 0, crowdAnnotations: 0, emptyMasks: 0 };
  let work: ReturnType<typeof planImages>;
  try {
    work = planImages(coco, skipped, options.limit); // decodes every ground truth first: a malformed one stops the run here
  } catch (error) {
    throw new Error(`${cocoPath}: ${(error as Error).message}`, { cause: error });
  }
  if (work.length === 0) throw new Error(`${cocoPath}: no image has an instance to evaluate (${coco.annotations.length} annotations, ${skipped.emptyMasks} with empty masks)`);
  const categoryName = new Map(coco.categories.map((c) => [c.id, c.name]));
  const structureOf = (a: CocoAnnotation) => a.structure ?? categoryName.get(a.category_id) ?? `category ${a.category_id}`;
  const instances: InstanceResult[] = [];
  const apInputs: ApImageInput[] = [];
  const predictions = new Map<number, Rle>();
  const groundTruths = new Map<number, Rle>();
  const bar = options.progress
    ? new cliProgress.SingleBar({ format: 'eval {bar} {value}/{total} images | Dice {dice} | ETA {eta_formatted}', stream: process.stderr, etaBuffer: 20 }, cliProgress.Presets.shades_classic)
    : undefined;
  let diceSum = 0;
  bar?.start(work.length, 0, { dice: '-' });
  try {
    for (const { image, prompted, apGts } of work) {
      const where = `image ${image.id} (${image.file_name})`;
      const imagePath = resolveImage(imagesDir, image);
      await predictor.setImage(imagePath);
      const gts = prompted.map((a) => annotationMask(a, image));
      let outcomes: { chosen: ChosenOutput; used: UsedPrompt; centroidInside?: boolean; ious?: number[]; clicks?: [number, number, number][] }[];
      if (settings.prompt.kind === 'clicks') {
        const clicked = await runClicks(predictor, gts, image.width, image.height, { clicks: settings.prompt.clicks, batchSize: settings.batchSize, multimask: settings.multimask, where });
        outcomes = clicked.map((c) => ({
          chosen: c.final,
          used: { points: [[c.clicks[0].x, c.clicks[0].y]], labels: [1] },
          ious: c.ious,
          clicks: c.clicks.map((k) => [k.x, k.y, k.label] as [number, number, number]),
        }));
      } else {
        outcomes = await singleShot(predictor, gts, prompted, image, settings);
      }
      const predMasks = outcomes.map((o, i) => {
        if (o.chosen.mask.length !== image.width * image.height) {
          throw new Error(
            `${where}: the prediction for annotation ${prompted[i].id} has ${o.chosen.mask.length} pixels, the image is ${image.width}×${image.height} (does the image file match the COCO width and height?)`,
          );
        }
        return o.chosen.mask;
      });
      outcomes.forEach((o, i) => {
        const a = prompted[i];
        const overlap = maskOverlap(o.chosen.mask, gts[i]);
        predictions.set(a.id, encodeMask(o.chosen.mask, image.height, image.width));
        groundTruths.set(a.id, encodeMask(gts[i], image.height, image.width));
        instances.push({
          annotationId: a.id,
          imageId: image.id,
          fileName: image.file_name,
          imagePath,
          dataset: datasetOf(image),
          category: structureOf(a),
          categoryId: a.category_id,
          gtArea: overlap.gtArea,
          predArea: overlap.predArea,
          dice: overlap.dice,
          iou: overlap.iou,
          score: o.chosen.score,
          prompt: o.used,
          ...(o.centroidInside !== undefined ? { centroidInside: o.centroidInside } : {}),
          ...(o.ious ? { clickIous: o.ious, clicks: o.clicks } : {}),
        });
      });
      apInputs.push(
        ...apInputsOf(
          image,
          prompted,
          apGts,
          gts,
          predMasks,
          outcomes.map((o) => o.chosen.score),
          structureOf,
        ),
      );
      for (let i = instances.length - outcomes.length; i < instances.length; i++) diceSum += instances[i].dice;
      bar?.increment(1, { dice: (diceSum / instances.length).toFixed(4) });
    }
  } finally {
    bar?.stop();
  }
  return {
    cocoPath,
    imagesDir,
    prompt: promptSpecName(settings.prompt),
    seed: settings.seed,
    multimask: settings.multimask,
    refine: settings.refine,
    images: work.length,
    skipped,
    instances,
    apInputs,
    predictions,
    groundTruths,
    seconds: (performance.now() - started) / 1000,
  };
}

/** COCOeval's inputs for one image: per category, its predictions against all its ground truths (crowd included). */
function apInputsOf(
  image: CocoImage,
  prompted: CocoAnnotation[],
  apGts: CocoAnnotation[],
  gts: Uint8Array[],
  preds: Uint8Array[],
  scores: number[],
  structureOf: (a: CocoAnnotation) => string,
): ApImageInput[] {
  const categories = [...new Set(apGts.map((a) => a.category_id))];
  const area = (m: Uint8Array) => m.reduce((s, v) => s + (v ? 1 : 0), 0);
  return categories.map((categoryId) => {
    const dIdx = prompted.map((a, i) => (a.category_id === categoryId ? i : -1)).filter((i) => i >= 0);
    const gAnns = apGts.filter((a) => a.category_id === categoryId);
    const gMasks = gAnns.map((a) => (a.iscrowd === 1 ? annotationMask(a, image) : gts[prompted.indexOf(a)]));
    const dMasks = dIdx.map((i) => preds[i]);
    return {
      imageId: image.id,
      categoryId,
      gts: gAnns.map((a, k) => ({ id: a.id, area: typeof a.area === 'number' ? a.area : area(gMasks[k]), iscrowd: a.iscrowd === 1, structure: structureOf(a) })),
      dts: dIdx.map((i, k) => ({ id: prompted[i].id, area: area(dMasks[k]), score: scores[i], structure: structureOf(prompted[i]) })),
      ious: maskIouMatrix(
        dMasks,
        gMasks,
        gAnns.map((a) => a.iscrowd === 1),
      ),
    };
  });
}
