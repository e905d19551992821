// Augmentations: crops keep enough of an instance, rotation moves image and masks together, the
// photometric changes keep grey images grey and in range, synthetic instances change the image
// exactly where their mask is, balanced sampling gives each dataset its quota, and an augmented
// sample is still a pure function of its seed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Rng } from '../../src/graph/random.js';
import { type InputFrame, MIN_KEPT_FRACTION, chooseCrop, cropImage, cropMask, gaussianBlur, photometric, rotate, syntheticInstance } from '../../src/train/augment.js';
import { loadTrainingSet } from '../../src/train/dataset.js';
import { DataOrder, quotas } from '../../src/train/order.js';
import { type SampleOptions, prepareSample } from '../../src/train/sample.js';
import { type SyntheticCorpus, tinyTrainConfig, writeSyntheticCoco } from './synthetic.js';

const config = tinyTrainConfig();
const MEAN = [123.675, 116.28, 103.53];
const STD = [58.395, 57.12, 57.375];

/** A grey S × S tensor (normalised per channel) holding `value(x, y)` in its top-left h × w. */
function greyTensor(s: number, h: number, w: number, value: (x: number, y: number) => number): Float32Array {
  const t = new Float32Array(3 * s * s);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) t[c * s * s + y * s + x] = (value(x, y) - MEAN[c]) / STD[c];
  return t;
}
const pixel = (t: Float32Array, s: number, c: number, x: number, y: number) => t[c * s * s + y * s + x] * STD[c] + MEAN[c];

test('a crop keeps at least the minimum fraction of some instance; image and mask crop alike', () => {
  const width = 40;
  const height = 30;
  const mask = new Uint8Array(width * height);
  for (let y = 20; y < 28; y++) for (let x = 30; x < 38; x++) mask[y * width + x] = 1;
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    const rect = chooseCrop(width, height, [mask], 0.3, rng);
    if (!rect) continue;
    assert.ok(rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= width && rect.y + rect.height <= height);
    const kept = cropMask(mask, width, rect).reduce((a, b) => a + b, 0);
    assert.ok(kept >= MIN_KEPT_FRACTION * 64, `crop ${JSON.stringify(rect)} keeps ${kept} of 64 pixels`);
  }
  assert.equal(chooseCrop(width, height, [new Uint8Array(width * height)], 0.3, rng), null, 'no instance: no crop');
  const image = { data: Uint8Array.from({ length: width * height * 3 }, (_, i) => i % 251), width, height, channels: 3 };
  const rect = { x: 5, y: 7, width: 10, height: 4 };
  const cropped = cropImage(image, rect);
  assert.equal(cropped.data.length, 10 * 4 * 3);
  assert.equal(cropped.data[(2 * 10 + 3) * 3 + 1], image.data[((7 + 2) * width + 5 + 3) * 3 + 1]);
});

test('rotation moves image and masks together; by 0° it changes nothing', () => {
  const s = 32;
  const frame: InputFrame = { size: s, height: 20, width: 24, mean: MEAN, std: STD };
  const bright = (x: number, y: number) => (x >= 14 && x < 20 && y >= 4 && y < 9 ? 250 : 20);
  const mask = new Uint8Array(24 * 20);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 24; x++) mask[y * 24 + x] = bright(x, y) > 100 ? 1 : 0;
  const same = greyTensor(s, 20, 24, bright);
  const masks = [Uint8Array.from(mask)];
  rotate(same, masks, frame, 0);
  assert.deepEqual(masks[0], mask);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 24; x++) assert.ok(Math.abs(pixel(same, s, 0, x, y) - bright(x, y)) < 1e-3);

  const turned = greyTensor(s, 20, 24, bright);
  const turnedMasks = [Uint8Array.from(mask)];
  rotate(turned, turnedMasks, frame, 90);
  let agree = 0;
  let inMask = 0;
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 24; x++) {
      if (!turnedMasks[0][y * 24 + x]) continue;
      inMask++;
      if (pixel(turned, s, 1, x, y) > 150) agree++;
    }
  }
  assert.ok(inMask > 10 && agree / inMask > 0.8, `the rotated mask covers the rotated bright square (${agree}/${inMask})`);
  assert.notDeepEqual(turnedMasks[0], mask);
  assert.ok(pixel(turned, s, 0, 0, 0) < 1, 'what comes from outside the image is black');
});

test('photometric changes keep a grey image grey, inside [0, 255], and leave the padding alone', () => {
  const s = 32;
  const frame: InputFrame = { size: s, height: 20, width: 24, mean: MEAN, std: STD };
  for (let seed = 1; seed < 6; seed++) {
    const t = greyTensor(s, 20, 24, (x, y) => (x * 7 + y * 11) % 256);
    photometric(t, frame, new Rng(seed));
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 24; x++) {
        const v = [0, 1, 2].map((c) => pixel(t, s, c, x, y));
        assert.ok(
          v.every((u) => u >= -1e-3 && u <= 255 + 1e-3),
          `seed ${seed} (${x}, ${y}): ${v}`,
        );
        assert.ok(Math.abs(v[0] - v[1]) < 1e-2 && Math.abs(v[1] - v[2]) < 1e-2, `grey stays grey: ${v}`);
      }
    }
    for (let c = 0; c < 3; c++) assert.equal(t[c * s * s + 25 * s + 30], 0, 'padding untouched');
  }
  const flat = new Float32Array(36).fill(0.4);
  gaussianBlur(flat, 6, 6, 1.2);
  for (const v of flat) assert.ok(Math.abs(v - 0.4) < 1e-6, 'a blur keeps a constant image');
});

test('a synthetic instance changes the image where its mask is and avoids the given masks', () => {
  const s = 64;
  const frame: InputFrame = { size: s, height: 60, width: 64, mean: MEAN, std: STD };
  const avoid = new Uint8Array(64 * 60);
  for (let y = 0; y < 60; y++) for (let x = 0; x < 20; x++) avoid[y * 64 + x] = 1;
  let made = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const before = greyTensor(s, 60, 64, () => 120);
    const t = Float32Array.from(before);
    const blob = syntheticInstance(t, frame, [avoid], new Rng(seed));
    if (!blob) continue;
    made++;
    let area = 0;
    let overlap = 0;
    let changedInside = 0;
    for (let i = 0; i < blob.length; i++) {
      if (!blob[i]) continue;
      area++;
      overlap += avoid[i];
      const x = i % 64;
      const y = Math.floor(i / 64);
      if (Math.abs(pixel(t, s, 0, x, y) - 120) > 10) changedInside++;
    }
    assert.ok(area >= 16 && overlap <= 0.1 * area, `seed ${seed}: area ${area}, overlap ${overlap}`);
    assert.ok(changedInside > 0.7 * area, `seed ${seed}: ${changedInside} of ${area} mask pixels changed`);
    // Far from the blob nothing changes.
    let changedFar = 0;
    for (let y = 0; y < 60; y++) {
      for (let x = 0; x < 64; x++) {
        let near = false;
        for (let dy = -3; dy <= 3 && !near; dy++) for (let dx = -3; dx <= 3 && !near; dx++) near = blob[(y + dy) * 64 + x + dx] === 1;
        if (!near && Math.abs(pixel(t, s, 0, x, y) - 120) > 1e-3) changedFar++;
      }
    }
    assert.equal(changedFar, 0, `seed ${seed}: the image changed away from the blob`);
  }
  assert.ok(made >= 5, `${made} of 10 seeds made a blob`);
});

test('balanced sampling: quotas n^b / Σ n^b sum to the epoch; each epoch holds each dataset its quota', () => {
  assert.deepEqual(quotas([100, 1], 101, 0), [51, 50]);
  assert.deepEqual(quotas([90, 10], 100, 0.5), [75, 25]);
  assert.equal(
    quotas([7, 13, 29], 49, 0.3).reduce((a, b) => a + b, 0),
    49,
  );
  const names = [...Array(90).fill('big'), ...Array(10).fill('small')];
  const order = new DataOrder(100, 4, names, 0);
  for (const epoch of [0, 1]) {
    const p = order.permutation(epoch);
    assert.equal(p.length, 100);
    const small = Array.from(p).filter((i) => i >= 90);
    assert.equal(small.length, 50);
    // Each small image 5 times (cycling through fresh shuffles), the big ones at most once.
    for (let i = 90; i < 100; i++) assert.equal(small.filter((j) => j === i).length, 5);
    const big = Array.from(p).filter((i) => i < 90);
    assert.equal(new Set(big).size, big.length);
  }
  const natural = new DataOrder(100, 4, names, 1);
  assert.deepEqual(
    [...natural.permutation(0)].sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
    'balance 1: a plain permutation',
  );
  assert.throws(() => new DataOrder(3, 1, ['a', 'b'], 0.5), /2 dataset names for 3 images/);
});

let corpus: SyntheticCorpus;
before(async () => {
  corpus = await writeSyntheticCoco(4, 48, 36, 4);
});
after(() => corpus.cleanup());

test('an augmented sample is a pure function of its seed, and its targets stay on the image', async () => {
  const set = loadTrainingSet([{ coco: corpus.coco }]);
  const options: SampleOptions = {
    config,
    instancesPerImage: 2,
    flip: true,
    pixels: true,
    boxProbability: 0.5,
    boxJitter: 0.05,
    clicks: 1,
    maskOnlyIterations: 1,
    lonePoint: 'single',
    maskTarget: 'coverage',
    augment: { crop: 1, cropMinScale: 0.5, rotateDegrees: 15, intensity: 1, synthetic: 1 },
  };
  for (let seed = 0; seed < 6; seed++) {
    const a = await prepareSample(set.images[seed % 4], seed, options);
    const b = await prepareSample(set.images[seed % 4], seed, options);
    assert.deepEqual(a, b);
    assert.ok(a.instances.length >= 1);
    const [h, w] = a.inputSize;
    for (const inst of a.instances) {
      const side = 16;
      let on = 0;
      for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) if (inst.target[y * side + x] && (y * 4 >= h + 4 || x * 4 >= w + 4)) on++;
      assert.equal(on, 0, 'targets lie inside the image region');
      assert.equal(inst.iterations.length, 2);
    }
  }
});
