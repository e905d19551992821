// The page's decoder without the page: `npm run bench:web-decoder -- [--json] [--threads N] [--repeats N] [--pause-ms MS] [--profile] [--slots 4|6|8|16]`.
// Runs the exported SAM ViT-B decoder (random weights: speed does not depend on their values) in
// onnxruntime-web's WASM backend under Node, as the app's worker runs it for a corrective click
// (decoder_image.onnx once, then the decoder with two points and a mask prompt), beside the same
// files in onnxruntime-node, alternating, with --pause-ms (default 50) after each run: an engine's
// thread pool spins for a while after its run, and two engines in one process would otherwise run
// each other's timed runs on a core already taken (the page has one engine). With --profile,
// onnxruntime-web's kernel profile of the WASM runs is summed per operator type (median over the
// runs after the first): where a click's time goes in the browser, which bench:app can only time as
// a whole.
import fs, { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { randomValues } from './random_weights.js';
import { benchArgs, median, report } from './util.js';
import { APP_DECODER_SLOTS, APP_FEWER_SLOTS, ensureExportedModel } from '../src/app/model_cache.js';
import { samConfig } from '../src/model/config.js';
import { DECODER_WEIGHTS_FILE, perImageFeeds } from '../src/model/export_format.js';
import { CONFIG_METADATA_KEY } from '../src/model/predictor.js';
import { parameterShapes } from '../src/model/sam.js';
import { saveSamWeights } from '../src/weights/checkpoint.js';

const { json, threads, repeats, has, text, pauseMs: pauseArg } = benchArgs(7);
const profile = has('--profile');
const slots = Number(text('--slots', '4'));
const pauseMs = pauseArg(50);
if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`--repeats must be a whole number ≥ 1, got '${text('--repeats', '')}'`);
const exported = [...APP_FEWER_SLOTS, APP_DECODER_SLOTS];
if (!exported.includes(slots)) throw new Error(`--slots must be one of ${exported.join(', ')} (the exported decoders), got '${text('--slots', '')}'`);

// The export of random ViT-B weights, kept between runs (≈ 0.4 GB; the same seed gives the same file).
const work = join(tmpdir(), 'ultrasam-bench-web-decoder');
mkdirSync(work, { recursive: true });
const config = samConfig('vit_b');
const shapes = parameterShapes(config);
const weights = join(work, 'vit_b_random.safetensors');
const tensors = new Map([...randomValues(config, 1)].map(([key, data]) => [key, { dtype: 'float32' as const, shape: shapes.get(key)!, data }]));
saveSamWeights(weights, { layout: 'sam', tensors }, { metadata: { [CONFIG_METADATA_KEY]: JSON.stringify(config) } });
const modelDir = await ensureExportedModel({ weights, cacheDir: join(work, 'cache') });
const decoderFile = join(modelDir, slots === APP_DECODER_SLOTS ? 'decoder.onnx' : `decoder_${slots}.onnx`);

type Ort = typeof ortNode | typeof ortWeb;

/** A session pair (per-image part, decoder) and the feeds of one corrective click. */
async function clickRunner(ort: Ort, backend: 'cpu' | 'wasm') {
  const options = { executionProviders: [backend], graphOptimizationLevel: 'all' as const, intraOpNumThreads: threads, enableProfiling: profile && backend === 'wasm' };
  // onnxruntime-node finds the decoder files' external weights beside them; onnxruntime-web is handed them.
  const externalData = backend === 'cpu' ? [] : [{ path: DECODER_WEIGHTS_FILE, data: readFileSync(join(modelDir, DECODER_WEIGHTS_FILE)) }];
  const create = (file: string, opts: typeof options) =>
    backend === 'cpu' ? ortNode.InferenceSession.create(file, opts) : ortWeb.InferenceSession.create(readFileSync(file), { ...opts, externalData });
  const image = await create(join(modelDir, 'decoder_image.onnx'), { ...options, enableProfiling: false });
  const decoder = await create(decoderFile, options);
  const Tensor = ort.Tensor;
  const grid = 64;
  const embedding = new Tensor(
    'float32',
    Float32Array.from({ length: 256 * grid * grid }, (_, i) => Math.sin(i * 0.37)),
    [1, 256, grid, grid],
  );
  const side = await image.run({ image_embedding: embedding });
  const coords = new Float32Array(slots * 2);
  coords.set([300.5, 200.5, 420.5, 380.5]);
  const labels = new Float32Array(slots).fill(-1);
  labels.set([1, 0]);
  const low = 256;
  const feeds = {
    ...perImageFeeds(side, decoder.inputNames),
    point_coords: new Tensor('float32', coords, [1, slots, 2]),
    point_labels: new Tensor('float32', labels, [1, slots]),
    mask_input: new Tensor(
      'float32',
      Float32Array.from({ length: low * low }, (_, i) => 4 * Math.cos(i * 0.11)),
      [1, 1, low, low],
    ),
    has_mask_input: new Tensor('float32', Float32Array.from([1]), [1]),
  };
  return {
    click: async () => {
      const t0 = performance.now();
      await decoder.run(feeds as never);
      return performance.now() - t0;
    },
    end: () => decoder.endProfiling(),
    release: async () => {
      await image.release();
      await decoder.release();
    },
  };
}

ortWeb.env.wasm.numThreads = threads;
const node = await clickRunner(ortNode, 'cpu');
const web = await clickRunner(ortWeb, 'wasm');
const nodeMs: number[] = [];
const webMs: number[] = [];
const pause = () => new Promise((resolve) => setTimeout(resolve, pauseMs));
for (let r = 0; r <= repeats; r++) {
  // Run 0 warms both up and is left out.
  const a = await node.click();
  await pause();
  const b = await web.click();
  await pause();
  if (r > 0) [nodeMs, webMs].forEach((list, i) => list.push(i === 0 ? a : b));
}

const result: Record<string, number | string> = {
  threads,
  slots,
  pause_ms: pauseMs,
  wasm_click_ms: Number(median(webMs).toFixed(1)),
  node_click_ms: Number(median(nodeMs).toFixed(1)),
  wasm_over_node: Number((median(webMs) / median(nodeMs)).toFixed(2)),
};

if (profile) {
  // onnxruntime-web's WASM module prints the profile (one JSON array) to fd 1 with fs.writeSync:
  // caught there, not printed.
  const writeSync = fs.writeSync;
  const lines: string[] = [];
  fs.writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: never[]) => {
    if (fd !== 1) return writeSync(fd, data as never, ...rest);
    lines.push(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString());
    return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  }) as typeof fs.writeSync;
  try {
    web.end();
  } finally {
    fs.writeSync = writeSync;
  }
  const text = lines.join('');
  const events = JSON.parse(text.slice(text.indexOf('['), text.lastIndexOf(']') + 1)) as { cat?: string; name: string; dur: number; args?: { op_name?: string } }[];
  // model_run: the whole of onnxruntime's run (kernels, and the executor between them); the rest of
  // wasm_click_ms is the copies of the inputs into and the outputs out of WASM memory.
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur / 1000);
  result.wasm_model_run_ms = Number(median(runs.slice(1)).toFixed(1));
  const perNode = new Map<string, { op: string; durations: number[] }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const entry = perNode.get(e.name) ?? { op: e.args?.op_name ?? '?', durations: [] };
    entry.durations.push(e.dur);
    perNode.set(e.name, entry);
  }
  const perOp = new Map<string, number>();
  for (const { op, durations } of perNode.values()) perOp.set(op, (perOp.get(op) ?? 0) + median(durations.slice(1)) / 1000);
  const total = [...perOp.values()].reduce((a, b) => a + b, 0);
  result.wasm_kernel_ms = Number(total.toFixed(1));
  for (const [op, ms] of [...perOp].sort((a, b) => b[1] - a[1])) {
    if (ms / total >= 0.01) result[`wasm_kernel_ms_${op}`] = Number(ms.toFixed(1));
  }
}
await node.release();
await web.release();
report(result, json);
