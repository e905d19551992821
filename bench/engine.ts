// Engine benchmark: `npm run bench:engine -- [--json] [--threads N] [--repeats N]`.
// Prints MatMul throughput, the forward and training-step time of a small ViT (4 pre-norm blocks,
// width 192, 3 heads, 256 tokens, batch 8) and the share of a training step spent outside
// onnxruntime's run.
import os from 'node:os';
import { benchArgs, report, timeIt } from './util.js';
import { Graph } from '../src/graph/graph.js';
import { serialize } from '../src/graph/onnx.js';
import * as op from '../src/graph/ops/index.js';
import { appendAdamW } from '../src/graph/optim.js';
import { Rng, normalArray } from '../src/graph/random.js';
import { Runtime } from '../src/graph/runtime.js';
import { Trainer } from '../src/graph/trainer.js';
import { vitStack } from './nets.js';

const { json, threads, repeats } = benchArgs(10);

async function matmulGflops(): Promise<number> {
  const g = new Graph();
  const a = g.input('a', [1024, 768]);
  const b = g.input('b', [768, 768]);
  g.output('y', op.matmul(a, b));
  const rt = await Runtime.create(serialize(g, { params: 'initializers' }), { threads });
  const rng = new Rng(1);
  const feeds = { a: normalArray(rng, 1024 * 768), b: normalArray(rng, 768 * 768) };
  const into = { y: rt.allocateOutput('y') };
  const ms = await timeIt(() => rt.run(feeds, into), repeats * 3);
  await rt.release();
  return (2 * 1024 * 768 * 768) / (ms * 1e-3) / 1e9;
}

const vit = { depth: 4, width: 192, heads: 3, tokens: 256, batch: 8 };

async function vitForwardMs(): Promise<number> {
  const { g, values, y } = vitStack(new Rng(2), vit);
  g.output('y', y);
  const rt = await Runtime.create(serialize(g, { params: 'initializers', values }), { threads });
  const x = normalArray(new Rng(3), vit.batch * vit.tokens * vit.width);
  const into = { y: rt.allocateOutput('y') };
  const ms = await timeIt(() => rt.run({ x }, into), repeats);
  await rt.release();
  return ms;
}

async function vitTrainStep(): Promise<{ ms: number; overheadPct: number }> {
  const { g, values, y } = vitStack(new Rng(2), vit);
  const spec = appendAdamW(g, op.reduceMean(op.mul(y, y)), { weightDecay: 1e-4, clipNorm: 1 });
  const trainer = await Trainer.create(spec, values, { threads });
  const x = normalArray(new Rng(3), vit.batch * vit.tokens * vit.width);
  const ms = await timeIt(() => trainer.trainStep({ x }, 1e-4), repeats);
  const overheadPct = (100 * (trainer.wallMs - trainer.runMs)) / trainer.wallMs;
  await trainer.release();
  return { ms, overheadPct };
}

const gflops = await matmulGflops();
const forward = await vitForwardMs();
const train = await vitTrainStep();
const result = {
  matmul_gflops: Number(gflops.toFixed(1)),
  vit_forward_ms: Number(forward.toFixed(1)),
  vit_train_step_ms: Number(train.ms.toFixed(1)),
  train_over_forward: Number((train.ms / forward).toFixed(2)),
  step_overhead_pct: Number(train.overheadPct.toFixed(2)),
  threads,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  node: process.version,
};
report(result, json);
