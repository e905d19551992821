import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RawImage } from '../../src/image/types.js';
import { colourMasks, nonZeroMask, rasterisePolygon, resizeMaskArea, resizeMaskNearest, rotateMaskClockwise, thresholdMask, valueRangeMasks } from '../../src/data/masks.js';

const grey = (values: number[], width: number): RawImage => ({
  data: Uint8Array.from(values),
  width,
  height: values.length / width,
  channels: 1,
});

const sum = (mask: Uint8Array) => mask.reduce((a, b) => a + b, 0);

test('thresholdMask keeps JPEG-smeared foreground above 127 and drops ringing below', () => {
  assert.deepEqual([...thresholdMask(grey([0, 12, 127, 128, 240, 255], 6))], [0, 0, 0, 1, 1, 1]);
  // RGB masks are judged on luma: pure red (76) is background at the default threshold.
  const rgb: RawImage = { data: Uint8Array.from([255, 0, 0, 255, 255, 255]), width: 2, height: 1, channels: 3 };
  assert.deepEqual([...thresholdMask(rgb)], [0, 1]);
  assert.deepEqual([...thresholdMask(rgb, 50)], [1, 1]);
});

test('nonZeroMask sees any colour channel and ignores alpha', () => {
  const rgba: RawImage = { data: Uint8Array.from([0, 0, 0, 255, 0, 0, 1, 0, 3, 0, 0, 0]), width: 3, height: 1, channels: 4 };
  assert.deepEqual([...nonZeroMask(rgba)], [0, 1, 1]);
});

test('valueRangeMasks splits a label mask and refuses overlapping ranges', () => {
  const [benign, malignant] = valueRangeMasks(grey([0, 127, 130, 255, 250, 60], 6), [
    { category: 'benign', min: 64, max: 191 },
    { category: 'malignant', min: 192, max: 255 },
  ]);
  assert.deepEqual([...benign.mask], [0, 1, 1, 0, 0, 0]);
  assert.deepEqual([...malignant.mask], [0, 0, 0, 1, 1, 0]);
  assert.throws(
    () =>
      valueRangeMasks(grey([0], 1), [
        { category: 'a', min: 1, max: 5 },
        { category: 'b', min: 5, max: 9 },
      ]),
    /overlap/,
  );
});

test('colourMasks assigns the nearest category colour within the tolerance, black and strays to none', () => {
  const pixels = [
    [0, 255, 0], // green
    [250, 6, 3], // near red
    [10, 10, 10], // near black: background
    [128, 128, 0], // far from every colour
  ];
  const image: RawImage = { data: Uint8Array.from(pixels.flat()), width: 4, height: 1, channels: 3 };
  const [green, red] = colourMasks(image, [
    { category: 'benign', rgb: [0, 255, 0] },
    { category: 'malignant', rgb: [255, 0, 0] },
  ]);
  assert.deepEqual([...green.mask], [1, 0, 0, 0]);
  assert.deepEqual([...red.mask], [0, 1, 0, 0]);
  assert.throws(() => colourMasks(grey([0], 1), [{ category: 'x', rgb: [1, 2, 3] }]), /RGB/);
});

test('a COCO square covers exactly the pixels inside it (corner grid, like pycocotools)', () => {
  const square: [number, number][] = [
    [2, 1],
    [6, 1],
    [6, 4],
    [2, 4],
  ];
  const mask = rasterisePolygon(square, 8, 6, { grid: 'corner' });
  assert.equal(sum(mask), 4 * 3);
  for (let y = 0; y < 6; y++) {
    for (let x = 0; x < 8; x++) assert.equal(mask[y * 8 + x], x >= 2 && x < 6 && y >= 1 && y < 4 ? 1 : 0, `pixel ${x},${y}`);
  }
});

test('a labelme square with its outline includes the boundary pixels (centre grid, like PIL)', () => {
  const square: [number, number][] = [
    [1, 1],
    [4, 1],
    [4, 3],
    [1, 3],
  ];
  const inner = rasterisePolygon(square, 6, 5, { grid: 'centre' });
  const outlined = rasterisePolygon(square, 6, 5, { grid: 'centre', outline: true });
  assert.equal(sum(inner), 3 * 2); // centres in [1, 4) × [1, 3)
  assert.equal(sum(outlined), 4 * 3); // PIL's fill + outline: columns 1..4, rows 1..3
  assert.equal(outlined[3 * 6 + 4], 1);
  assert.equal(outlined[0], 0);
});

test('polygons use the even-odd rule and are clipped to the image', () => {
  // A pentagram drawn in one stroke: its centre pentagon is wound twice, so even-odd leaves it empty.
  const star: [number, number][] = [0, 2, 4, 1, 3].map((k) => {
    const angle = -Math.PI / 2 + (k * 2 * Math.PI) / 5;
    return [10 + 9 * Math.cos(angle), 10 + 9 * Math.sin(angle)];
  });
  const mask = rasterisePolygon(star, 20, 20, { grid: 'corner' });
  assert.equal(mask[10 * 20 + 9], 0); // the centre (9.5, 10.5): doubly covered, a hole
  assert.equal(mask[3 * 20 + 9], 1); // the top arm
  assert.equal(mask[0], 0);
  const clipped = rasterisePolygon(
    [
      [-5, -5],
      [3, -5],
      [3, 3],
      [-5, 3],
    ],
    4,
    4,
    { grid: 'corner' },
  );
  assert.equal(sum(clipped), 9);
  assert.throws(
    () =>
      rasterisePolygon(
        [
          [0, 0],
          [Number.NaN, 1],
          [2, 2],
        ],
        4,
        4,
        { grid: 'corner' },
      ),
    /finite/,
  );
});

test('resizeMaskNearest samples floor(dst * src / dst_size) like cv2.INTER_NEAREST', () => {
  // 3 → 2 columns: source columns 0 and 1 (not the centre-aligned 0 and 2).
  assert.deepEqual([...resizeMaskNearest(Uint8Array.from([1, 0, 1]), 3, 1, 2, 1)], [1, 0]);
  // 2×2 → 4×4 doubles every pixel.
  const up = resizeMaskNearest(Uint8Array.from([1, 0, 0, 1]), 2, 2, 4, 4);
  assert.deepEqual([...up], [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
  assert.throws(() => resizeMaskNearest(new Uint8Array(3), 2, 2, 4, 4), /expected 2×2/);
});

test('resizeMaskArea sets a pixel when at least half of the area it covers is set', () => {
  // 4×4 → 2×2: blocks covered 4/4, 2/4, 1/4 and 0/4.
  const mask = Uint8Array.from([1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...resizeMaskArea(mask, 4, 4, 2, 2)], [1, 1, 0, 0]);
  // Nearest reads each block's top-left pixel only: the 1/4-covered block comes out set.
  assert.deepEqual([...resizeMaskNearest(mask, 4, 4, 2, 2)], [1, 1, 1, 0]);
  // 3 → 2 columns, fractional overlaps: [0, 1.5) and [1.5, 3), each 1.5 source pixels wide.
  assert.deepEqual([...resizeMaskArea(Uint8Array.from([1, 1, 0]), 3, 1, 2, 1)], [1, 0]); // 1.5 and 0.5 of 1.5
  assert.deepEqual([...resizeMaskArea(Uint8Array.from([1, 0, 1]), 3, 1, 2, 1)], [1, 1]); // 1 and 1 of 1.5
  // Upscaling keeps every pixel's value (2×2 → 4×4 doubles it).
  assert.deepEqual([...resizeMaskArea(Uint8Array.from([1, 0, 0, 1]), 2, 2, 4, 4)], [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
  // 8 columns → 2: a 1-pixel-wide vertical line is a quarter of the left block, dropped; 4 pixels
  // wide, the whole left block, kept.
  const line = (w: number) => Uint8Array.from({ length: 8 * 2 }, (_, i) => (i % 8 < w ? 1 : 0));
  assert.deepEqual([...resizeMaskArea(line(1), 8, 2, 2, 1)], [0, 0]);
  assert.deepEqual([...resizeMaskArea(line(4), 8, 2, 2, 1)], [1, 0]);
  assert.throws(() => resizeMaskArea(new Uint8Array(3), 2, 2, 4, 4), /expected 2×2/);
});

test('rotateMaskClockwise turns a width×height mask into height×width, top row to the right column', () => {
  // 3×2: top row 1 1 1, bottom row 0 0 0 → 2×3 with the right column set.
  const turned = rotateMaskClockwise(Uint8Array.from([1, 1, 1, 0, 0, 0]), 3, 2);
  assert.deepEqual([...turned], [0, 1, 0, 1, 0, 1]);
  // A single corner pixel (top-left) ends top-right.
  assert.deepEqual([...rotateMaskClockwise(Uint8Array.from([1, 0, 0, 0, 0, 0]), 3, 2)], [0, 1, 0, 0, 0, 0]);
});
