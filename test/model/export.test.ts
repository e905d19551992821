// The exported encoder.onnx + decoder.onnx pair, run by onnxruntime-web (WASM) under Node, reproduces
// the predictor: embedding and low-res logits within 1e-4, identical masks, for every fixture prompt
// (one decoder file serves every prompt through its empty slots).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ortWeb from 'onnxruntime-web';
import { readImage } from '../../src/image/read.js';
import { type ExportManifest, exportModel } from '../../src/model/export.js';
import { postprocessMasks } from '../../src/model/postprocess.js';
import { SamPredictor } from '../../src/model/predictor.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { encodePrompt } from '../../src/model/prompts.js';
import { FIXTURE_DIR, fixtureMissing, readCases } from './fixture.js';

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test('exported ONNX pair in onnxruntime-web matches the predictor', { skip: fixtureMissing }, async () => {
  const cases = readCases();
  const dir = mkdtempSync(join(tmpdir(), 'ultrasam-export-'));
  try {
    const predictor = await SamPredictor.load(`${FIXTURE_DIR}ultrasam_weights.pth`, { decoderHeads: cases.decoder.num_heads, threads: 2 });
    const out = join(dir, 'model');
    exportModel(predictor, out, { slots: 8 });
    const manifest = JSON.parse(readFileSync(join(out, 'ultrasam.json'), 'utf8')) as ExportManifest;
    assert.equal(manifest.ultrasam, true);
    assert.throws(() => exportModel(predictor, out), /exists already/);

    ortWeb.env.wasm.numThreads = 1;
    const opts = { executionProviders: ['wasm'] };
    const encoder = await ortWeb.InferenceSession.create(readFileSync(join(out, 'encoder.onnx')), opts);
    const decoder = await ortWeb.InferenceSession.create(readFileSync(join(out, 'decoder.onnx')), opts);

    const image = await readImage(`${FIXTURE_DIR}image.png`);
    await predictor.setImage(image);
    const pre = preprocessImage(image, manifest.config);
    const s = manifest.config.imageEncoder.imgSize;
    const emb = (await encoder.run({ image: new ortWeb.Tensor('float32', pre.tensor, [1, 3, s, s]) })).embedding;
    const embErr = maxAbs(emb.data as Float32Array, predictor.embedding);
    console.log(`exported encoder (web) vs predictor: max abs ${embErr.toExponential(2)}`);
    assert.ok(embErr <= 1e-4);

    const side = manifest.decoder.lowResSize;
    const slots = manifest.decoder.slots;
    for (const c of cases.cases) {
      const prompt = { points: c.points, labels: c.labels, box: c.box };
      const ours = await predictor.predict({ ...prompt, multimask: c.multimask });
      const enc = encodePrompt(prompt, pre.originalSize, s);
      const coords = new Float32Array(slots * 2);
      const labels = new Float32Array(slots).fill(manifest.decoder.emptySlotLabel);
      coords.set(enc.coords);
      labels.set(enc.labels);
      const result = await decoder.run({
        image_embedding: emb,
        point_coords: new ortWeb.Tensor('float32', coords, [1, slots, 2]),
        point_labels: new ortWeb.Tensor('float32', labels, [1, slots]),
        mask_input: new ortWeb.Tensor('float32', new Float32Array(side * side), [1, 1, side, side]),
        has_mask_input: new ortWeb.Tensor('float32', new Float32Array([0]), [1]),
      });
      const all = result.low_res_logits.data as Float32Array;
      const plane = side * side;
      const [from, to] = c.multimask ? [1, result.low_res_logits.dims[1]] : [0, 1];
      const picked = all.slice(from * plane, to * plane);
      const err = maxAbs(picked, ours.lowResLogits);
      const masks = postprocessMasks(picked, to - from, [side, side], { imgSize: s, inputSize: pre.inputSize, originalSize: pre.originalSize });
      const identical = masks.every((m, k) => m.every((v, i) => v === ours.masks[k][i]));
      console.log(`exported decoder (web) ${c.name}: low-res max abs ${err.toExponential(2)}, masks identical: ${identical}`);
      assert.ok(err <= 1e-4, `${c.name}: ${err}`);
      assert.ok(identical, `${c.name}: masks differ`);
    }
    await predictor.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
