// Worker thread entry: prepares training samples (image decoding, resizing, masks, prompts) off the
// main thread, so the next batch is ready while onnxruntime runs the current step.
import { parentPort } from 'node:worker_threads';
import type { TrainImage } from './dataset.js';
import { type PreparedSample, type SampleOptions, prepareSample } from './sample.js';

export interface SampleTask {
  id: number;
  item: TrainImage;
  seed: number;
  options: SampleOptions;
}

export type SampleReply = { id: number; sample: PreparedSample } | { id: number; error: string };

/** The buffers a prepared sample can hand over without copying. */
export function transferables(sample: PreparedSample): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  if (sample.image) buffers.add(sample.image.buffer as ArrayBuffer);
  for (const inst of sample.instances) for (const a of [inst.target, inst.coverage, inst.input, inst.coords, inst.labels]) if (a) buffers.add(a.buffer as ArrayBuffer);
  return [...buffers];
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (task: SampleTask) => {
    prepareSample(task.item, task.seed, task.options).then(
      (sample) => port.postMessage({ id: task.id, sample } satisfies SampleReply, transferables(sample)),
      (error: unknown) => port.postMessage({ id: task.id, error: error instanceof Error ? error.message : String(error) } satisfies SampleReply),
    );
  });
}
