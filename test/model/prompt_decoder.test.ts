// The inference decoder (buildDecoderImageGraph + buildPromptDecoderGraph: per-image part, few-token
// order, upscaling as rows) computes the function of the plain decoder graph (buildDecoderGraph, the
// reference's order): low-res logits and IoU within 1e-4 for points, box, box + points, mask input,
// multimask and single, both decoder maths, batches, and prompts long enough for the plain order;
// the exported decoder with empty slots (and its mask input on or off) likewise. On the parity fixture also against the reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { productFlops } from '../../src/graph/flops.js';
import { serialize } from '../../src/graph/onnx.js';
import { Rng, normalArray } from '../../src/graph/random.js';
import { type Feed, Runtime } from '../../src/graph/runtime.js';
import { type SamConfig, embeddingGrid, lowResSize, samConfig } from '../../src/model/config.js';
import { perImageFeeds } from '../../src/model/export_format.js';
import { encodePrompt } from '../../src/model/prompts.js';
import { reorderPays } from '../../src/model/prompt_transformer.js';
import { CLICK_HEAD, CLICK_MAP_SIGMAS, FINE_GAIN, MASK_SKIP, MASK_SKIP_GAIN, clickMaps } from '../../src/model/mask_decoder.js';
import { Graph } from '../../src/graph/graph.js';
import {
  DECODER_IMAGE_SIDE,
  type DecoderGraphOptions,
  EMPTY_SLOT_LABEL,
  FINE_FEATURES,
  buildDecoderGraph,
  buildDecoderImageGraph,
  buildEncoderGraph,
  buildExportDecoderGraph,
  buildPromptDecoderGraph,
  parameterShapes,
  weightValues,
} from '../../src/model/sam.js';
import { loadSamWeights } from '../../src/weights/checkpoint.js';
import { FIXTURE_DIR, fixtureConfig, fixtureMissing, maxAbsDiff, readArray, readCases } from './fixture.js';

const TOL = 1e-4;

/**
 * A decoder of width 128 with 4 heads (internal width 64): a prompt of a few tokens takes the
 * reordered path in both layers and the folded upscaling product; one of 12 points neither.
 */
function smallConfig(): SamConfig {
  return samConfig('vit_b', {
    name: 'decoder-test',
    imageEncoder: { imgSize: 128, embedDim: 16, depth: 1, numHeads: 2, globalAttnIndexes: [0], windowSize: 0, outChans: 128 },
    promptEncoder: { maskInChans: 8 },
    maskDecoder: { transformerDim: 128, numHeads: 4, mlpDim: 96, iouHeadHiddenDim: 32 },
  });
}

function randomValues(config: SamConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const values = new Map<string, Float32Array>();
  for (const [key, shape] of parameterShapes(config))
    values.set(
      key,
      normalArray(
        rng,
        shape.reduce((a, b) => a * b, 1),
        0.3,
      ),
    );
  return values;
}

const session = (graph: ReturnType<typeof buildDecoderGraph>, values: Map<string, Float32Array>) => Runtime.create(serialize(graph, { params: 'initializers', values }), { threads: 2 });

interface Decoded {
  logits: Float32Array;
  iou: Float32Array;
}

/**
 * Decodes prompts on one image with the plain graph and with the inference graphs (the per-image
 * part run once), both results side by side. Sessions are kept per graph variant until `release`.
 */
async function decoders(config: SamConfig, values: Map<string, Float32Array>, embedding: Float32Array, fine?: Float32Array) {
  const image = await session(buildDecoderImageGraph(config), values);
  const perImage: Record<string, Float32Array> = fine ? { [FINE_FEATURES]: fine } : {};
  const imageSide: Record<string, Feed> = { ...(await image.run({ image_embedding: embedding })), ...perImage };
  await image.release();
  const sessions = new Map<string, Promise<[Runtime, Runtime]>>();
  const pick = (o: Record<string, { data: unknown }>): Decoded => ({
    logits: o.low_res_logits.data as Float32Array,
    iou: o.iou_predictions.data as Float32Array,
  });
  const decode = async (options: DecoderGraphOptions, coords: Float32Array, labels: Float32Array, maskInput?: Float32Array) => {
    const key = JSON.stringify(options);
    if (!sessions.has(key)) {
      sessions.set(key, Promise.all([session(buildDecoderGraph(config, options), values), session(buildPromptDecoderGraph(config, options), values)]));
    }
    const [plain, prompt] = await sessions.get(key)!;
    const feeds: Record<string, Float32Array> = { image_embedding: embedding, point_coords: coords, point_labels: labels, ...perImage };
    if (maskInput) feeds.mask_input = maskInput;
    const promptFeeds: Record<string, Feed> = { point_coords: coords, point_labels: labels };
    if (maskInput) promptFeeds.mask_input = maskInput;
    Object.assign(promptFeeds, perImageFeeds(imageSide, prompt.inputNames));
    return { plain: pick(await plain.run(feeds)), prompt: pick(await prompt.run(promptFeeds)) };
  };
  const release = async () => {
    for (const pair of sessions.values()) for (const rt of await pair) await rt.release();
  };
  return { decode, release };
}

function assertClose(label: string, { plain, prompt }: { plain: Decoded; prompt: Decoded }): void {
  assert.equal(prompt.logits.length, plain.logits.length, `${label}: logits size`);
  const logitsErr = maxAbsDiff(prompt.logits, plain.logits);
  const iouErr = maxAbsDiff(prompt.iou, plain.iou);
  console.log(`${label}: logits max abs ${logitsErr.toExponential(2)}, IoU ${iouErr.toExponential(2)}`);
  assert.ok(logitsErr <= TOL, `${label}: logits differ by ${logitsErr}`);
  assert.ok(iouErr <= TOL, `${label}: IoU differs by ${iouErr}`);
}

/** Prompt coordinates and labels for `batch` prompts of the given labels, inside a 128-pixel input. */
function prompts(rng: Rng, labels: number[], batch: number): { coords: Float32Array; labels: Float32Array } {
  const coords = new Float32Array(batch * labels.length * 2);
  for (let i = 0; i < coords.length; i++) coords[i] = 4 + 120 * rng.next();
  const l = new Float32Array(batch * labels.length);
  for (let b = 0; b < batch; b++) l.set(labels, b * labels.length);
  return { coords, labels: l };
}

test('the few-token order pays for a few tokens and not for many (multiply-adds per image token)', () => {
  // ViT-B's decoder: 8 heads, width 256, internal 128; a point prompt is 7 tokens, a 16-slot export 21.
  assert.equal(reorderPays(7, 8, 256, 128), true);
  assert.equal(reorderPays(21, 8, 256, 128), false);
  const config = smallConfig();
  assert.equal(reorderPays(7, 4, 128, 64), true);
  assert.equal(reorderPays(5 + 16, 4, 128, 64), false);
  const options = { numPoints: 2, hasMaskInput: false, multimask: true, ultrasam: false };
  const plain = productFlops(buildDecoderGraph(config, options));
  const prompt = productFlops(buildPromptDecoderGraph(config, options));
  const vitb = samConfig('vit_b');
  const vitbPlain = productFlops(buildDecoderGraph(vitb, options));
  const vitbPrompt = productFlops(buildPromptDecoderGraph(vitb, options));
  console.log(`point prompt, products per prompt: ${prompt} vs ${plain} FLOP (test config); ViT-B ${(vitbPrompt / 1e9).toFixed(3)} vs ${(vitbPlain / 1e9).toFixed(3)} GFLOP`);
  assert.ok(prompt < plain);
  assert.ok(vitbPrompt < 0.5 * vitbPlain);
});

test('the upscaling product is folded onto the per-image upscale_base where every layer ran reordered and few tokens make it cheaper', () => {
  const config = smallConfig();
  const takesBase = (numPoints: number, hasMaskInput: boolean, batch = 1) =>
    serialize(buildPromptDecoderGraph(config, { numPoints, hasMaskInput, multimask: true, ultrasam: false, batch }), { params: 'inputs' }).signature.inputs.some(
      (i) => i.name === DECODER_IMAGE_SIDE.upscaleBase,
    );
  // 1 + 4 output tokens + the prompt's: 2 · (4 heads · T + 2) inner rows against width 128.
  assert.equal(takesBase(2, false), true);
  assert.equal(takesBase(2, true, 2), true);
  assert.equal(takesBase(3, false, 3), true);
  assert.equal(takesBase(12, false), false); // layer 0's image→token attention in the plain order
  const vitb = samConfig('vit_b');
  const options = { numPoints: 2, hasMaskInput: false, multimask: false, ultrasam: false };
  const products = productFlops(buildPromptDecoderGraph(vitb, options));
  console.log(`ViT-B point prompt, single mask: ${(products / 1e9).toFixed(3)} GFLOP of products per prompt`);
});

test('inference decoder = plain decoder graph: points, box, box + points, mask input, multimask, batches, both maths', async () => {
  const config = smallConfig();
  const values = randomValues(config, 11);
  const rng = new Rng(12);
  const c = config.maskDecoder.transformerDim;
  const side = embeddingGrid(config);
  const { decode, release } = await decoders(config, values, normalArray(rng, c * side * side));
  const cases: { name: string; labels: number[]; multimask: boolean; mask?: boolean; batch?: number; ultrasam?: boolean }[] = [
    { name: 'one point (+ padding), multimask', labels: [1, -1], multimask: true },
    { name: 'positive and negative points, single', labels: [1, 0, -1], multimask: false, ultrasam: true },
    { name: 'box', labels: [2, 3], multimask: false },
    { name: 'box + point, multimask', labels: [1, 2, 3], multimask: true, ultrasam: true },
    { name: 'point + mask input', labels: [1, -1], multimask: false, mask: true },
    { name: 'box + mask input, multimask, batch 2', labels: [2, 3], multimask: true, mask: true, batch: 2 },
    { name: 'two points, batch 3', labels: [1, 1, -1], multimask: true, batch: 3 },
    { name: '12 points (plain order)', labels: [...Array(11).fill(1), -1], multimask: true },
  ];
  for (const k of cases) {
    const batch = k.batch ?? 1;
    const p = prompts(rng, k.labels, batch);
    const maskInput = k.mask ? normalArray(rng, batch * 16 * side * side) : undefined;
    const options = { numPoints: k.labels.length, hasMaskInput: !!k.mask, multimask: k.multimask, ultrasam: !!k.ultrasam, batch };
    assertClose(k.name, await decode(options, p.coords, p.labels, maskInput));
  }
  await release();
});

test('a pixel branch (not in SAM): the encoder graph computes its features; inference decoder = plain decoder graph with them', async () => {
  const base = smallConfig();
  const config: SamConfig = { ...base, maskDecoder: { ...base.maskDecoder, fineChans: 8 } };
  const values = randomValues(config, 41);
  // A projection of the size training gives it (logits of the scale the 1e-4 tolerance is set for).
  for (const key of ['mask_decoder.fine_proj.weight', 'mask_decoder.fine_proj.bias'])
    values.set(
      key,
      values.get(key)!.map((v) => (v * 0.1) / FINE_GAIN),
    );
  assert.deepEqual(parameterShapes(config).get('mask_decoder.fine_stem.0.weight'), [8, 3, 3, 3]);
  assert.deepEqual(parameterShapes(config).get('mask_decoder.fine_proj.weight'), [16, 8, 1, 1]);
  const rng = new Rng(42);
  const s = config.imageEncoder.imgSize;
  const encoder = await session(buildEncoderGraph(config), values);
  const encoded = await encoder.run({ image: normalArray(rng, 3 * s * s) });
  await encoder.release();
  const low = lowResSize(config);
  assert.deepEqual(encoded[FINE_FEATURES].dims, [1, 16, low, low]);
  const fine = encoded[FINE_FEATURES].data as Float32Array;
  const { decode, release } = await decoders(config, values, encoded.embedding.data as Float32Array, fine);
  const cases: { name: string; labels: number[]; multimask: boolean; mask?: boolean; batch?: number }[] = [
    { name: 'pixel branch: one point, multimask', labels: [1, -1], multimask: true },
    { name: 'pixel branch: box + mask input, batch 2', labels: [2, 3], multimask: false, mask: true, batch: 2 },
    { name: 'pixel branch: 12 points (plain order)', labels: [...Array(11).fill(1), -1], multimask: true },
  ];
  for (const k of cases) {
    const batch = k.batch ?? 1;
    const p = prompts(rng, k.labels, batch);
    const maskInput = k.mask ? normalArray(rng, batch * 16 * embeddingGrid(config) ** 2) : undefined;
    assertClose(k.name, await decode({ numPoints: k.labels.length, hasMaskInput: !!k.mask, multimask: k.multimask, ultrasam: false, batch }, p.coords, p.labels, maskInput));
  }
  // The branch changes the masks: the same prompt without its features (zeros) decodes differently.
  const p = prompts(rng, [1, -1], 1);
  const options = { numPoints: 2, hasMaskInput: false, multimask: false, ultrasam: false };
  const withFeatures = await decode(options, p.coords, p.labels);
  const zeros = await decoders(config, values, encoded.embedding.data as Float32Array, new Float32Array(fine.length));
  const without = await zeros.decode(options, p.coords, p.labels);
  assert.ok(maxAbsDiff(withFeatures.plain.logits, without.plain.logits) > 1e-2, 'the pixel features reach the logits');
  await zeros.release();
  await release();
  assert.throws(() => samConfig('vit_b', { maskDecoder: { fineChans: 0 } } as never), /maskDecoder\.fineChans must be a positive integer, got 0/);
});

test('inference decoder = plain decoder graph with wider upscaled features and their 3 × 3 convolution (not in SAM)', async () => {
  const base = smallConfig();
  const config: SamConfig = { ...base, maskDecoder: { ...base.maskDecoder, upscaleChans: 24, upscaleConv: true } };
  const values = randomValues(config, 31);
  assert.deepEqual(parameterShapes(config).get('mask_decoder.upscale_conv.weight'), [24, 24, 3, 3]);
  // A convolution of the gain initialisation gives it (std 0.3 over 216 inputs would make it 4.4 and
  // the logits ≈ 100, where float32's own rounding is of the 1e-4 tolerance's size).
  values.set(
    'mask_decoder.upscale_conv.weight',
    values.get('mask_decoder.upscale_conv.weight')!.map((v) => v / 4),
  );
  assert.deepEqual(parameterShapes(config).get('mask_decoder.output_hypernetworks_mlps.0.layers.2.weight'), [24, 128]);
  const rng = new Rng(32);
  const side = embeddingGrid(config);
  const { decode, release } = await decoders(config, values, normalArray(rng, config.maskDecoder.transformerDim * side * side));
  const cases: { name: string; labels: number[]; multimask: boolean; mask?: boolean; batch?: number }[] = [
    { name: 'wide + conv: one point, multimask', labels: [1, -1], multimask: true },
    { name: 'wide + conv: box + mask input, batch 2', labels: [2, 3], multimask: false, mask: true, batch: 2 },
    { name: 'wide + conv: 12 points (plain order)', labels: [...Array(11).fill(1), -1], multimask: true },
  ];
  for (const k of cases) {
    const batch = k.batch ?? 1;
    const p = prompts(rng, k.labels, batch);
    const maskInput = k.mask ? normalArray(rng, batch * 16 * side * side) : undefined;
    assertClose(k.name, await decode({ numPoints: k.labels.length, hasMaskInput: !!k.mask, multimask: k.multimask, ultrasam: false, batch }, p.coords, p.labels, maskInput));
  }
  await release();
});

test('a mask skip (not in SAM): each output gains its weight times the mask prompt; inference and exported decoders = plain graph', async () => {
  const base = smallConfig();
  const config: SamConfig = { ...base, maskDecoder: { ...base.maskDecoder, maskSkip: true } };
  const values = randomValues(config, 51);
  const gains = [0.5, -0.25, 1, 2];
  assert.deepEqual(parameterShapes(config).get(`mask_decoder.${MASK_SKIP}`), [gains.length]);
  values.set(
    `mask_decoder.${MASK_SKIP}`,
    Float32Array.from(gains, (v) => v / MASK_SKIP_GAIN),
  );
  const without = new Map([...values].filter(([k]) => !k.endsWith(MASK_SKIP)));
  const rng = new Rng(52);
  const side = embeddingGrid(config);
  const plane = 16 * side * side;
  const embedding = normalArray(rng, config.maskDecoder.transformerDim * side * side);
  const { decode, release } = await decoders(config, values, embedding);
  const plainOnly = await decoders(base, without, embedding);
  for (const k of [
    { name: 'mask skip: point + mask input, single', labels: [1, -1], multimask: false, batch: 1 },
    { name: 'mask skip: box + mask input, multimask, batch 2', labels: [2, 3], multimask: true, batch: 2 },
    { name: 'mask skip: 12 points + mask input (plain order)', labels: [...Array(11).fill(1), -1], multimask: false, batch: 1 },
  ]) {
    const p = prompts(rng, k.labels, k.batch);
    const maskInput = normalArray(rng, k.batch * plane);
    const options = { numPoints: k.labels.length, hasMaskInput: true, multimask: k.multimask, ultrasam: false, batch: k.batch };
    const skipped = await decode(options, p.coords, p.labels, maskInput);
    assertClose(k.name, skipped);
    // The same decoder without the skip, plus gain × mask input on each output it returns.
    const reference = (await plainOnly.decode(options, p.coords, p.labels, maskInput)).plain;
    const outputs = k.multimask ? [1, 2, 3] : [0];
    const expected = reference.logits.map((v, i) => {
      const slot = Math.floor(i / plane);
      return v + gains[outputs[slot % outputs.length]] * maskInput[Math.floor(slot / outputs.length) * plane + (i % plane)];
    });
    assert.ok(maxAbsDiff(skipped.plain.logits, expected) <= TOL, `${k.name}: not the decoder's masks plus gain × mask input`);
    assert.deepEqual(skipped.plain.iou, reference.iou);
  }
  // Without a mask prompt nothing is added (the graph has no skip to add).
  const p = prompts(rng, [1, -1], 1);
  const noMask = { numPoints: 2, hasMaskInput: false, multimask: true, ultrasam: false };
  assert.deepEqual((await decode(noMask, p.coords, p.labels)).plain.logits, (await plainOnly.decode(noMask, p.coords, p.labels)).plain.logits);
  await plainOnly.release();
  await release();
  // The exported decoder adds it where has_mask_input is 1 only.
  const image = await session(buildDecoderImageGraph(config), values);
  const imageSide = await image.run({ image_embedding: embedding });
  await image.release();
  const exported = await session(buildExportDecoderGraph(config, { slots: 4, ultrasam: false }), values);
  const maskInput = normalArray(rng, plane);
  const all = async (has: number) => {
    const coords = new Float32Array(8);
    coords.set(p.coords);
    const labels = Float32Array.from([1, -1, EMPTY_SLOT_LABEL, EMPTY_SLOT_LABEL]);
    const out = await exported.run({ point_coords: coords, point_labels: labels, mask_input: maskInput, has_mask_input: new Float32Array([has]), ...perImageFeeds(imageSide, exported.inputNames) });
    return out.low_res_logits.data as Float32Array;
  };
  // Every output of the plain graph: output 0, then the candidates.
  const plainAll = async (c: SamConfig, v: Map<string, Float32Array>, mask?: Float32Array) => {
    const parts: Float32Array[] = [];
    for (const multimask of [false, true]) {
      const plain = await session(buildDecoderGraph(c, { numPoints: 2, hasMaskInput: !!mask, multimask, ultrasam: false }), v);
      parts.push((await plain.run({ image_embedding: embedding, point_coords: p.coords, point_labels: p.labels, ...(mask ? { mask_input: mask } : {}) })).low_res_logits.data as Float32Array);
      await plain.release();
    }
    return Float32Array.from([...parts[0], ...parts[1]]);
  };
  assert.ok(maxAbsDiff(await all(1), await plainAll(config, values, maskInput)) <= TOL, 'export with the mask prompt = plain graph, every output');
  assert.ok(maxAbsDiff(await all(0), await plainAll(base, without)) <= TOL, 'export without the mask prompt = the decoder without the skip');
  await exported.release();
  assert.throws(() => samConfig('vit_b', { maskDecoder: { maskSkip: 1 } } as never), /maskDecoder\.maskSkip must be true or false, got 1/);
});

test('click maps: Σ exp(−d² / 2σ²) over the positive (label 1) and the negative (label 0) clicks, in output cells; other labels take no part', async () => {
  const side = 8;
  const imgSize = 32; // 4 input pixels per cell
  const coords = Float32Array.from([5.5, 9.5, 20.5, 3.5, 30, 30, 1, 2, 14.5, 14.5, 0, 0]);
  const labels = Float32Array.from([1, 0, 2, -1, 1, EMPTY_SLOT_LABEL]);
  const g = new Graph();
  g.output('maps', clickMaps(g.input('coords', [2, 3, 2]), g.input('labels', [2, 3]), side, imgSize));
  const rt = await Runtime.create(serialize(g, { params: 'initializers', values: new Map() }), { threads: 1 });
  const out = await rt.run({ coords, labels });
  await rt.release();
  const maps = out.maps.data as Float32Array;
  assert.deepEqual(out.maps.dims, [2, 2 * CLICK_MAP_SIGMAS.length, side, side]);
  let worst = 0;
  for (let b = 0; b < 2; b++)
    CLICK_MAP_SIGMAS.forEach((sigma, s) => {
      for (const [m, label] of [1, 0].entries())
        for (let i = 0; i < side * side; i++) {
          let want = 0;
          for (let t = 0; t < 3; t++) {
            if (labels[b * 3 + t] !== label) continue;
            const dx = coords[(b * 3 + t) * 2] / 4 - ((i % side) + 0.5);
            const dy = coords[(b * 3 + t) * 2 + 1] / 4 - (Math.floor(i / side) + 0.5);
            want += Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
          }
          worst = Math.max(worst, Math.abs(maps[((b * CLICK_MAP_SIGMAS.length + s) * 2 + m) * side * side + i] - want));
        }
    });
  assert.ok(worst < 1e-5, `maps differ from the formula by ${worst}`);
  // The second prompt has one positive click and no negative one: its negative maps are zero.
  assert.ok(maps.subarray(2 * CLICK_MAP_SIGMAS.length * side * side + side * side, 2 * CLICK_MAP_SIGMAS.length * side * side + 2 * side * side).every((v) => v === 0));
});

test('a click head (not in SAM): inference and exported decoders = plain graph; with its last layer zero, the decoder without it', async () => {
  const base = smallConfig();
  const config: SamConfig = { ...base, maskDecoder: { ...base.maskDecoder, clickHead: 6 } };
  const values = randomValues(config, 61);
  assert.deepEqual(parameterShapes(config).get(`mask_decoder.${CLICK_HEAD}.0.weight`), [6, 2 + 2 * CLICK_MAP_SIGMAS.length, 3, 3]);
  assert.deepEqual(parameterShapes(config).get(`mask_decoder.${CLICK_HEAD}.4.weight`), [1, 6, 3, 3]);
  const without = new Map([...values].filter(([k]) => !k.includes(CLICK_HEAD)));
  const silent = new Map([...values].map(([k, v]) => [k, k.startsWith(`mask_decoder.${CLICK_HEAD}.4.`) ? new Float32Array(v.length) : v]));
  const rng = new Rng(62);
  const side = embeddingGrid(config);
  const plane = 16 * side * side;
  const embedding = normalArray(rng, config.maskDecoder.transformerDim * side * side);
  const { decode, release } = await decoders(config, values, embedding);
  const silentHead = await decoders(config, silent, embedding);
  const plainOnly = await decoders(base, without, embedding);
  for (const k of [
    { name: 'click head: point and negative click + mask input, single', labels: [1, 0, -1], multimask: false, batch: 1, mask: true },
    { name: 'click head: one point, multimask, no mask input', labels: [1, -1], multimask: true, batch: 1, mask: false },
    { name: 'click head: box + point + mask input, multimask, batch 2', labels: [2, 3, 1], multimask: true, batch: 2, mask: true },
    { name: 'click head: 12 points + mask input (plain order)', labels: [...Array(6).fill(1), ...Array(5).fill(0), -1], multimask: false, batch: 1, mask: true },
  ]) {
    const p = prompts(rng, k.labels, k.batch);
    const maskInput = k.mask ? normalArray(rng, k.batch * plane) : undefined;
    const options = { numPoints: k.labels.length, hasMaskInput: k.mask, multimask: k.multimask, ultrasam: false, batch: k.batch };
    const headed = await decode(options, p.coords, p.labels, maskInput);
    assertClose(k.name, headed);
    const reference = (await plainOnly.decode(options, p.coords, p.labels, maskInput)).plain;
    assert.ok(maxAbsDiff(headed.plain.logits, reference.logits) > 1e-2, `${k.name}: the head changed nothing`);
    assert.deepEqual(headed.plain.iou, reference.iou);
    const quiet = (await silentHead.decode(options, p.coords, p.labels, maskInput)).plain;
    assert.ok(maxAbsDiff(quiet.logits, reference.logits) <= 1e-6, `${k.name}: a zero last layer is not the decoder without the head`);
  }
  await Promise.all([release(), silentHead.release(), plainOnly.release()]);
  // The exported decoder: its empty slots take no part in the maps, has_mask_input gates the mask prompt.
  const image = await session(buildDecoderImageGraph(config), values);
  const imageSide = await image.run({ image_embedding: embedding });
  await image.release();
  const exported = await session(buildExportDecoderGraph(config, { slots: 5, ultrasam: false }), values);
  const p = prompts(rng, [1, 0, -1], 1);
  const maskInput = normalArray(rng, plane);
  const all = async (has: number) => {
    const coords = new Float32Array(10);
    coords.set(p.coords);
    const labels = Float32Array.from([1, 0, -1, EMPTY_SLOT_LABEL, EMPTY_SLOT_LABEL]);
    const out = await exported.run({ point_coords: coords, point_labels: labels, mask_input: maskInput, has_mask_input: new Float32Array([has]), ...perImageFeeds(imageSide, exported.inputNames) });
    return out.low_res_logits.data as Float32Array;
  };
  const plainAll = async (mask?: Float32Array) => {
    const parts: Float32Array[] = [];
    for (const multimask of [false, true]) {
      const plain = await session(buildDecoderGraph(config, { numPoints: 3, hasMaskInput: !!mask, multimask, ultrasam: false }), values);
      parts.push((await plain.run({ image_embedding: embedding, point_coords: p.coords, point_labels: p.labels, ...(mask ? { mask_input: mask } : {}) })).low_res_logits.data as Float32Array);
      await plain.release();
    }
    return Float32Array.from([...parts[0], ...parts[1]]);
  };
  assert.ok(maxAbsDiff(await all(1), await plainAll(maskInput)) <= TOL, 'export with the mask prompt = plain graph, every output');
  assert.ok(maxAbsDiff(await all(0), await plainAll()) <= TOL, 'export without the mask prompt = plain graph without one');
  await exported.release();
  assert.throws(() => samConfig('vit_b', { maskDecoder: { clickHead: 0 } } as never), /maskDecoder\.clickHead must be a positive integer, got 0/);
});

test('exported decoder with empty slots = plain decoder graph for the exact prompt (every output)', async () => {
  const config = smallConfig();
  const values = randomValues(config, 21);
  const rng = new Rng(22);
  const c = config.maskDecoder.transformerDim;
  const side = embeddingGrid(config);
  const embedding = normalArray(rng, c * side * side);
  const image = await session(buildDecoderImageGraph(config), values);
  const imageSide = await image.run({ image_embedding: embedding });
  await image.release();
  const slots = 6;
  const plane = 16 * side * side;
  const exported = await session(buildExportDecoderGraph(config, { slots, ultrasam: false }), values);
  for (const { labels, mask } of [
    { labels: [1, -1], mask: false },
    { labels: [2, 3], mask: false },
    { labels: [1, 0, 2, 3], mask: false },
    { labels: [1, 1, -1], mask: true },
    { labels: [0, 2, 3], mask: true },
  ]) {
    const p = prompts(rng, labels, 1);
    const coords = new Float32Array(slots * 2);
    const slotLabels = new Float32Array(slots).fill(EMPTY_SLOT_LABEL);
    coords.set(p.coords);
    slotLabels.set(p.labels);
    // Without a mask prompt the exported decoder still takes mask_input: anything there is ignored.
    const maskInput = mask ? normalArray(rng, plane) : normalArray(rng, plane, 5);
    const feeds: Record<string, Feed> = { point_coords: coords, point_labels: slotLabels, mask_input: maskInput, has_mask_input: new Float32Array([mask ? 1 : 0]) };
    Object.assign(feeds, perImageFeeds(imageSide, exported.inputNames));
    const out = await exported.run(feeds);
    const all = out.low_res_logits.data as Float32Array;
    const iou = out.iou_predictions.data as Float32Array;
    const count = config.maskDecoder.numMultimaskOutputs;
    for (const multimask of [false, true]) {
      const plain = await session(buildDecoderGraph(config, { numPoints: labels.length, hasMaskInput: mask, multimask, ultrasam: false }), values);
      const ref = await plain.run({ image_embedding: embedding, point_coords: p.coords, point_labels: p.labels, ...(mask ? { mask_input: maskInput } : {}) });
      await plain.release();
      const [from, to] = multimask ? [1, 1 + count] : [0, 1];
      assertClose(`export, labels [${labels}]${mask ? ' + mask input' : ''}, ${multimask ? 'outputs 1..3' : 'output 0'}`, {
        plain: { logits: ref.low_res_logits.data as Float32Array, iou: ref.iou_predictions.data as Float32Array },
        prompt: { logits: all.slice(from * plane, to * plane), iou: iou.slice(from, to) },
      });
    }
  }
  await exported.release();
});

test('parity fixture: inference decoder = plain graph (1e-4) and the reference (1e-3), first pass and refinement, both maths', { skip: fixtureMissing }, async () => {
  const cases = readCases();
  const config = fixtureConfig(cases);
  const values = weightValues(config, loadSamWeights(`${FIXTURE_DIR}sam_weights.pth`).tensors);
  const { decode, release } = await decoders(config, values, readArray('embedding.npy').data as Float32Array);
  const side = lowResSize(config);
  for (const math of ['sam', 'ultrasam'] as const) {
    for (const testCase of cases.cases) {
      const prompt = encodePrompt({ points: testCase.points, labels: testCase.labels, box: testCase.box }, cases.image_size, config.imageEncoder.imgSize);
      const base = { numPoints: prompt.count, ultrasam: math === 'ultrasam' };
      const prefix = `${math}_${testCase.name}`;
      const first = await decode({ ...base, hasMaskInput: false, multimask: testCase.multimask }, prompt.coords, prompt.labels);
      assertClose(`${prefix}`, first);
      const refErr = maxAbsDiff(first.prompt.logits, readArray(`${prefix}_lowres.npy`).data);
      assert.ok(refErr <= 1e-3, `${prefix}: ${refErr} from the reference`);

      // Refinement as the reference made it: its best first-pass logits as the mask input.
      const refIou = readArray(`${prefix}_iou.npy`).data as Float32Array;
      const best = refIou.indexOf(Math.max(...refIou));
      const maskInput = (readArray(`${prefix}_lowres.npy`).data as Float32Array).slice(best * side * side, (best + 1) * side * side);
      const refined = await decode({ ...base, hasMaskInput: true, multimask: false }, prompt.coords, prompt.labels, maskInput);
      assertClose(`${prefix} refined`, refined);
      const refinedErr = maxAbsDiff(refined.prompt.logits, readArray(`${prefix}_refined_lowres.npy`).data);
      assert.ok(refinedErr <= 1e-3, `${prefix} refined: ${refinedErr} from the reference`);
    }
  }
  await release();
});
