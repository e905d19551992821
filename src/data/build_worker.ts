/**
 * Child process of `data build`: converts one dataset and reports over IPC. A separate process per
 * dataset keeps a converter's memory, native decoders and crashes away from the others; a parent
 * that dies takes its workers with it (their partial folders are cleaned by the next run).
 */
import { writeDataset } from './corpus.js';
import { getDataset } from './registry.js';

export interface WorkerJob {
  dataset: string;
  rawDir: string;
  outDir: string;
  strict: boolean;
  force: boolean;
  allowEmpty: boolean;
}

export type WorkerMessage =
  | { type: 'progress'; dataset: string; images: number }
  | { type: 'warning'; dataset: string; file: string; problem: string }
  | { type: 'done'; dataset: string; done: Awaited<ReturnType<typeof writeDataset>> }
  | { type: 'error'; dataset: string; message: string };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, undefined, () => resolve());
  });
}

async function run(job: WorkerJob): Promise<void> {
  let lastReport = 0;
  try {
    const done = await writeDataset(getDataset(job.dataset), job.rawDir, job.outDir, {
      strict: job.strict,
      force: job.force,
      allowEmpty: job.allowEmpty,
      onWarning: (file, problem) => void send({ type: 'warning', dataset: job.dataset, file, problem }),
      onImage: (images) => {
        const now = Date.now();
        if (now - lastReport < 200) return; // the bar needs no more than a few updates a second
        lastReport = now;
        void send({ type: 'progress', dataset: job.dataset, images });
      },
    });
    await send({ type: 'done', dataset: job.dataset, done });
  } catch (error) {
    await send({ type: 'error', dataset: job.dataset, message: (error as Error).message });
  }
}

if (process.send) {
  process.on('disconnect', () => process.exit(1));
  process.once('message', (job: WorkerJob) => {
    void run(job).then(() => process.disconnect());
  });
}
