// SAM benchmark: `npm run bench:sam -- [--json] [--threads N] [--repeats N] [--skip-vitb] [--skip-tiny] [--compare] [--int8-decoder] [--rounds N]`.
// Times the ViT-B image encoder at 1024 (random weights: speed does not depend on their values),
// fp32 and int8-quantised (with the int8 embedding's error against fp32), the ViT-B mask decoder
// for a point prompt, a box prompt and a corrective click (two points + mask prompt) (with its
// arithmetic per prompt, and the time of its per-image part), the host post-processing of a prompt's
// masks at a 1024 × 768 image, and the same for the bundled ultrasam-tiny architecture. --compare also times
// the decoder in the reference's order (buildDecoderGraph), in rounds alternating with the
// predictor's, for before/after figures; --int8-decoder the decoder with int8 weight products;
// --rounds N the box prompt in N rounds of 10 runs alternating between the predictor at --threads
// and one at 1 thread, each round's median listed with the core-to-core round trip before it: how a
// host's slow spells move the multi-threaded decoder against the single thread's. The round trip
// (`core_round_trip_ns`, before and after the decoder's figures) tells on a virtual machine how far
// apart the host has put its cores, which decides the 2-thread decoder's speed (docs/benchmarks.md).
import os from 'node:os';
import { randomValues } from './random_weights.js';
import { benchArgs, coreRoundTripNs, median, report, timeIt } from './util.js';
import { productFlops } from '../src/graph/flops.js';
import { serialize } from '../src/graph/onnx.js';
import { Rng, normalArray } from '../src/graph/random.js';
import { Runtime } from '../src/graph/runtime.js';
import { type SamConfig, embeddingGrid, lowResSize, samConfig, ultrasamTinyConfig } from '../src/model/config.js';
import { postprocessMasks } from '../src/model/postprocess.js';
import { SamPredictor } from '../src/model/predictor.js';
import { buildDecoderGraph, buildDecoderImageGraph, buildEncoderGraph, buildPromptDecoderGraph } from '../src/model/sam.js';

const { json, threads, repeats, has, text } = benchArgs(3);

async function encoderMs(config: SamConfig, values: Map<string, Float32Array>, image: Float32Array) {
  const graph = buildEncoderGraph(config, 1, { forwardOnly: true });
  const fp32 = await Runtime.create(serialize(graph, { params: 'initializers', values }), { threads });
  const ms = await timeIt(() => fp32.run({ image }), repeats);
  const ref = Float32Array.from((await fp32.run({ image })).embedding.data as Float32Array);
  await fp32.release();
  const int8 = await Runtime.create(serialize(graph, { params: 'initializers', values, quantize: 'int8' }), { threads });
  const msInt8 = await timeIt(() => int8.run({ image }), repeats);
  const q = (await int8.run({ image })).embedding.data as Float32Array;
  await int8.release();
  let maxErr = 0;
  let sq = 0;
  let refSq = 0;
  for (let i = 0; i < ref.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(ref[i] - q[i]));
    sq += (ref[i] - q[i]) ** 2;
    refSq += ref[i] ** 2;
  }
  return { ms, msInt8, maxErr, relRms: Math.sqrt(sq / refSq) };
}

const result: Record<string, number | string> = { threads };
const vitb = samConfig('vit_b');
const vitbValues = randomValues(vitb, 1);
if (!has('--skip-vitb')) {
  const image = normalArray(new Rng(2), 3 * 1024 * 1024);
  const e = await encoderMs(vitb, vitbValues, image);
  Object.assign(result, {
    vitb_encoder_ms: Math.round(e.ms),
    vitb_encoder_int8_ms: Math.round(e.msInt8),
    vitb_int8_embedding_rel_rms_error: Number(e.relRms.toExponential(2)),
    vitb_int8_embedding_max_abs_error: Number(e.maxErr.toExponential(2)),
  });
}

// The decoder benchmarks' image (its embedding does not change the decoder's time) and box prompt.
const DECODER_IMAGE = { data: new Uint8Array(64 * 48 * 3).fill(90), width: 64, height: 48, channels: 3 };
const BOX_PROMPT = { box: [5, 5, 40, 30] as [number, number, number, number] };

/** Decoder time through the public predictor (the embedding is fixed, so only the decoder runs). */
async function decoderMs(predictor: SamPredictor): Promise<{ point: number; box: number; click: number }> {
  const decode = (prompt: Parameters<SamPredictor['predict']>[0]) => timeIt(() => predictor.predict(prompt), repeats * 5);
  await predictor.setImage(DECODER_IMAGE);
  const point = await decode({ points: [[20, 20]], labels: [1], multimask: true });
  const box = await decode(BOX_PROMPT);
  // A corrective click: two points and the previous low-res logits as the mask prompt.
  const low = lowResSize(predictor.config);
  const click = await decode({
    points: [
      [20, 20],
      [30, 25],
    ],
    labels: [1, 0],
    maskInput: normalArray(new Rng(6), low * low, 4),
  });
  return { point: Number(point.toFixed(2)), box: Number(box.toFixed(2)), click: Number(click.toFixed(2)) };
}

// The predictor's prompts above: a point (+ the padding point) with three candidates, a box with one.
const pointPrompt = { numPoints: 2, hasMaskInput: false, multimask: true, ultrasam: false };
const boxPrompt = { numPoints: 2, hasMaskInput: false, multimask: false, ultrasam: false };
const gflop = (flops: number) => Number((flops / 1e9).toFixed(3));

const vitbPredictor = SamPredictor.fromValues(vitb, vitbValues, false, { threads });
// Where the host has put this machine's cores (coreRoundTripNs), just before and after the decoder's figures.
await vitbPredictor.setImage(DECODER_IMAGE);
const roundTripBefore = await coreRoundTripNs();
const vitbDecoder = await decoderMs(vitbPredictor);
const roundTripAfter = await coreRoundTripNs();
if (has('--rounds')) {
  const rounds = Number(text('--rounds', ''));
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be a whole number ≥ 1, got '${text('--rounds', '')}'`);
  const single = SamPredictor.fromValues(vitb, vitbValues, false, { threads: 1 });
  await single.setImage(DECODER_IMAGE);
  const byRound: Record<'multi' | 'single' | 'roundTrip', string[]> = { multi: [], single: [], roundTrip: [] };
  for (let round = 0; round < rounds; round++) {
    byRound.roundTrip.push((await coreRoundTripNs()).toFixed(0));
    byRound.multi.push((await timeIt(() => vitbPredictor.predict(BOX_PROMPT), 10)).toFixed(2));
    byRound.single.push((await timeIt(() => single.predict(BOX_PROMPT), 10)).toFixed(2));
  }
  await single.release();
  result.decoder_box_ms_by_round = byRound.multi.join(' ');
  result.decoder_box_1_thread_ms_by_round = byRound.single.join(' ');
  result.core_round_trip_ns_by_round = byRound.roundTrip.join(' ');
}
await vitbPredictor.release();
result.decoder_point_ms = vitbDecoder.point;
result.decoder_box_ms = vitbDecoder.box;
result.decoder_click_ms = vitbDecoder.click;
result.core_round_trip_ns = Math.round(roundTripBefore);
result.core_round_trip_ns_after_decoder = Math.round(roundTripAfter);
result.decoder_gflop_per_prompt = gflop(productFlops(buildPromptDecoderGraph(vitb, pointPrompt)));
result.decoder_box_gflop_per_prompt = gflop(productFlops(buildPromptDecoderGraph(vitb, boxPrompt)));

// The decoder's per-image part (run once per image, at its first prompt).
const decoderImage = await Runtime.create(serialize(buildDecoderImageGraph(vitb), { params: 'initializers', values: vitbValues }), { threads });
const embedding = normalArray(new Rng(5), vitb.maskDecoder.transformerDim * embeddingGrid(vitb) ** 2);
result.decoder_image_ms = Number((await timeIt(() => decoderImage.run({ image_embedding: embedding }), repeats * 3)).toFixed(2));
result.decoder_image_gflop = gflop(productFlops(buildDecoderImageGraph(vitb)));

if (has('--compare')) {
  // The reference's order on the same prompt, alternating with the predictor's decoder graph.
  const image = await decoderImage.run({ image_embedding: embedding });
  const plain = await Runtime.create(serialize(buildDecoderGraph(vitb, pointPrompt), { params: 'initializers', values: vitbValues }), { threads });
  const fast = await Runtime.create(serialize(buildPromptDecoderGraph(vitb, pointPrompt), { params: 'initializers', values: vitbValues }), { threads });
  const coords = new Float32Array([300.5, 200.5, 0, 0]);
  const labels = new Float32Array([1, -1]);
  const fastFeeds = { ...image, point_coords: coords, point_labels: labels };
  const plainMs: number[] = [];
  const fastMs: number[] = [];
  for (let round = 0; round < repeats * 2; round++) {
    plainMs.push(await timeIt(() => plain.run({ image_embedding: embedding, point_coords: coords, point_labels: labels }), 3));
    fastMs.push(await timeIt(() => fast.run(fastFeeds), 3));
  }
  result.decoder_plain_graph_point_ms = Number(median(plainMs).toFixed(2));
  result.decoder_graph_point_ms = Number(median(fastMs).toFixed(2));
  result.decoder_plain_gflop_per_prompt = gflop(productFlops(buildDecoderGraph(vitb, pointPrompt)));
  await plain.release();
  await fast.release();
}

if (has('--int8-decoder')) {
  // Not offered yet (a measurement for a decision): the same point-prompt decoder graph with its
  // weight products dynamically quantised to int8 (serialize's quantize, weights of ≥ 4096 values:
  // the upscaling's products and the token-side layers), alternating with the float graph, and how
  // often the two agree on the sign of the low-resolution logits (random weights: logits near 0,
  // the hardest case for agreement).
  const image = await decoderImage.run({ image_embedding: embedding });
  const graph = buildPromptDecoderGraph(vitb, pointPrompt);
  const float = await Runtime.create(serialize(graph, { params: 'initializers', values: vitbValues }), { threads });
  const int8 = await Runtime.create(serialize(graph, { params: 'initializers', values: vitbValues, quantize: 'int8', quantizeOptions: { minElements: 4096 } }), { threads });
  const feeds = { ...image, point_coords: new Float32Array([300.5, 200.5, 0, 0]), point_labels: new Float32Array([1, -1]) };
  const floatMs: number[] = [];
  const int8Ms: number[] = [];
  for (let round = 0; round < repeats * 2; round++) {
    floatMs.push(await timeIt(() => float.run(feeds), 3));
    int8Ms.push(await timeIt(() => int8.run(feeds), 3));
  }
  const a = (await float.run(feeds)).low_res_logits.data as Float32Array;
  const b = (await int8.run(feeds)).low_res_logits.data as Float32Array;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > 0 === b[i] > 0) same++;
  result.decoder_graph_point_ms_beside_int8 = Number(median(floatMs).toFixed(2));
  result.decoder_int8_graph_point_ms = Number(median(int8Ms).toFixed(2));
  result.decoder_int8_logit_sign_agreement = Number((same / a.length).toFixed(5));
  await float.release();
  await int8.release();
}
await decoderImage.release();

// Host post-processing of a prompt's masks (JavaScript, one thread) for a 1024 × 768 image: ViT-B's
// 256 × 256 low-res logits to binary masks at the image size — one output (the predictor's single
// mask) and four (what the app's worker sends for a click: the single mask and three candidates).
// The logits are shaped as a prediction's are (nested ellipses, a smooth ramp across each edge,
// some texture): postprocessMasks decides whole runs of pixels from them. Sign noise in every cell,
// where every pixel must be summed, is its worst case (`postprocess_4_noise_masks_ms`).
{
  const low = lowResSize(vitb);
  const geometry = { imgSize: 1024, inputSize: [768, 1024] as [number, number], originalSize: [768, 1024] as [number, number] };
  const logits = new Float32Array(4 * low * low);
  for (let m = 0; m < 4; m++) {
    for (let y = 0; y < low; y++) {
      for (let x = 0; x < low; x++) {
        const r = Math.hypot((x / low - 0.5) / (0.2 + 0.05 * m), (y / low - 0.4) / (0.12 + 0.04 * m));
        logits[(m * low + y) * low + x] = 12 * (1 - r) + 0.8 * Math.sin(0.31 * x + 0.17 * y + m);
      }
    }
  }
  const noise = normalArray(new Rng(7), 4 * low * low, 4);
  result.postprocess_1_mask_ms = Number((await timeIt(async () => postprocessMasks(logits.subarray(0, low * low), 1, [low, low], geometry), repeats * 3)).toFixed(2));
  result.postprocess_4_masks_ms = Number((await timeIt(async () => postprocessMasks(logits, 4, [low, low], geometry), repeats * 3)).toFixed(2));
  result.postprocess_4_noise_masks_ms = Number((await timeIt(async () => postprocessMasks(noise, 4, [low, low], geometry), repeats * 3)).toFixed(2));
}

// The bundled model's architecture (random weights when the bundled file is absent: same speed).
if (!has('--skip-tiny')) {
  const tinyConfig = ultrasamTinyConfig();
  const tinyValues = randomValues(tinyConfig, 3);
  const tinyEncoder = await Runtime.create(serialize(buildEncoderGraph(tinyConfig, 1, { forwardOnly: true }), { params: 'initializers', values: tinyValues }), { threads });
  const tinyImage = normalArray(new Rng(4), 3 * tinyConfig.imageEncoder.imgSize ** 2);
  result.tiny_encoder_ms = Number((await timeIt(() => tinyEncoder.run({ image: tinyImage }), repeats * 5)).toFixed(1));
  await tinyEncoder.release();
  const tinyPredictor = SamPredictor.fromValues(tinyConfig, tinyValues, false, { threads });
  const tinyDecoder = await decoderMs(tinyPredictor);
  await tinyPredictor.release();
  result.tiny_decoder_point_ms = tinyDecoder.point;
  result.tiny_decoder_box_ms = tinyDecoder.box;
}
result.cpu = os.cpus()[0]?.model ?? 'unknown';
result.node = process.version;

report(result, json);
