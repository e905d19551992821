// A pool of worker threads preparing samples (see sample_worker.ts). The package runs from its
// TypeScript sources through tsx when it is not built; a worker does not inherit tsx's loader in
// that case, so a TypeScript worker is started through a two-line bootstrap that registers tsx
// first (the same way bin/ultrasam.js does).
import { Worker } from 'node:worker_threads';
import type { TrainImage } from './dataset.js';
import type { PreparedSample, SampleOptions } from './sample.js';
import type { SampleReply, SampleTask } from './sample_worker.js';

interface Pending {
  resolve: (sample: PreparedSample) => void;
  reject: (error: Error) => void;
  worker: number;
}

function startWorker(): Worker {
  const here = import.meta.url;
  const workerUrl = new URL(here.endsWith('.ts') ? './sample_worker.ts' : './sample_worker.js', here);
  if (!here.endsWith('.ts')) return new Worker(workerUrl);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export class SamplePool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;
  private closing = false;

  constructor(count: number) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`sample pool: worker count must be a positive integer, got ${count}`);
    for (let i = 0; i < count; i++) {
      const worker = startWorker();
      worker.on('message', (reply: SampleReply) => this.settle(reply));
      worker.on('error', (error) => this.fail(new Error(`sample worker ${i} failed: ${error.message}`)));
      // A worker that stops without an error event (killed, out of memory) would leave its samples
      // pending for ever: fail them instead.
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`sample worker ${i} exited unexpectedly (exit code ${code})`));
      });
      // Idle workers must not keep the process alive once training is done.
      worker.unref();
      this.workers.push(worker);
      this.load.push(0);
    }
  }

  prepare(item: TrainImage, seed: number, options: SampleOptions): Promise<PreparedSample> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.load.indexOf(Math.min(...this.load));
    const id = this.nextId++;
    this.load[worker]++;
    const task: SampleTask = { id, item, seed, options };
    return new Promise<PreparedSample>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      this.workers[worker].ref();
      this.workers[worker].postMessage(task);
    });
  }

  private settle(reply: SampleReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (--this.load[p.worker] === 0) this.workers[p.worker].unref();
    if ('error' in reply) p.reject(new Error(reply.error));
    else p.resolve(reply.sample);
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.closing = true;
    // A worker being terminated no longer keeps the event loop alive, and one that is finishing a
    // sample or still loading its modules can take a while to exit: with nothing else pending, Node
    // would end the loop under an awaited close() (seen as a cancelled test on a loaded machine,
    // 4 in 16 runs; none with this timer).
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      await Promise.all(this.workers.map((w) => w.terminate()));
    } finally {
      clearInterval(keepAlive);
    }
    this.workers.length = 0;
  }
}
