// `finetune classify`: encoder features + a linear head, trained on a patient-level hold-out split,
// evaluated on the held-out part (accuracy, macro-F1, per-class F1, confusion matrix), saved.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeConfusionPng } from './confusion_png.js';
import { type FinetuneOptions, type Mode, type RunReport, fit, runReport } from './fit.js';
import { type HeadSpec, initHead } from './heads.js';
import { argmax, embedImages, runHead } from './infer.js';
import { encoderValues, resolveInit } from './init.js';
import { type ClassificationMetrics, classificationMetrics } from './metrics.js';
import { saveDownstreamModel } from './model_file.js';
import { prepareAll } from './prepare.js';
import { type ClassificationData, type LabelledImage, type LoadOptions, loadClassificationData } from './samples.js';
import { holdOutSplit } from './split.js';

export interface ClassifyOptions extends LoadOptions, FinetuneOptions {
  data: string;
  /**
   * A held-out set in any of the data layouts (same label options), used instead of a split of
   * `data` — e.g. the corpus's test split, whose images the foundation model never trained on.
   */
  test?: string;
  /** 'balanced': loss weight of a class ∝ 1 / its training images (default); 'none': all 1. */
  classWeights?: 'balanced' | 'none';
}

export interface ClassifyReport extends ClassificationMetrics, RunReport {
  task: 'classify';
  classes: string[];
  class_weights: Record<string, number>;
}

export const DEFAULT_LR: Record<Mode, number> = { linear: 3e-3, full: 1e-4 };

export async function finetuneClassifier(o: ClassifyOptions): Promise<ClassifyReport> {
  const seed = o.seed ?? 0;
  const data = await loadClassificationData(o.data, o);
  const classes = data.classes;
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const { trainSamples, testSamples, groupedBy } = await heldOut(data, o, seed);
  const init = await resolveInit(o.init, { config: o.randomConfig, seed });
  const config = init.config;
  const trainImages = await prepareAll(
    trainSamples.map((s) => s.path),
    config,
  );

  const counts = classes.map((c) => trainSamples.filter((s) => s.label === c).length);
  const weights = counts.map((n) => (o.classWeights === 'none' || n === 0 ? 1 : trainSamples.length / (classes.length * n)));
  const labels = trainSamples.map((s) => classIndex.get(s.label)!);
  const spec: HeadSpec = { task: 'classify', numClasses: classes.length };
  const result = await fit({
    config,
    values: new Map([...encoderValues(init.values), ...initHead(spec, config, seed)]),
    spec,
    mode: o.mode,
    images: trainImages,
    fillTargets: (slots, target, weight) => {
      target.fill(0);
      slots.forEach((idx, i) => {
        weight[i] = idx === undefined ? 0 : weights[labels[idx]];
        if (idx !== undefined) target[i * classes.length + labels[idx]] = 1;
      });
    },
    epochs: o.epochs ?? 10,
    batchSize: o.batchSize ?? 8,
    lr: o.lr ?? DEFAULT_LR[o.mode],
    seed,
    threads: o.threads,
    onEpoch: o.onEpoch,
  });

  const testImages = await prepareAll(
    testSamples.map((s) => s.path),
    config,
  );
  const embeddings = await embedImages(config, result.values, testImages, o.batchSize ?? 8, o);
  const logits = await runHead(spec, config, result.values, embeddings, o);
  const predicted = logits.map((l) => argmax(l));
  const metrics = classificationMetrics(
    testSamples.map((s) => classIndex.get(s.label)!),
    predicted,
    classes,
  );

  const report: ClassifyReport = {
    task: 'classify',
    ...metrics,
    classes,
    class_weights: Object.fromEntries(classes.map((c, i) => [c, weights[i]])),
    ...runReport(o, seed, result, { trainImages: trainSamples.length, testImages: testSamples.length, groupedBy }),
  };
  if (o.out) {
    report.files = { model: join(o.out, 'model.safetensors'), confusion: join(o.out, 'confusion.png'), report: join(o.out, 'report.json') };
    const training = { init: o.init, test: o.test, mode: o.mode, seed, data: data.source, label_field: o.labelField, class_map: o.classes, macro_f1: metrics.macro_f1, accuracy: metrics.accuracy };
    saveDownstreamModel(report.files.model, { meta: { format: 'ultrasam-downstream', task: 'classify', classes, training }, config, values: result.values });
    await writeConfusionPng(report.files.confusion, metrics.confusion);
    await writeFile(report.files.report, JSON.stringify(report, null, 1) + '\n');
  }
  return report;
}

/** Train and test samples: a seeded patient-level split of `data`, or `data` against `o.test`. */
async function heldOut(data: ClassificationData, o: ClassifyOptions, seed: number): Promise<{ trainSamples: LabelledImage[]; testSamples: LabelledImage[]; groupedBy: string }> {
  if (!o.test) {
    const split = holdOutSplit(data.samples, seed, o.testFraction ?? 0.2);
    return { trainSamples: split.train.map((i) => data.samples[i]), testSamples: split.test.map((i) => data.samples[i]), groupedBy: split.groupedBy };
  }
  const test = await loadClassificationData(o.test, { ...o, classes: o.classes });
  for (const c of test.classes) {
    if (!data.classes.includes(c)) throw new Error(`class '${c}' of the test set ${test.source} has no training images in ${data.source}`);
  }
  const trainPatients = new Set(data.samples.map((s) => s.patient).filter((p) => p !== undefined));
  const shared = test.samples.find((s) => s.patient !== undefined && trainPatients.has(s.patient));
  if (shared) throw new Error(`patient '${shared.patient}' is in the training data and in the test set (${shared.path}); the test set must hold other patients`);
  return { trainSamples: data.samples, testSamples: test.samples, groupedBy: 'given test set' };
}
