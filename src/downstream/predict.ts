// Prediction with a fine-tuned model: `ultrasam classify IMAGE --model M` and
// `ultrasam predict-seg IMAGE --model M --out labels.png`.
import { encodePng, writeFileAtomic } from '../image/write.js';
import { type RunOptions, argmax, embedImages, runHead, softmax } from './infer.js';
import { type DownstreamModel, loadDownstreamModel } from './model_file.js';
import { prepareImage } from './prepare.js';
import { resizeLabels } from './seg_data.js';
import { labelMap } from './segment.js';

export interface ClassPrediction {
  image: string;
  label: string;
  probabilities: Record<string, number>;
}

function load(model: string | DownstreamModel, task: 'classify' | 'segment'): DownstreamModel {
  const m = typeof model === 'string' ? loadDownstreamModel(model) : model;
  if (m.meta.task !== task) {
    const other = m.meta.task === 'classify' ? "'ultrasam classify'" : "'ultrasam predict-seg'";
    throw new Error(`${typeof model === 'string' ? model : 'the model'} is a ${m.meta.task} model; use ${other}`);
  }
  return m;
}

export async function classifyImages(images: readonly string[], model: string | DownstreamModel, options: RunOptions = {}): Promise<ClassPrediction[]> {
  const m = load(model, 'classify');
  const spec = { task: 'classify' as const, numClasses: m.meta.classes.length };
  const prepared = [];
  for (const path of images) prepared.push(await prepareImage(path, m.config));
  const logits = await runHead(spec, m.config, m.values, await embedImages(m.config, m.values, prepared, 4, options), options);
  return logits.map((l, i) => {
    const p = softmax(l);
    return { image: images[i], label: m.meta.classes[argmax(l)], probabilities: Object.fromEntries(m.meta.classes.map((c, k) => [c, p[k]])) };
  });
}

export interface SegPrediction {
  image: string;
  /** Label map at the image's own size, row-major; values index `classes`. */
  labels: Uint8Array;
  width: number;
  height: number;
  classes: string[];
  /** Pixels per class. */
  areas: Record<string, number>;
}

export async function segmentImage(image: string, model: string | DownstreamModel, options: RunOptions = {}): Promise<SegPrediction> {
  const m = load(model, 'segment');
  const k = m.meta.classes.length;
  const prepared = await prepareImage(image, m.config);
  const [logits] = await runHead({ task: 'segment', numClasses: k }, m.config, m.values, await embedImages(m.config, m.values, [prepared], 1, options), options);
  const inFrame = labelMap(logits, k, m.config.imageEncoder.imgSize, prepared.inputSize);
  const [height, width] = prepared.originalSize;
  // Back to the image's size by nearest neighbour (labels stay labels).
  const labels = resizeLabels(inFrame, prepared.inputSize[1], prepared.inputSize[0], width, height);
  const areas = Object.fromEntries(m.meta.classes.map((c) => [c, 0]));
  for (const v of labels) areas[m.meta.classes[v]]++;
  return { image, labels, width, height, classes: m.meta.classes, areas };
}

/** The label map as an 8-bit grey PNG whose pixel values are the class indices (0 = background). */
export async function writeLabelPng(path: string, p: SegPrediction): Promise<void> {
  await writeFileAtomic(path, await encodePng({ data: p.labels, width: p.width, height: p.height, channels: 1 }));
}
