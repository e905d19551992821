import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { getPreprocessShape, resizeBilinearPil, resizeLongestSide } from '../../src/image/resize.js';
import type { RawImage } from '../../src/image/types.js';
import { readNpyFile } from '../../src/weights/npy.js';
import { sharedPath, skipWithoutShared } from '../helpers/shared.js';

const fixtureDir = sharedPath('fixtures/sam-parity/');

test('getPreprocessShape matches ResizeLongestSide.get_preprocess_shape', () => {
  assert.deepEqual(getPreprocessShape(315, 500, 1024), [645, 1024]);
  assert.deepEqual(getPreprocessShape(3000, 4000, 1024), [768, 1024]);
  assert.deepEqual(getPreprocessShape(1, 1, 1024), [1024, 1024]);
  // 1024/3 * 1 = 341.33 → 341; a half rounds up: 7 * (1024/10) = 716.8 → 717.
  assert.deepEqual(getPreprocessShape(1, 3, 1024), [341, 1024]);
  assert.deepEqual(getPreprocessShape(10, 7, 1024), [1024, 717]);
});

test('resize of a constant image stays constant, both when enlarging and shrinking', () => {
  const image: RawImage = { data: new Uint8Array(7 * 5 * 3).fill(77), width: 7, height: 5, channels: 3 };
  for (const [w, h] of [
    [20, 13],
    [3, 2],
    [7, 11],
    [1, 1],
  ]) {
    const out = resizeBilinearPil(image, w, h);
    assert.equal(out.data.length, w * h * 3);
    assert.ok(
      out.data.every((v) => v === 77),
      `${w}×${h}`,
    );
  }
});

test('enlarging 2× interpolates between pixel centres (PIL triangle filter)', () => {
  // One row 0, 100: output centres at input 0.25, 0.75, 1.25, 1.75 → edge clamped by renormalisation.
  const image: RawImage = { data: new Uint8Array([0, 100]), width: 2, height: 1, channels: 1 };
  const out = resizeBilinearPil(image, 4, 1);
  assert.deepEqual([...out.data], [0, 25, 75, 100]);
});

test('shrinking 2× averages pairs (antialiased triangle with support 2)', () => {
  // Output pixel 0 has centre 1.0 in input coordinates; weights over inputs 0..2 are 0.75/0.75/0.25 (sum 1.75).
  const image: RawImage = { data: new Uint8Array([0, 0, 200, 200]), width: 4, height: 1, channels: 1 };
  const out = resizeBilinearPil(image, 2, 1);
  // (0*0.75 + 0*0.75 + 200*0.25) / 1.75 = 28.57 → 29; symmetric for the other side.
  assert.deepEqual([...out.data], [29, 171]);
});

// Expected values below were produced once with Pillow 12.3 (Image.resize(..., BILINEAR)), the
// reference implementation, from the same input formula.
test('downscaling and upscaling match Pillow exactly on small golden cases', () => {
  const width = 13;
  const height = 9;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (x * 37 + y * 91 + c * 53 + x * y * 7) % 256;
    }
  }
  const down = resizeLongestSide({ data, width, height, channels: 3 }, 5);
  assert.deepEqual([down.width, down.height], [5, 3]);
  assert.deepEqual(
    [...down.data],
    [
      111, 132, 141, 125, 134, 140, 127, 127, 135, 119, 129, 134, 121, 142, 126, 121, 143, 122, 135, 137, 123, 146, 131, 123, 126, 135, 118, 138, 126, 137, 124, 115, 141, 129, 120, 131, 128, 124, 130,
      126, 123, 126, 132, 100, 146,
    ],
  );
  const grey: RawImage = { data: new Uint8Array([10, 200, 90, 30]), width: 2, height: 2, channels: 1 };
  assert.deepEqual([...resizeBilinearPil(grey, 7, 4).data], [10, 10, 51, 105, 159, 200, 200, 30, 30, 58, 94, 130, 158, 158, 70, 70, 71, 71, 72, 73, 73, 90, 90, 77, 60, 43, 30, 30]);
});

test('resizeLongestSide rejects non-RGB8 input and rescales pixel spacing', () => {
  assert.throws(() => resizeLongestSide({ data: new Uint16Array(12), width: 2, height: 2, channels: 3 }, 8), /expected an 8-bit RGB image, got 16-bit/);
  const image: RawImage = {
    data: new Uint8Array(4 * 2 * 3),
    width: 4,
    height: 2,
    channels: 3,
    pixelSpacingMm: [0.2, 0.3],
  };
  const out = resizeLongestSide(image, 8);
  assert.equal(out.width, 8);
  assert.equal(out.height, 4);
  assert.deepEqual(out.pixelSpacingMm, [0.1, 0.15]);
});

test(
  'resize parity with the reference SAM preprocessing (resized.npy)',
  {
    skip: skipWithoutShared('SAM parity fixture', 'fixtures/sam-parity/resized.npy'),
  },
  async () => {
    const { data, info } = await sharp(fixtureDir + 'image.png')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const image: RawImage = { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
    const ours = resizeLongestSide(image, 1024);
    const reference = readNpyFile(fixtureDir + 'resized.npy');
    assert.equal(reference.dtype, 'uint8');
    assert.deepEqual(reference.shape, [ours.height, ours.width, 3]);
    assert.ok(reference.data instanceof Uint8Array);
    const expected = reference.data;
    let exact = 0;
    let withinOne = 0;
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(expected[i] - ours.data[i]);
      if (d === 0) exact++;
      if (d <= 1) withinOne++;
      if (d > maxDiff) maxDiff = d;
    }
    const n = expected.length;
    console.log(`resize parity: exact ${((100 * exact) / n).toFixed(4)} %, within ±1 ${((100 * withinOne) / n).toFixed(4)} %, max |diff| ${maxDiff}`);
    assert.ok(withinOne / n >= 0.99, `only ${((100 * withinOne) / n).toFixed(3)} % of values within ±1`);
  },
);
