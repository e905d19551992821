// Test-time flip averaging: the mirror helpers on hand-made inputs, and the predictor under
// flipAverage — its outputs are the mean of the plain predictor's on the image and (mirrored back)
// on the mirror image, and mirroring image and prompt mirrors its answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averageWithMirror, mirrorImage, mirrorLowRes, mirrorPrompt, parseFlipAverage } from '../../src/model/flip.js';
import { SamPredictor } from '../../src/model/predictor.js';

test('mirrorImage reverses each row of pixels, channels kept together', () => {
  const image = { data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), width: 3, height: 2, channels: 2 };
  const m = mirrorImage(image);
  assert.deepEqual(Array.from(m.data), [5, 6, 3, 4, 1, 2, 11, 12, 9, 10, 7, 8]);
  assert.deepEqual([m.width, m.height, m.channels], [3, 2, 2]);
  assert.ok(mirrorImage({ ...image, data: Uint16Array.from(image.data) }).data instanceof Uint16Array);
  assert.deepEqual(Array.from(image.data).slice(0, 2), [1, 2], 'the input is left as it was');
});

test('mirrorPrompt: x → width − 1 − x, box corners swapped, kept ≥ 0; labels and other fields kept', () => {
  const p = mirrorPrompt({ points: [[0, 5] as const, [9, 1] as const], labels: [1, 0], box: [2, 3, 10, 8] as const, multimask: false }, 10);
  assert.deepEqual(p, {
    points: [
      [9, 5],
      [0, 1],
    ],
    labels: [1, 0],
    box: [0, 3, 7, 8],
    multimask: false,
  });
  assert.deepEqual(mirrorPrompt({ box: [1, 0, 4, 2] as const }, 10).box, [5, 0, 8, 2]);
});

test('mirrorLowRes: whole cells are a permutation (twice: the identity), a fractional width interpolates, padding stays', () => {
  // 2 maps of 4 × 4 cells, 4 input pixels per cell (imgSize 16).
  const maps = Float32Array.from({ length: 32 }, (_, i) => i);
  const whole = mirrorLowRes(maps, 2, 4, 16, 12); // 3 cells of image, 1 of padding
  assert.deepEqual(Array.from(whole.subarray(0, 4)), [2, 1, 0, 3]);
  assert.deepEqual(Array.from(whole.subarray(28, 32)), [30, 29, 28, 31]);
  assert.deepEqual(mirrorLowRes(whole, 2, 4, 16, 12), maps);
  // 10 pixels wide: cell 0's centre (2) mirrors to 8, i.e. cell position 1.5; cell 2 (centre 10) is padding.
  const fractional = mirrorLowRes(maps, 2, 4, 16, 10);
  assert.deepEqual(Array.from(fractional.subarray(0, 4)), [1.5, 0.5, 2, 3]);
  assert.throws(() => mirrorLowRes(maps, 3, 4, 16, 12), /32 values for 3 maps of 4×4/);
});

test('averageWithMirror: the mean of both scores and of the logits with the mirror mirrored back', () => {
  const plain = { lowResLogits: Float32Array.from([1, 2, 3, 4]), scores: Float32Array.from([0.5]), count: 1 };
  const mirrored = { lowResLogits: Float32Array.from([10, 20, 30, 40]), scores: Float32Array.from([0.7]), count: 1 };
  const mean = averageWithMirror(plain, mirrored, 2, 8, 8);
  assert.deepEqual(Array.from(mean.lowResLogits), [10.5, 6, 21.5, 17]);
  assert.ok(Math.abs(mean.scores[0] - 0.6) < 1e-7);
  assert.throws(() => averageWithMirror(plain, { ...mirrored, count: 2 }, 2, 8, 8), /1 outputs against the mirror's 2/);
});

test('parseFlipAverage reads "true" / "false" / absent and names the file otherwise', () => {
  assert.equal(parseFlipAverage(undefined, 'w'), false);
  assert.equal(parseFlipAverage('false', 'w'), false);
  assert.equal(parseFlipAverage('true', 'w'), true);
  assert.throws(() => parseFlipAverage('yes', 'w.safetensors'), /w\.safetensors: metadata ultrasam\.flip_average must be "true" or "false", got "yes"/);
});

/** A 256 × 192 grey image with an off-centre bright ellipse: width 256 is the input's, whole cells. */
function testImage() {
  const [width, height] = [256, 192];
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = ((x - 90) / 50) ** 2 + ((y - 100) / 35) ** 2 < 1;
      data[y * width + x] = inside ? 200 : 40 + ((x * 7 + y * 3) % 23);
    }
  }
  return { data, width, height, channels: 1 };
}

test('the predictor under flipAverage: the mean of the plain decoder on the image and on its mirror; mirroring the input mirrors its answer', async () => {
  // Set both ways, whatever the bundled weights record.
  const plain = await SamPredictor.load('ultrasam-tiny', { threads: 1 });
  plain.flipAverage = false;
  const flip = await SamPredictor.load('ultrasam-tiny', { threads: 1 });
  flip.flipAverage = true;
  try {
    const image = testImage();
    const box = { box: [40, 60, 141, 136] as const, multimask: false };
    await plain.setImage(mirrorImage(image));
    const [onMirror] = await plain.decodeLowRes([mirrorPrompt(box, image.width)]);
    await plain.setImage(image);
    const [onImage] = await plain.decodeLowRes([box]);
    await flip.setImage(image);
    const averaged = await flip.predict(box);
    const expected = averageWithMirror(onImage, onMirror, 64, 256, 256);
    assert.deepEqual(averaged.lowResLogits, expected.lowResLogits);
    assert.deepEqual(averaged.scores, expected.scores);
    const plainPrediction = await plain.predict(box);
    assert.ok(
      averaged.lowResLogits.some((v, i) => Math.abs(v - plainPrediction.lowResLogits[i]) > 1e-3),
      'flip averaging changes the logits',
    );

    // A corrective click with the averaged logits as the mask input, then the same on the mirror image.
    const click = { box: box.box, points: [[120, 100] as const], labels: [0], maskInput: averaged.lowResLogits, multimask: false };
    const second = await flip.predict(click);
    await flip.setImage(mirrorImage(image));
    const mirroredSecond = await flip.predict({ ...mirrorPrompt(click, image.width), maskInput: mirrorLowRes(averaged.lowResLogits, 1, 64, 256, 256) });
    const back = mirrorLowRes(mirroredSecond.lowResLogits, 1, 64, 256, 256);
    const worst = back.reduce((m, v, i) => Math.max(m, Math.abs(v - second.lowResLogits[i])), 0);
    assert.ok(worst < 1e-3, `mirroring the input mirrors the answer: max difference ${worst}`);
    const mirroredMask = mirrorImage({ data: mirroredSecond.masks[0], width: 256, height: 192, channels: 1 }).data;
    const agree = mirroredMask.reduce((a, v, i) => a + (v === second.masks[0][i] ? 1 : 0), 0) / mirroredMask.length;
    assert.ok(agree > 0.999, `masks agree on ${agree}`);
  } finally {
    await plain.release();
    await flip.release();
  }
});
