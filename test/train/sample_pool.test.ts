// The sample worker pool: a worker that dies fails the samples it owed instead of leaving them pending.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import type { TrainImage } from '../../src/train/dataset.js';
import type { SampleOptions } from '../../src/train/sample.js';
import { SamplePool } from '../../src/train/sample_pool.js';

test('a sample worker that exits unexpectedly fails the pool with its exit code; close() still returns', async () => {
  const pool = new SamplePool(1);
  // Stand-in for a worker killed from outside (out of memory, a signal): end its thread directly.
  const [worker] = (pool as unknown as { workers: Worker[] }).workers;
  await worker.terminate();
  await assert.rejects(pool.prepare({} as TrainImage, 1, {} as SampleOptions), /sample worker 0 exited unexpectedly \(exit code \d+\)/);
  await pool.close();
});
