// Where the ViT-B decoder's time goes: `npm run bench:decoder-profile -- [--json] [--threads N] [--repeats N] [--prompt point|box|click] [--top N]`.
// Runs the inference decoder the predictor runs (buildPromptDecoderGraph on buildDecoderImageGraph's
// per-image tensors; random ViT-B weights: speed does not depend on their values) in
// onnxruntime-node with onnxruntime's profiler on, and sums its kernel times per operator type and
// per kernel (with the kernel's output shape): the profile that bench:sam's decoder_*_ms can only
// time as a whole. Prompts as bench:sam's: a point (+ padding) with three candidates, a box with
// one output, a corrective click (two points + padding and a mask prompt, one output).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { randomValues } from './random_weights.js';
import { benchArgs, median } from './util.js';
import { productFlops } from '../src/graph/flops.js';
import { serialize } from '../src/graph/onnx.js';
import { Rng, normalArray } from '../src/graph/random.js';
import { lowResSize, samConfig } from '../src/model/config.js';
import { buildDecoderImageGraph, buildPromptDecoderGraph, type DecoderGraphOptions } from '../src/model/sam.js';

const { json, threads, repeats, text } = benchArgs(30);
const prompt = text('--prompt', 'point');
const top = Number(text('--top', '15'));
const PROMPTS: Record<string, { options: DecoderGraphOptions; coords: number[]; labels: number[] }> = {
  point: { options: { numPoints: 2, hasMaskInput: false, multimask: true, ultrasam: false }, coords: [300.5, 400.5, 0, 0], labels: [1, -1] },
  box: { options: { numPoints: 2, hasMaskInput: false, multimask: false, ultrasam: false }, coords: [200.5, 250.5, 520.5, 610.5], labels: [2, 3] },
  click: { options: { numPoints: 3, hasMaskInput: true, multimask: false, ultrasam: false }, coords: [300.5, 400.5, 350.5, 380.5, 0, 0], labels: [1, 0, -1] },
};
const chosen = PROMPTS[prompt];
if (!chosen) throw new Error(`--prompt must be one of ${Object.keys(PROMPTS).join(', ')}, got '${prompt}'`);
if (!(Number.isInteger(top) && top >= 1)) throw new Error(`--top must be a whole number ≥ 1, got '${text('--top', '')}'`);
if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`--repeats must be a whole number ≥ 1, got '${text('--repeats', '')}'`);

const config = samConfig('vit_b');
const values = randomValues(config, 1);
const options = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' as const, intraOpNumThreads: threads };
const image = await ort.InferenceSession.create(serialize(buildDecoderImageGraph(config), { params: 'initializers', values }).bytes, options);
const grid = 64;
const embedding = new ort.Tensor('float32', normalArray(new Rng(2), 256 * grid * grid), [1, 256, grid, grid]);
const side = await image.run({ image_embedding: embedding });
await image.release();

const work = mkdtempSync(join(tmpdir(), 'ultrasam-decoder-profile-'));
const graph = buildPromptDecoderGraph(config, chosen.options);
const decoder = await ort.InferenceSession.create(serialize(graph, { params: 'initializers', values }).bytes, {
  ...options,
  enableProfiling: true,
  profileFilePrefix: join(work, 'decoder'),
});
const n = chosen.labels.length;
const feeds: Record<string, ort.Tensor> = {
  point_coords: new ort.Tensor('float32', Float32Array.from(chosen.coords), [1, n, 2]),
  point_labels: new ort.Tensor('float32', Float32Array.from(chosen.labels), [1, n]),
};
const low = lowResSize(config);
if (chosen.options.hasMaskInput) feeds.mask_input = new ort.Tensor('float32', normalArray(new Rng(6), low * low, 4), [1, 1, low, low]);
for (const name of decoder.inputNames) if (!(name in feeds)) feeds[name] = side[name];

const warmup = 3;
for (let i = 0; i < warmup; i++) await decoder.run(feeds);
const walls: number[] = [];
for (let i = 0; i < repeats; i++) {
  const t0 = performance.now();
  await decoder.run(feeds);
  walls.push(performance.now() - t0);
}
decoder.endProfiling();
await decoder.release();
const profileFile = readdirSync(work).find((f) => f.startsWith('decoder') && f.endsWith('.json'));
if (!profileFile) throw new Error(`onnxruntime wrote no profile into ${work}`);
interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args: { op_name?: string; output_type_shape?: Record<string, number[]>[] };
}
const allEvents = (JSON.parse(readFileSync(join(work, profileFile), 'utf8')) as ProfileEvent[]).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
rmSync(work, { recursive: true, force: true });
// Every run is in the profile, the warm-up runs first; each run has the same kernels, so the
// timed runs are the events after the warm-up's share.
const perRunKernels = allEvents.length / (warmup + repeats);
if (!Number.isInteger(perRunKernels)) throw new Error(`the profile has ${allEvents.length} kernel events for ${warmup + repeats} runs`);
const events = allEvents.slice(warmup * perRunKernels);
const runs = repeats;
const perRun = (us: number) => Number((us / runs / 1000).toFixed(3));
const byOp = new Map<string, number>();
const byKernel = new Map<string, { us: number; op: string; shape: string }>();
for (const e of events) {
  const op = e.args.op_name ?? '?';
  byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  const shape = JSON.stringify((e.args.output_type_shape ?? []).map((o) => Object.values(o)[0]));
  const k = byKernel.get(e.name) ?? { us: 0, op, shape };
  k.us += e.dur;
  byKernel.set(e.name, k);
}
const kernelUs = events.reduce((a, e) => a + e.dur, 0);
const result = {
  threads,
  prompt,
  repeats,
  wall_ms: Number(median(walls).toFixed(2)),
  kernel_ms: perRun(kernelUs),
  kernels_per_run: events.length / runs,
  gflop_per_prompt: Number((productFlops(graph) / 1e9).toFixed(3)),
  by_op_ms: Object.fromEntries([...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => [op, perRun(us)])),
  top_kernels: [...byKernel]
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, top)
    .map(([name, k]) => ({ kernel: name.replace(/_kernel_time$/, ''), op: k.op, ms: perRun(k.us), output: k.shape })),
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(
    `ViT-B decoder, ${prompt}, ${threads} threads: wall ${result.wall_ms} ms (median of ${repeats}), kernels ${result.kernel_ms} ms per run (${result.kernels_per_run} kernels), ${result.gflop_per_prompt} GFLOP`,
  );
  for (const [op, ms] of Object.entries(result.by_op_ms)) console.log(`  ${op.padEnd(28)} ${ms.toFixed(3)} ms`);
  console.log('top kernels:');
  for (const k of result.top_kernels) console.log(`  ${k.ms.toFixed(3)} ms  ${k.op.padEnd(20)} ${k.output}  (${k.kernel})`);
}
