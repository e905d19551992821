// Model pieces that need no fixture: presets, graph signatures, interpolation, prompt encoding,
// postprocessing and weight binding errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bilinearMatrix } from '../../src/graph/ops/resize.js';
import { serialize } from '../../src/graph/onnx.js';
import { Runtime } from '../../src/graph/runtime.js';
import { samConfig } from '../../src/model/config.js';
import { bicubicMatrix, linearMatrix } from '../../src/model/interpolate.js';
import { MASK_THRESHOLD_METADATA_KEY, parseMaskThreshold, postprocessMasks, thresholdMasks, upscaleLogits, warmUpPostprocess } from '../../src/model/postprocess.js';
import { type Size, encodePrompt, promptTokenCount, resizedSize } from '../../src/model/prompts.js';
import { buildDecoderGraph, buildEncoderGraph, parameterShapes, weightValues } from '../../src/model/sam.js';
import { StateDictMismatchError } from '../../src/weights/layouts.js';
import { randomWeights, tinyConfig } from './tiny.js';

const GAUSSIAN = 'prompt_encoder.pe_layer.positional_encoding_gaussian_matrix';

test('presets have the released SAM parameter counts and shapes', () => {
  // sum(p.numel() for p in sam.parameters()) of the released checkpoints; the Gaussian matrix is a buffer.
  const published = { vit_b: 93_735_472, vit_l: 312_342_832, vit_h: 641_090_608 };
  for (const [preset, count] of Object.entries(published)) {
    const shapes = parameterShapes(samConfig(preset as keyof typeof published));
    let n = 0;
    for (const [key, shape] of shapes) if (key !== GAUSSIAN) n += shape.reduce((a, b) => a * b, 1);
    assert.equal(n, count, preset);
  }
  const b = parameterShapes(samConfig('vit_b'));
  assert.deepEqual(b.get('image_encoder.pos_embed'), [1, 64, 64, 768]);
  assert.deepEqual(b.get('image_encoder.blocks.0.attn.rel_pos_h'), [27, 64]); // windowed: 2·14 − 1
  assert.deepEqual(b.get('image_encoder.blocks.2.attn.rel_pos_w'), [127, 64]); // global: 2·64 − 1
  assert.deepEqual(b.get('image_encoder.neck.0.weight'), [256, 768, 1, 1]);
  assert.deepEqual(b.get('mask_decoder.output_upscaling.3.weight'), [64, 32, 2, 2]);
  assert.deepEqual(b.get('mask_decoder.transformer.layers.1.cross_attn_image_to_token.q_proj.weight'), [128, 256]);
  assert.deepEqual(b.get('mask_decoder.output_hypernetworks_mlps.3.layers.2.weight'), [32, 256]);
  assert.deepEqual(b.get('prompt_encoder.mask_downscaling.3.weight'), [16, 4, 2, 2]);
  assert.deepEqual(b.get(GAUSSIAN), [2, 128]);
});

test('config validation names the inconsistent number', () => {
  assert.throws(() => samConfig('vit_b', { imageEncoder: { imgSize: 1000 } }), /imgSize 1000 is not a multiple of patchSize 16/);
  assert.throws(() => samConfig('vit_b', { imageEncoder: { outChans: 128 } }), /outChans 128 must equal maskDecoder.transformerDim 256/);
  assert.throws(() => samConfig('vit_b', { imageEncoder: { globalAttnIndexes: [12] } }), /global block index 12/);
  assert.throws(() => samConfig('vit_b', { maskDecoder: { numHeads: 7 } }), /not divisible by numHeads 7/);
});

test('graph signatures: encoder and decoder inputs and outputs for ViT-B', () => {
  const config = samConfig('vit_b');
  const enc = buildEncoderGraph(config, 2);
  assert.deepEqual(
    enc.inputs.map((t) => [t.name, t.shape]),
    [['image', [2, 3, 1024, 1024]]],
  );
  assert.deepEqual(enc.outputs.get('embedding')!.shape, [2, 256, 64, 64]);
  const dec = buildDecoderGraph(config, { numPoints: 3, hasMaskInput: true, multimask: true, ultrasam: false, batch: 2 });
  assert.deepEqual(
    dec.inputs.map((t) => [t.name, t.shape]),
    [
      ['image_embedding', [1, 256, 64, 64]],
      ['point_coords', [2, 3, 2]],
      ['point_labels', [2, 3]],
      ['mask_input', [2, 1, 256, 256]],
    ],
  );
  assert.deepEqual(dec.outputs.get('low_res_logits')!.shape, [2, 3, 256, 256]);
  assert.deepEqual(dec.outputs.get('iou_predictions')!.shape, [2, 3]);
  const single = buildDecoderGraph(config, { numPoints: 2, hasMaskInput: false, multimask: false, ultrasam: true });
  assert.deepEqual(single.outputs.get('low_res_logits')!.shape, [1, 1, 256, 256]);
  assert.ok(!single.inputs.some((t) => t.name === 'mask_input'));
  assert.ok(single.params.has('prompt_encoder.no_mask_embed.weight'));
  assert.throws(() => buildDecoderGraph(config, { numPoints: 0, hasMaskInput: false, multimask: false, ultrasam: false }), /numPoints/);
});

test('interpolation matrices: rows sum to 1, identity at equal size, linear ramps reproduced away from the edges', () => {
  for (const m of [bicubicMatrix, linearMatrix]) {
    const id = m(5, 5);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) assert.ok(Math.abs(id[i * 5 + j] - (i === j ? 1 : 0)) < 1e-12);
    for (const [n, out] of [
      [8, 20],
      [20, 7],
      [6, 4],
    ]) {
      const r = m(n, out);
      const scale = n / out;
      for (let o = 0; o < out; o++) {
        let sum = 0;
        let ramp = 0;
        for (let i = 0; i < n; i++) {
          sum += r[o * n + i];
          ramp += r[o * n + i] * i;
        }
        assert.ok(Math.abs(sum - 1) < 1e-12, `row ${o} sums to ${sum}`);
        const src = (o + 0.5) * scale - 0.5;
        // Linear interpolation reproduces ramps where no tap is clamped (PyTorch's cubic kernel,
        // A = −0.75, does not: only A = −0.5 would).
        if (m === linearMatrix && src >= 0 && src <= n - 1) assert.ok(Math.abs(ramp - src) < 1e-9, `${m.name} ${n}→${out} row ${o}: ${ramp} vs ${src}`);
      }
    }
  }
  // PyTorch's cubic weights (A = −0.75) at fraction 0.5: −0.09375, 0.59375, 0.59375, −0.09375;
  // at 0.25: −0.10546875, 0.87890625, 0.26171875, −0.03515625.
  const half = bicubicMatrix(8, 4); // src = 2o + 0.5
  assert.deepEqual(Array.from(half.slice(8, 16)), [0, -0.09375, 0.59375, 0.59375, -0.09375, 0, 0, 0]);
  const quarter = bicubicMatrix(4, 8); // o = 3: src = 1.25
  assert.deepEqual(Array.from(quarter.slice(12, 16)), [-0.10546875, 0.87890625, 0.26171875, -0.03515625]);
  // At the edges the taps clamp onto the first and last source rows.
  assert.deepEqual(Array.from(quarter.slice(0, 4)), [1.10546875, -0.10546875, 0, 0]); // src −0.25: taps −2..1
});

test('an encoder run at another size than its tables were trained at: trained shapes, interpolated in the graph', async () => {
  const config = tinyConfig(); // 64 input, tables trained at 96
  const shapes = parameterShapes(config);
  assert.deepEqual(shapes.get('image_encoder.pos_embed'), [1, 6, 6, 16]);
  assert.deepEqual(shapes.get('image_encoder.blocks.1.attn.rel_pos_h'), [11, 8]);
  assert.deepEqual(shapes.get('image_encoder.blocks.0.attn.rel_pos_h'), [5, 8]); // window 3
  const values = weightValues(config, randomWeights(config));
  const rt = await Runtime.create(serialize(buildEncoderGraph(config), { params: 'initializers', values }), { threads: 1 });
  const out = (await rt.run({ image: new Float32Array(3 * 64 * 64).fill(0.5) })).embedding;
  assert.deepEqual(out.dims, [1, 16, 4, 4]);
  assert.ok((out.data as Float32Array).every(Number.isFinite));
  await rt.release();
});

test('the inference encoder takes heads in groups within its logits budget: the same embedding as the training form', async () => {
  const t = tinyConfig(); // a 4 × 4 grid: the global block's logits are 16² per head, the windowed block's 4 windows × 9²
  const config = samConfig('vit_b', { ...t, imageEncoder: { ...t.imageEncoder, numHeads: 4 } });
  const values = weightValues(config, randomWeights(config));
  const image = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.013));
  const embed = async (graph: ReturnType<typeof buildEncoderGraph>) => {
    const rt = await Runtime.create(serialize(graph, { params: 'initializers', values }), { threads: 1 });
    const out = (await rt.run({ image })).embedding.data as Float32Array;
    await rt.release();
    return out;
  };
  const matmuls = (graph: ReturnType<typeof buildEncoderGraph>) => graph.nodes.filter((n) => n.type === 'MatMul').length;
  const training = buildEncoderGraph(config);
  const whole = buildEncoderGraph(config, 1, { forwardOnly: true });
  // 600 logits: the global block in 2 groups of 2 heads, the windowed block (324 per head) head by head.
  const grouped = buildEncoderGraph(config, 1, { forwardOnly: true, logitsPerGroup: 600 });
  const single = buildEncoderGraph(config, 1, { forwardOnly: true, logitsPerGroup: 1 });
  assert.ok(matmuls(whole) < matmuls(grouped) && matmuls(grouped) < matmuls(single), `MatMul nodes ${matmuls(whole)}, ${matmuls(grouped)}, ${matmuls(single)}`);
  const reference = await embed(training);
  for (const [name, graph] of [
    ['whole', whole],
    ['grouped', grouped],
    ['single', single],
  ] as const) {
    const out = await embed(graph);
    const worst = out.reduce((m, v, i) => Math.max(m, Math.abs(v - reference[i])), 0);
    assert.ok(worst <= 1e-5, `${name}: largest difference ${worst}`);
  }
});

test("windowed blocks project q, k, v and the output for the grid's tokens only, not for the padding of their windows", () => {
  // The test model's 4 × 4 grid pads to 6 × 6 in its 3 × 3 windows; ViT-B's 64 × 64 to 70 × 70 in 14 × 14.
  for (const [name, config, tokens] of [
    ['test model', tinyConfig(), 16],
    ['ViT-B', samConfig('vit_b'), 4096],
  ] as const) {
    for (const forwardOnly of [false, true]) {
      const gemms = buildEncoderGraph(config, 1, { forwardOnly }).nodes.filter((n) => n.type === 'Gemm');
      // Per block: qkv, proj and the MLP's two layers.
      assert.equal(gemms.length, 4 * config.imageEncoder.depth, name);
      for (const n of gemms) assert.equal(n.inputs[0]!.shape[0], tokens, `${name}${forwardOnly ? ' (inference)' : ''}: ${n.name} has ${n.inputs[0]!.shape[0]} rows`);
    }
  }
});

test('prompts: per-axis resize scale, +0.5, box corners last with labels 2 and 3, padding point only without a box', () => {
  assert.deepEqual(resizedSize([315, 500], 1024), [645, 1024]);
  const p = encodePrompt(
    {
      points: [
        [250, 141.75],
        [100, 252],
      ],
      labels: [1, 0],
    },
    [315, 500],
    1024,
  );
  assert.equal(p.count, 3);
  assert.deepEqual(Array.from(p.labels), [1, 0, -1]);
  assert.ok(Math.abs(p.coords[0] - ((250 * 1024) / 500 + 0.5)) < 1e-4);
  assert.ok(Math.abs(p.coords[1] - ((141.75 * 645) / 315 + 0.5)) < 1e-4); // newH / oldH, not 1024 / 500
  const b = encodePrompt({ points: [[200, 157.5]], labels: [0], box: [125, 63, 350, 236.25] }, [315, 500], 1024);
  assert.equal(b.count, 3);
  assert.equal(promptTokenCount({ points: [[1, 1]], labels: [1], box: [0, 0, 1, 1] }), 3);
  assert.deepEqual(Array.from(b.labels), [0, 2, 3]);
  assert.ok(Math.abs(b.coords[4] - ((350 * 1024) / 500 + 0.5)) < 1e-4);
  assert.throws(() => encodePrompt({ points: [[1, 2]], labels: [] }, [10, 10], 1024), /1 point\(s\) but 0 label/);
  assert.throws(() => encodePrompt({}, [10, 10], 1024), /at least one point or a box/);
  assert.throws(() => encodePrompt({ points: [[1, 2]], labels: [2] }, [10, 10], 1024), /label 0 is 2/);
  assert.throws(() => encodePrompt({ box: [0, NaN, 1, 1] }, [10, 10], 1024), /non-finite/);
  // The one prompt check (the predictor's and the app's): the image bounds, box order and area.
  assert.throws(() => encodePrompt({ points: [[10, 2]], labels: [1] }, [10, 10], 1024), /^Error: prompt: point 0 \(10, 2\) lies outside the 10×10 image/);
  assert.throws(() => encodePrompt({ box: [5, 0, 2, 4] }, [10, 10], 1024, 'prompt 3'), /^Error: prompt 3: box \[5, 0, 2, 4\] has x1 < x0/);
  assert.throws(() => encodePrompt({ box: [2, 3, 2, 8] }, [10, 10], 1024), /box \[2, 3, 2, 8\] has no area/);
  assert.throws(() => encodePrompt({ box: [0, 0, 10, 11] }, [10, 10], 1024), /reaches outside the 10×10 image/);
  assert.equal(encodePrompt({ box: [0, 0, 10, 10] }, [10, 10], 1024).count, 2, 'box corners may lie on the far border');
});

test("postprocessing equals upsample → crop → resize done the long way, and thresholds at 0 or at the model's threshold", () => {
  // Shrinking both axes, then growing one: the second and third geometries also check that the
  // axis maps cached for one geometry are not served for another.
  for (const [low, img, inH, inW, outH, outW] of [
    [8, 32, 20, 32, 13, 21],
    [8, 32, 32, 11, 50, 17],
    [8, 32, 20, 32, 13, 21],
  ]) {
    const count = 2;
    const logits = Float32Array.from({ length: count * low * low }, (_, i) => Math.sin(i * 0.37) + 0.1 * (i % 7));
    const got = upscaleLogits(logits, count, [low, low], { imgSize: img, inputSize: [inH, inW], originalSize: [outH, outW] });
    // Dense reference with the engine's interpolation matrices, one stage at a time.
    const resize = (x: Float64Array, h: number, w: number, nh: number, nw: number) => {
      const rh = bilinearMatrix(h, nh);
      const rw = bilinearMatrix(w, nw);
      const y = new Float64Array(nh * nw);
      for (let i = 0; i < nh; i++)
        for (let j = 0; j < nw; j++) {
          let s = 0;
          for (let a = 0; a < h; a++) for (let c = 0; c < w; c++) s += rh[i * h + a] * rw[j * w + c] * x[a * w + c];
          y[i * nw + j] = s;
        }
      return y;
    };
    for (let m = 0; m < count; m++) {
      const up = resize(Float64Array.from(logits.subarray(m * low * low, (m + 1) * low * low)), low, low, img, img);
      const crop = new Float64Array(inH * inW);
      for (let i = 0; i < inH; i++) for (let j = 0; j < inW; j++) crop[i * inW + j] = up[i * img + j];
      const want = resize(crop, inH, inW, outH, outW);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[m * outH * outW + i] - want[i]) < 1e-5, `mask ${m} pixel ${i}`);
    }
    const masks = postprocessMasks(logits, count, [low, low], { imgSize: img, inputSize: [inH, inW], originalSize: [outH, outW] });
    assert.equal(masks.length, count);
    for (let m = 0; m < count; m++) for (let i = 0; i < outH * outW; i++) assert.equal(masks[m][i], got[m * outH * outW + i] > 0 ? 1 : 0);
    const lower = postprocessMasks(logits, count, [low, low], { imgSize: img, inputSize: [inH, inW], originalSize: [outH, outW] }, -0.3);
    for (let m = 0; m < count; m++) for (let i = 0; i < outH * outW; i++) assert.equal(lower[m][i], got[m * outH * outW + i] > -0.3 ? 1 : 0);
    assert.throws(() => upscaleLogits(logits, 3, [low, low], { imgSize: img, inputSize: [inH, inW], originalSize: [outH, outW] }), /do not fill/);
  }
});

test('postprocessing decides whole runs of pixels from the logits they read and still gives exactly the thresholded upscaled logits', () => {
  // Masks with large inside and outside regions (what the shortcut fills), values on and next to
  // the threshold (what its margin must send to the sums), NaN, and checkerboard noise (no runs).
  for (const [low, img, inH, inW, outH, outW] of [
    [16, 64, 40, 64, 13, 21],
    [16, 64, 64, 23, 150, 61],
    [32, 128, 80, 128, 400, 640],
    [32, 128, 128, 128, 128, 128],
  ]) {
    for (const threshold of [0, -0.25, 0.7]) {
      for (const kind of ['disc', 'plateau', 'nan', 'noise']) {
        const count = 3;
        const logits = new Float32Array(count * low * low);
        for (let m = 0; m < count; m++) {
          for (let y = 0; y < low; y++) {
            for (let x = 0; x < low; x++) {
              const d = Math.hypot(y / low - 0.4 - 0.1 * m, x / low - 0.5) - 0.25;
              let v = -40 * d + 0.3 * Math.sin(0.9 * x + 0.3 * y + m);
              if (kind === 'plateau') v = d < 0 ? threshold : d < 0.1 ? Math.fround(threshold + 1e-7) : threshold - 3;
              if (kind === 'nan' && (7 * x + y) % 31 === 0) v = NaN;
              if (kind === 'noise') v = (x + y) % 2 ? threshold + 1 : threshold - 1;
              logits[(m * low + y) * low + x] = v;
            }
          }
        }
        const geometry = { imgSize: img, inputSize: [inH, inW] as Size, originalSize: [outH, outW] as Size };
        const want = thresholdMasks(upscaleLogits(logits, count, [low, low], geometry), count, threshold);
        const got = postprocessMasks(logits, count, [low, low], geometry, threshold);
        for (let m = 0; m < count; m++) {
          let differ = 0;
          for (let i = 0; i < outH * outW; i++) if (got[m][i] !== want[m][i]) differ++;
          assert.equal(differ, 0, `${kind} logits ${low}² → ${outH}×${outW}, threshold ${threshold}, mask ${m}`);
        }
        if (kind === 'disc') assert.ok(want[0].some((v) => v === 1) && want[0].some((v) => v === 0), 'the disc is neither empty nor everything');
      }
    }
  }
});

test("the page's post-processing warm-up makes a disc's masks and fragmented ones, at the size asked for", () => {
  const { disc, noise } = warmUpPostprocess(256, 1024, [480, 640], 2);
  assert.equal(disc.length, 4);
  assert.equal(noise.length, 4);
  for (const mask of [...disc, ...noise]) assert.equal(mask.length, 480 * 640);
  // A disc of 32 low-res cells = 128 input pixels = 80 original pixels in radius.
  const area = disc[0].reduce((sum, v) => sum + v, 0);
  assert.ok(Math.abs(area / (Math.PI * 80 * 80) - 1) < 0.02, `disc area ${area}`);
  // The noise masks change every few pixels along a row: the logits postprocessMasks sums whole.
  let changes = 0;
  for (let r = 0; r < 480; r++) for (let c = 1; c < 640; c++) if (noise[0][r * 640 + c] !== noise[0][r * 640 + c - 1]) changes++;
  assert.ok(changes / 480 > 640 / 12, `${(changes / 480).toFixed(1)} changes per row`);
  assert.throws(() => warmUpPostprocess(256, 1024, [480, 640], 0), /rounds must be a whole number ≥ 1, got 0/);
});

test("a recorded mask threshold: a decimal string; absent, SAM's 0; anything else named with its file", () => {
  assert.equal(parseMaskThreshold(undefined, 'm.safetensors'), 0);
  assert.equal(parseMaskThreshold('-0.25', 'm.safetensors'), -0.25);
  assert.equal(parseMaskThreshold('1e-1', 'm.safetensors'), 0.1);
  for (const bad of ['', 'low', 'NaN', 'Infinity', 0.5]) {
    assert.throws(() => parseMaskThreshold(bad, 'm.safetensors'), new RegExp(`^Error: m\\.safetensors: metadata '${MASK_THRESHOLD_METADATA_KEY}' is .*; expected a decimal number`));
  }
});

test('weight binding: a wrong shape, a missing and an unexpected key are all named, with both shapes', () => {
  const config = tinyConfig();
  const good = randomWeights(config);
  assert.equal(weightValues(config, good).size, parameterShapes(config).size);

  const bad = new Map(good);
  bad.set('image_encoder.blocks.0.attn.qkv.weight', { shape: [48, 15], data: new Float32Array(48 * 15) });
  bad.delete('mask_decoder.iou_token.weight');
  bad.set('mask_decoder.extra.weight', { shape: [1], data: new Float32Array(1) });
  assert.throws(
    () => weightValues(config, bad),
    (e: Error) =>
      e instanceof StateDictMismatchError &&
      /image_encoder\.blocks\.0\.attn\.qkv\.weight expected \[48,16\] got \[48,15\]/.test(e.message) &&
      /missing keys \(1\): mask_decoder\.iou_token\.weight/.test(e.message) &&
      /unexpected keys \(1\): mask_decoder\.extra\.weight/.test(e.message),
  );

  const ints = new Map(good);
  ints.set('mask_decoder.iou_token.weight', { shape: [1, 16], data: new Int32Array(16) as unknown as Float32Array });
  assert.throws(() => weightValues(config, ints), /mask_decoder\.iou_token\.weight.*floating-point/);
});
