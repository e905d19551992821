// `finetune segment`: a light semantic-segmentation head on the encoder's embedding (multi-class
// softmax over the COCO categories + background), trained on a patient-level hold-out split and
// scored by Dice per class on the held-out part, in the model's input frame (padding excluded).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FinetuneOptions, type Mode, type RunReport, fit, runReport } from './fit.js';
import { type HeadSpec, initHead } from './heads.js';
import { embedImages, runHead } from './infer.js';
import { encoderValues, resolveInit } from './init.js';
import { DiceAccumulator } from './metrics.js';
import { saveDownstreamModel } from './model_file.js';
import { type PreparedSeg, type SegData, loadSegmentationData, prepareSeg } from './seg_data.js';
import { holdOutSplit } from './split.js';

export interface SegmentOptions extends FinetuneOptions {
  coco: string;
  /** A held-out COCO file (same categories) instead of a split of `coco`. */
  testCoco?: string;
}

export interface SegmentReport extends RunReport {
  task: 'segment';
  classes: string[];
  /** Dice per class on the held-out split (null: the class is in neither prediction nor truth). */
  dice: Record<string, number | null>;
  /** Mean Dice over the foreground classes that have one. */
  mean_dice: number;
}

export const DEFAULT_SEG_LR: Record<Mode, number> = { linear: 3e-3, full: 2e-4 };

export async function finetuneSegmenter(o: SegmentOptions): Promise<SegmentReport> {
  const seed = o.seed ?? 0;
  const data = await loadSegmentationData(o.coco);
  const testData = o.testCoco ? await loadSegmentationData(o.testCoco) : undefined;
  if (testData && testData.classes.join('\u0000') !== data.classes.join('\u0000')) {
    throw new Error(`the test set ${testData.source} has categories ${testData.classes.slice(1).join(', ')}; the training set ${data.source} has ${data.classes.slice(1).join(', ')}`);
  }
  const split = testData ? { train: data.samples.map((_, i) => i), test: [], groupedBy: 'given test set' } : holdOutSplit(data.samples, seed, o.testFraction ?? 0.2);
  const init = await resolveInit(o.init, { config: o.randomConfig, seed });
  const config = init.config;
  const s = config.imageEncoder.imgSize;
  const k = data.classes.length;
  const prepare = async (from: SegData, indices: number[]) => {
    const out: PreparedSeg[] = [];
    for (const i of indices) out.push(await prepareSeg(from, from.samples[i], config));
    return out;
  };
  const train = await prepare(data, split.train);
  const spec: HeadSpec = { task: 'segment', numClasses: k };
  const result = await fit({
    config,
    values: new Map([...encoderValues(init.values), ...initHead(spec, config, seed)]),
    spec,
    mode: o.mode,
    images: train.map((t) => t.image),
    fillTargets: (slots, target, weight) => {
      target.fill(0);
      weight.fill(0);
      slots.forEach((idx, b) => {
        if (idx === undefined) return;
        const { image, labels } = train[idx];
        const [h, w] = image.inputSize;
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            weight[b * s * s + y * s + x] = 1;
            target[((b * k + labels[y * w + x]) * s + y) * s + x] = 1;
          }
        }
      });
    },
    epochs: o.epochs ?? 10,
    batchSize: o.batchSize ?? 4,
    lr: o.lr ?? DEFAULT_SEG_LR[o.mode],
    seed,
    threads: o.threads,
    onEpoch: o.onEpoch,
  });

  const test = testData
    ? await prepare(
        testData,
        testData.samples.map((_, i) => i),
      )
    : await prepare(data, split.test);
  const embeddings = await embedImages(
    config,
    result.values,
    test.map((t) => t.image),
    o.batchSize ?? 4,
    o,
  );
  const logits = await runHead(spec, config, result.values, embeddings, o);
  const dice = new DiceAccumulator(data.classes);
  test.forEach((t, i) => dice.add(labelMap(logits[i], k, s, t.image.inputSize), t.labels));
  const perClass = dice.result();
  const foreground = data.classes
    .slice(1)
    .map((c) => perClass[c])
    .filter((d): d is number => d !== null);

  const report: SegmentReport = {
    task: 'segment',
    classes: data.classes,
    dice: perClass,
    mean_dice: foreground.length ? foreground.reduce((a, b) => a + b, 0) / foreground.length : 0,
    ...runReport(o, seed, result, { trainImages: train.length, testImages: test.length, groupedBy: split.groupedBy }),
  };
  if (o.out) {
    report.files = { model: join(o.out, 'model.safetensors'), report: join(o.out, 'report.json') };
    const training = { init: o.init, test: o.testCoco, mode: o.mode, seed, data: data.source, dice: perClass };
    saveDownstreamModel(report.files.model, { meta: { format: 'ultrasam-downstream', task: 'segment', classes: data.classes, training }, config, values: result.values });
    await writeFile(report.files.report, JSON.stringify(report, null, 1) + '\n');
  }
  return report;
}

/** Per-pixel argmax of logits [K, S, S] over the image part [h, w] of the padded square. */
export function labelMap(logits: Float32Array, k: number, s: number, [h, w]: [number, number]): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (logits[(c * s + y) * s + x] > logits[(best * s + y) * s + x]) best = c;
      out[y * w + x] = best;
    }
  }
  return out;
}
