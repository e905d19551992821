// Engine benchmark: `npm run bench:engine -- [--json] [--threads N] [--repeats N]`.
// Prints MatMul throughput, the forward and training-step time of a small ViT (4 pre-norm blocks,
// width 192, 3 heads, 256 tokens, batch 8) and the share of a training step spent outside
// onnxruntime's run. The target ratio is against the inference forward (weights baked in); the
// forward with weights fed at run time, as inside a step, is printed beside it.
import os from 'node:os';
import { benchArgs, median, report, timeIt } from './util.js';
import { Graph } from '../src/graph/graph.js';
import { serialize } from '../src/graph/onnx.js';
import * as op from '../src/graph/ops/index.js';
import { appendAdamW } from '../src/graph/optim.js';
import { Rng, normalArray } from '../src/graph/random.js';
import { Runtime } from '../src/graph/runtime.js';
import { Trainer } from '../src/graph/trainer.js';
import { vitStack } from './nets.js';

const { json, threads, repeats } = benchArgs(6);

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

/**
 * Forward and training-step times of the small ViT, measured in alternating rounds (three forward runs
 * with baked-in weights, three with weights fed at run time, then three steps, `repeats` times) so
 * that a slow spell of a shared machine hits all alike; the ratio of the step's median to the first
 * forward's is what the engine target is about.
 */
async function vitForwardAndStep(): Promise<{ forwardMs: number; forwardFedMs: number; stepMs: number; overheadPct: number }> {
  const fwd = vitStack(new Rng(2), vit);
  fwd.g.output('y', fwd.y);
  const rt = await Runtime.create(serialize(fwd.g, { params: 'initializers', values: fwd.values }), { threads });
  const x = normalArray(new Rng(3), vit.batch * vit.tokens * vit.width);
  const into = { y: rt.allocateOutput('y') };
  // The same forward with the weights fed at run time, as a training step's forward runs them:
  // onnxruntime pre-packs baked-in weights for its matrix kernels, which it cannot do for inputs.
  const fed = await Runtime.create(serialize(fwd.g, { params: 'inputs' }), { threads });
  const fedFeeds = { x, ...Object.fromEntries(fwd.values) };
  const fedInto = { y: fed.allocateOutput('y') };

  const { g, values, y } = vitStack(new Rng(2), vit);
  const spec = appendAdamW(g, op.reduceMean(op.mul(y, y)), { weightDecay: 1e-4, clipNorm: 1 });
  const trainer = await Trainer.create(spec, values, { threads });

  const forward = () => rt.run({ x }, into);
  const forwardFed = () => fed.run(fedFeeds, fedInto);
  const step = () => trainer.trainStep({ x }, 1e-4);
  await forward();
  await forwardFed();
  await step();
  trainer.runMs = trainer.wallMs = 0;
  const forwardTimes: number[] = [];
  const forwardFedTimes: number[] = [];
  const stepTimes: number[] = [];
  const timed = async (fn: () => Promise<unknown>, into: number[]) => {
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      await fn();
      into.push(performance.now() - t0);
    }
  };
  for (let i = 0; i < repeats; i++) {
    // Three of each per round: the first forward after a step runs with caches the step filled
    // with its own data, the later ones as a forward-only user would see them.
    await timed(forward, forwardTimes);
    await timed(forwardFed, forwardFedTimes);
    await timed(step, stepTimes);
  }
  const overheadPct = (100 * (trainer.wallMs - trainer.runMs)) / trainer.wallMs;
  await rt.release();
  await fed.release();
  await trainer.release();
  return { forwardMs: median(forwardTimes), forwardFedMs: median(forwardFedTimes), stepMs: median(stepTimes), overheadPct };
}

const gflops = await matmulGflops();
const vitTimes = await vitForwardAndStep();
const result = {
  matmul_gflops: Number(gflops.toFixed(1)),
  vit_forward_ms: Number(vitTimes.forwardMs.toFixed(1)),
  vit_train_step_ms: Number(vitTimes.stepMs.toFixed(1)),
  train_over_forward: Number((vitTimes.stepMs / vitTimes.forwardMs).toFixed(2)),
  vit_forward_fed_weights_ms: Number(vitTimes.forwardFedMs.toFixed(1)),
  train_over_forward_fed_weights: Number((vitTimes.stepMs / vitTimes.forwardFedMs).toFixed(2)),
  step_overhead_pct: Number(vitTimes.overheadPct.toFixed(2)),
  threads,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  node: process.version,
};
report(result, json);
