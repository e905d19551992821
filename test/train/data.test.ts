// The data pipeline: COCO reading (RLE and polygons), samples prepared exactly as the predictor
// preprocesses images, flips, low-resolution targets, prompts inside their masks, and a data order
// that is a pure function of (seed, step) — in the main thread or in worker threads alike.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resizeMaskNearest } from '../../src/data/masks.js';
import { readImage } from '../../src/image/read.js';
import { getPreprocessShape } from '../../src/image/resize.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { type BatchLayout, assembleBatch } from '../../src/train/batch.js';
import { decodeSegmentation, loadTrainingSet } from '../../src/train/dataset.js';
import { BatchLoader, type LoaderOptions } from '../../src/train/loader.js';
import { DataOrder } from '../../src/train/order.js';
import { type MaskTarget, type PreparedSample, type SampleOptions, coveredAtLeastHalf, lowResCoverage, lowResTarget, padToInput, prepareSample } from '../../src/train/sample.js';
import { NO_AUGMENTATION } from '../../src/train/augment.js';
import { type SyntheticCorpus, tinyTrainConfig, writeSyntheticCoco } from './synthetic.js';

const config = tinyTrainConfig();
let corpus: SyntheticCorpus;
before(async () => {
  corpus = await writeSyntheticCoco(12, 48, 36, 4);
});
after(() => corpus.cleanup());

const sampleOptions = (over: Partial<SampleOptions> = {}): SampleOptions => ({
  config,
  instancesPerImage: 2,
  flip: true,
  pixels: true,
  boxProbability: 0.5,
  boxJitter: 0.05,
  clicks: 0,
  maskOnlyIterations: 0,
  lonePoint: 'candidates',
  maskTarget: 'binary',
  augment: NO_AUGMENTATION,
  ...over,
});

test("under the 'single' lone-point rule about half the lone points are supervised through output 0, no box is", async () => {
  const set = loadTrainingSet([{ coco: corpus.coco }]);
  const drawn = { point: 0, single: 0 };
  for (let seed = 0; seed < 40; seed++) {
    const sample = await prepareSample(set.images[seed % set.images.length], seed, sampleOptions({ pixels: false, lonePoint: 'single' }));
    for (const inst of sample.instances) {
      if (inst.kind === 'box') assert.equal(inst.singleOutput, false, 'a box is never a lone point');
      else {
        drawn.point++;
        if (inst.singleOutput) drawn.single++;
      }
    }
    const sam = await prepareSample(set.images[seed % set.images.length], seed, sampleOptions({ pixels: false }));
    assert.ok(
      sam.instances.every((x) => !x.singleOutput),
      "SAM's rule: every lone point through the candidates",
    );
  }
  assert.ok(drawn.point >= 20 && drawn.single > 0.25 * drawn.point && drawn.single < 0.75 * drawn.point, JSON.stringify(drawn));
});

test('the training set reads RLE and polygon masks; bad files are named in the error', () => {
  const set = loadTrainingSet([{ coco: corpus.coco }]);
  assert.equal(set.images.length, 12);
  assert.ok(set.instances > 12 && set.instances <= 24);
  assert.match(set.hash, /^[0-9a-f]{64}$/);
  assert.equal(loadTrainingSet([{ coco: corpus.coco }]).hash, set.hash, 'the hash names the list');
  const polygonal = set.images.find((im) => im.instances.some((s) => Array.isArray(s)))!;
  assert.ok(polygonal, 'the corpus has polygon masks');
  const poly = polygonal.instances.find((s) => Array.isArray(s))!;
  const mask = decodeSegmentation(poly, polygonal.width, polygonal.height);
  const area = mask.reduce((a, v) => a + v, 0);
  assert.ok(area > 20, `polygon rasterised to ${area} pixels`);

  const bad = join(corpus.dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ images: [{ id: 1, file_name: 'x.png', width: 10, height: 10 }], annotations: [{ image_id: 1, segmentation: { size: [5, 5], counts: '' } }] }));
  assert.throws(() => loadTrainingSet([{ coco: bad }]), /bad\.json: an RLE of .*x\.png is 5×5, the image is 10×10/);
  assert.throws(() => loadTrainingSet([{ coco: join(corpus.dir, 'missing.json') }]), /cannot read COCO file .*missing\.json/);
  writeFileSync(bad, JSON.stringify({ images: [], annotations: [{ image_id: 3, segmentation: [] }] }));
  assert.throws(() => loadTrainingSet([{ coco: bad }]), /refers to image 3, which is not listed/);
});

test("a sample is the predictor's preprocessing, mirrored when flipped, with targets and prompts from the same mask", async () => {
  const set = loadTrainingSet([{ coco: corpus.coco }]);
  const s = config.imageEncoder.imgSize;
  let sawFlip = false;
  let sawPoint = false;
  let sawBox = false;
  for (let seed = 0; seed < 12; seed++) {
    const item = set.images[seed % set.images.length];
    const plain = await prepareSample(item, seed, sampleOptions({ flip: false }));
    const sample = await prepareSample(item, seed, sampleOptions());
    const pre = preprocessImage(await readImage(item.path), config);
    assert.deepEqual(plain.image, pre.tensor, 'unflipped: exactly preprocessImage');
    const [h, w] = getPreprocessShape(item.height, item.width, s);
    assert.deepEqual(sample.inputSize, [h, w]);
    if (sample.flipped) {
      sawFlip = true;
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < s; y++) {
          for (let x = 0; x < s; x++) {
            const mirrored = y < h && x < w ? pre.tensor[c * s * s + y * s + (w - 1 - x)] : 0;
            assert.equal(sample.image![c * s * s + y * s + x], mirrored, `flipped pixel (${c}, ${y}, ${x})`);
          }
        }
      }
    }
    assert.equal(sample.instances.length, Math.min(2, item.instances.length));
    for (const inst of sample.instances) {
      // Rebuild the instance's mask in the input frame to check its target and prompt.
      const candidates = item.instances.map((seg) => {
        const m = resizeMaskNearest(decodeSegmentation(seg, item.width, item.height), item.width, item.height, w, h);
        if (sample.flipped) for (let y = 0; y < h; y++) m.subarray(y * w, (y + 1) * w).reverse();
        return m;
      });
      const mask = candidates.find((m) => lowResTarget(m, w, h, config).every((v, i) => v === inst.target[i]));
      assert.ok(mask, "the target is the area-averaged mask of one of the image's instances");
      if (inst.kind === 'point') {
        sawPoint = true;
        assert.deepEqual(Array.from(inst.labels), [1, -1]);
        assert.equal(mask[Math.floor(inst.coords[1]) * w + Math.floor(inst.coords[0])], 1, 'the point is inside the mask');
      } else {
        sawBox = true;
        assert.deepEqual(Array.from(inst.labels), [2, 3]);
        let [x0, y0, x1, y1] = [w, h, -1, -1];
        for (let i = 0; i < mask.length; i++) {
          if (!mask[i]) continue;
          const [x, y] = [i % w, Math.floor(i / w)];
          [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
        }
        const tight = [x0, y0, x1, y1];
        const size = [x1 - x0, y1 - y0, x1 - x0, y1 - y0];
        inst.coords.forEach((v, c) => assert.ok(Math.abs(v - 0.5 - tight[c]) <= 0.05 * size[c] + 1e-4, `box corner ${c}: ${v} vs ${tight[c]} + 0.5`));
      }
    }
  }
  assert.ok(sawFlip && sawPoint && sawBox, 'flips, points and boxes all occur');
});

test('the low-res target is the cell coverage thresholded at one half', () => {
  // 64-pixel input with 16-pixel patches: 4 × 4 input pixels per low-res cell.
  const w = 8;
  const h = 8;
  const mask = new Uint8Array(w * h);
  for (let x = 0; x < 4; x++) for (let y = 0; y < 2; y++) mask[y * w + x] = 1; // cell (0,0): 8 of 16 → 1
  for (let x = 4; x < 8; x++) mask[x] = 1; // cell (1,0): 4 of 16 → 0
  const target = lowResTarget(mask, w, h, config);
  assert.equal(target.length, 16 * 16);
  assert.equal(target[0], 1);
  assert.equal(target[1], 0);
  assert.equal(
    target.reduce((a, v) => a + v, 0),
    1,
  );
});

/**
 * The samples of six seeds under `maskTarget`, each beside the binary target's sample of the same
 * seed, checked to hold the same prompts, binary cells and draws once the instances' `extra` field
 * (that target's own) is set aside.
 */
async function besideBinary(maskTarget: MaskTarget, extra: 'coverage' | 'input'): Promise<{ binary: PreparedSample; variant: PreparedSample }[]> {
  const set = loadTrainingSet([{ coco: corpus.coco }]);
  const pairs: { binary: PreparedSample; variant: PreparedSample }[] = [];
  for (let seed = 0; seed < 6; seed++) {
    const item = set.images[seed % set.images.length];
    const binary = await prepareSample(item, seed, sampleOptions());
    const variant = await prepareSample(item, seed, sampleOptions({ maskTarget }));
    assert.deepEqual(
      variant.instances.map(({ [extra]: _extra, ...rest }) => rest),
      binary.instances,
      'the same prompts, binary targets and draws',
    );
    pairs.push({ binary, variant });
  }
  return pairs;
}

test("maskTarget 'coverage': each cell's covered share beside the binary target, the same draws otherwise", async () => {
  const w = 8;
  const h = 8;
  const mask = new Uint8Array(w * h);
  for (let x = 0; x < 4; x++) for (let y = 0; y < 2; y++) mask[y * w + x] = 1; // cell (0,0): 8 of 16
  for (let x = 4; x < 7; x++) mask[x] = 1; // cell (1,0): 3 of 16
  const coverage = lowResCoverage(mask, w, h, config);
  assert.deepEqual([coverage[0], coverage[1], coverage[2], coverage[16]], [0.5, 3 / 16, 0, 0]);
  assert.deepEqual(coveredAtLeastHalf(coverage), lowResTarget(mask, w, h, config));

  let fractional = 0;
  for (const { binary, variant: soft } of await besideBinary('coverage', 'coverage')) {
    for (const inst of soft.instances) {
      assert.ok(inst.coverage, 'a coverage target for every instance');
      assert.deepEqual(coveredAtLeastHalf(inst.coverage), inst.target);
      fractional += inst.coverage.filter((c) => c > 0 && c < 1).length;
    }
    for (const inst of binary.instances) assert.equal(inst.coverage, undefined);
  }
  assert.ok(fractional > 0, 'boundaries cross cells');
});

test("maskTarget 'input': the mask on the padded input frame beside the binary cells, the same draws otherwise", async () => {
  const framed = padToInput(Uint8Array.from([1, 0, 1, 1, 0, 1]), 3, 2, 4);
  assert.deepEqual(Array.from(framed), [1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

  const s = config.imageEncoder.imgSize;
  for (const { variant: full } of await besideBinary('input', 'input')) {
    const [h, w] = full.inputSize;
    for (const inst of full.instances) {
      assert.ok(inst.input && inst.input.length === s * s, 'an S × S mask for every instance');
      // Its cells are the binary target; nothing in the padding.
      const inside = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) inside.set(inst.input.subarray(y * s, y * s + w), y * w);
      assert.deepEqual(lowResTarget(inside, w, h, config), inst.target);
      assert.equal(
        inst.input.reduce((a, v) => a + v, 0),
        inside.reduce((a, v) => a + v, 0),
        'the padding is empty',
      );
    }
  }
  // Clicks on the input frame need the same mask (the loss's target stays the binary cells).
  const set = loadTrainingSet([{ coco: corpus.coco }]);
  for (let seed = 0; seed < 3; seed++) {
    const item = set.images[seed % set.images.length];
    const forLoss = await prepareSample(item, seed, sampleOptions({ maskTarget: 'input' }));
    const forClicks = await prepareSample(item, seed, sampleOptions({ clickGrid: 'input' }));
    assert.deepEqual(forClicks, forLoss);
  }
});

test('the data order is a pure function of (seed, position): each epoch a fresh permutation', () => {
  const order = new DataOrder(7, 3);
  const epochs = [0, 1, 2].map((e) => Array.from(order.permutation(e)));
  for (const p of epochs) assert.deepEqual([...p].sort(), [0, 1, 2, 3, 4, 5, 6]);
  assert.notDeepEqual(epochs[0], epochs[1]);
  const again = new DataOrder(7, 3);
  assert.equal(again.imageAt(15), epochs[2][1]);
  assert.equal(again.imageAt(0), epochs[0][0]);
  assert.notDeepEqual(Array.from(new DataOrder(7, 4).permutation(0)), epochs[0]);
  const seeds = new Set(Array.from({ length: 1000 }, (_, p) => order.sampleSeed(p)));
  assert.equal(seeds.size, 1000);
});

test('batches depend only on the step; worker threads prepare the same batches as the main thread', async () => {
  const set = loadTrainingSet([{ coco: corpus.coco }]);
  const options = (workers: number): LoaderOptions => ({
    seed: 5,
    workers,
    prefetch: 2,
    sample: sampleOptions(),
    layout: { images: 3, instancesPerImage: 2, iterations: 1, promptTokens: 2, lowRes: 16, imgSize: 64, multimask: 'auto', lonePoint: 'candidates', refine: false, maskInput: false },
  });
  const inline = new BatchLoader(set, options(0));
  const first = [];
  for (let step = 0; step < 6; step++) first.push(await inline.batch(step));
  await inline.close();
  const threaded = new BatchLoader(set, options(2));
  try {
    const late = await threaded.batch(4);
    assert.deepEqual(late.feeds, first[4].feeds, 'step 4 straight away equals step 4 after steps 0–3');
    const early = await threaded.batch(1);
    assert.deepEqual(early.feeds, first[1].feeds);
    assert.deepEqual(early.imageIndices, first[1].imageIndices);
  } finally {
    await threaded.close();
  }
  // 6 steps × 3 images over 12 images: one full epoch and half of the next, each image once per epoch.
  const seen = first.flatMap((b) => b.imageIndices);
  assert.deepEqual(
    [...seen.slice(0, 12)].sort((a, b) => a - b),
    Array.from({ length: 12 }, (_, i) => i),
  );
});

test('batch slots: each instance owns R passes; padding weighs 0; a lone point is supervised through outputs 1–3 on its first pass only', () => {
  const target = new Uint8Array(16 * 16).fill(1);
  const iterations = Uint8Array.from([1]);
  const point = { target, kind: 'point' as const, coords: Float32Array.from([3, 4, 0, 0]), labels: Float32Array.from([1, -1]), iterations, synthetic: false, singleOutput: false };
  const box = { target, kind: 'box' as const, coords: Float32Array.from([1, 1, 9, 9]), labels: Float32Array.from([2, 3]), iterations, synthetic: false, singleOutput: false };
  const layout = (over: Partial<BatchLayout>): BatchLayout => ({
    images: 1,
    instancesPerImage: 2,
    iterations: 2,
    promptTokens: 3,
    lowRes: 16,
    imgSize: 64,
    multimask: 'auto',
    lonePoint: 'candidates',
    refine: false,
    maskInput: true,
    ...over,
  });
  const batch = assembleBatch(
    [
      { flipped: false, inputSize: [64, 48], instances: [point, box] },
      { flipped: false, inputSize: [64, 64], instances: [box] },
    ],
    layout({ images: 2, refine: true }),
  );
  assert.deepEqual(Array.from(batch.feeds.weight as Float32Array), [1, 1, 1, 1, 1, 1, 0, 0]);
  assert.deepEqual(Array.from(batch.feeds.instance_image as BigInt64Array), [0n, 0n, 0n, 0n, 1n, 1n, 1n, 1n]);
  assert.deepEqual(Array.from(batch.feeds.candidates as Float32Array).slice(0, 16), [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
  // A lone point drawn for the single output (lone-point rule 'single') is supervised through output 0.
  const single = assembleBatch([{ flipped: false, inputSize: [64, 64], instances: [{ ...point, singleOutput: true }, point] }], layout({ lonePoint: 'single' }));
  assert.deepEqual(Array.from(single.feeds.candidates as Float32Array), [1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
  // A coverage target goes to the loss's feed on every pass; the instance keeps its binary cells (clicks).
  const coverage = Float32Array.from({ length: 16 * 16 }, (_, i) => (i % 16) / 16);
  const soft = assembleBatch([{ flipped: false, inputSize: [64, 64], instances: [{ ...point, coverage }] }], layout({ instancesPerImage: 1 }));
  assert.deepEqual(Array.from(soft.feeds.target as Float32Array), [...coverage, ...coverage]);
  assert.equal(soft.instances[0].target, target);
  // An input-frame target (target side S): the S × S mask on every pass; without one, a clear error.
  const input = Uint8Array.from({ length: 64 * 64 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const framed = assembleBatch([{ flipped: false, inputSize: [64, 64], instances: [{ ...point, input }] }], layout({ instancesPerImage: 1, targetSide: 64 }));
  assert.deepEqual(Array.from(framed.feeds.target as Float32Array), [...input, ...input]);
  assert.equal(framed.instances[0].target, target, 'the clicks keep the binary cells');
  assert.throws(() => assembleBatch([{ flipped: false, inputSize: [64, 64], instances: [point] }], layout({ instancesPerImage: 1, targetSide: 64 })), /no input-frame mask/);
  assert.throws(
    () => assembleBatch([{ flipped: false, inputSize: [64, 64], instances: [point] }], layout({ targetSide: 32 })),
    /target side 32 must be the low-resolution side 16 or the input side 64/,
  );
  assert.deepEqual(Array.from(batch.feeds.refine_candidates as Float32Array).slice(0, 4), [1, 0, 0, 0]);
  assert.deepEqual(Array.from(batch.feeds.point_labels as Float32Array).slice(0, 12), [1, -1, -2, 1, -1, -2, 2, 3, -2, 2, 3, -2]);
  assert.deepEqual(
    batch.instances.map((i) => [i.first, i.real, i.singlePoint]),
    [
      [0, true, true],
      [2, true, false],
      [4, true, false],
      [6, false, true],
    ],
  );
  assert.deepEqual(batch.instances[0].validCells, [16, 12]);
  assert.equal(batch.count, 3);
  assert.equal((batch.feeds.mask_input as Float32Array).length, 8 * 256);
  assert.throws(
    () => assembleBatch([{ flipped: false, inputSize: [64, 64], instances: [point] }], layout({ instancesPerImage: 1, iterations: 3, promptTokens: 4 })),
    /plans 1 iterations, the layout has 2/,
  );
});
