// What the benchmark scripts share: flags, and the median time of repeated runs after a warm-up.
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export interface BenchArgs {
  json: boolean;
  threads: number;
  repeats: number;
  has(flag: string): boolean;
  /** The text after `name`, or `fallback` when the flag is absent. */
  text(name: string, fallback: string): string;
  /** `--pause-ms`: milliseconds to wait between timed runs (≥ 0), `fallback` when absent. */
  pauseMs(fallback: number): number;
}

export function benchArgs(defaultRepeats: number): BenchArgs {
  const args = process.argv.slice(2);
  const text = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const value = (name: string, fallback: number) => Number(text(name, String(fallback)));
  return {
    json: args.includes('--json'),
    threads: value('--threads', os.cpus().length),
    repeats: value('--repeats', defaultRepeats),
    has: (flag) => args.includes(flag),
    text,
    pauseMs: (fallback) => {
      const ms = value('--pause-ms', fallback);
      if (!(Number.isFinite(ms) && ms >= 0)) throw new Error(`--pause-ms needs a number of milliseconds ≥ 0, got '${text('--pause-ms', '')}'`);
      return ms;
    },
  };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median wall time of `n` runs of `fn`, after one warm-up run (ms). */
export async function timeIt(fn: () => Promise<unknown>, n: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * Nanoseconds for a value to go from one thread to another and back: this thread and a worker hand
 * a counter in shared memory back and forth `handoffs` times, each spinning until it sees the
 * other's store. On a virtual machine it tells where the host has put the vCPUs: the ViT-B
 * decoder's many short kernels, shared by two threads, run at one thread's speed where this is
 * about three times its low (docs/benchmarks.md), and bench:sam prints it beside them.
 */
export async function coreRoundTripNs(handoffs = 200_000): Promise<number> {
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const partner = `const { workerData } = require('node:worker_threads');
const a = new Int32Array(workerData);
Atomics.store(a, 1, 1);
for (let i = 0; i < ${handoffs}; i++) { while (Atomics.load(a, 0) !== 2 * i + 1) {} Atomics.store(a, 0, 2 * i + 2); }`;
  const worker = new Worker(partner, { eval: true, workerData: shared.buffer });
  try {
    while (Atomics.load(shared, 1) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const start = process.hrtime.bigint();
    for (let i = 0; i < handoffs; i++) {
      Atomics.store(shared, 0, 2 * i + 1);
      while (Atomics.load(shared, 0) !== 2 * i + 2);
    }
    return Number(process.hrtime.bigint() - start) / handoffs;
  } finally {
    await worker.terminate();
  }
}

/** Share of pixels on which two masks agree (both inside or both outside). */
export function pixelAgreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`masks of ${a.length} and ${b.length} pixels cannot be compared`);
  let same = 0;
  for (let i = 0; i < a.length; i++) if ((a[i] !== 0) === (b[i] !== 0)) same++;
  return same / a.length;
}

/** Prints one JSON object (--json) or aligned `key value` lines. */
export function report(result: Record<string, unknown>, json: boolean): void {
  if (json) console.log(JSON.stringify(result));
  else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(36)} ${String(v)}`);
}
