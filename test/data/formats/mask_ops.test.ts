import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentBox, cropPixels, flipColumns, flipRows, rotate180, zipStreams } from '../../../src/data/formats/frame_ops.js';
import { convexHullMask, dilateSquare, erodeSquare, largestComponent } from '../../../src/data/formats/mask_morphology.js';

/** A w×h mask from rows of '#' (object) and '.' (background). */
function grid(rows: string[]): { mask: Uint8Array; width: number; height: number } {
  const width = rows[0].length;
  const mask = new Uint8Array(width * rows.length);
  rows.forEach((row, y) => [...row].forEach((c, x) => (mask[y * width + x] = c === '#' ? 1 : 0)));
  return { mask, width, height: rows.length };
}

function draw(mask: Uint8Array, width: number): string[] {
  const rows: string[] = [];
  for (let y = 0; y < mask.length / width; y++) rows.push([...mask.subarray(y * width, (y + 1) * width)].map((v) => (v ? '#' : '.')).join(''));
  return rows;
}

test('largestComponent keeps the biggest 8-connected region only', () => {
  const { mask, width, height } = grid(['##....', '##...#', '....#.', '...#..', '......']);
  assert.deepEqual(draw(largestComponent(mask, width, height), width), ['##....', '##....', '......', '......', '......']);
  assert.equal(
    largestComponent(new Uint8Array(4), 2, 2).some((v) => v),
    false,
  );
});

test('erosion and dilation by a square: a 3×3 erosion shrinks by one, the opening removes thin parts', () => {
  const { mask, width, height } = grid(['.......', '.#####.', '.#####.', '.#####.', '.......', '#......']);
  const eroded = erodeSquare(mask, width, height, 3);
  assert.deepEqual(draw(eroded, width), ['.......', '.......', '..###..', '.......', '.......', '.......']);
  assert.deepEqual(draw(dilateSquare(eroded, width, height, 3), width), ['.......', '.#####.', '.#####.', '.#####.', '.......', '.......']);
  // even size 2: offsets -1..0 for erosion, 0..+1 for dilation, so that the opening restores the shape
  const two = erodeSquare(mask, width, height, 2);
  assert.deepEqual(draw(dilateSquare(two, width, height, 2), width), draw(grid(['.......', '.#####.', '.#####.', '.#####.', '.......', '.......']).mask, width));
  // pixels outside the image count as background for erosion
  assert.equal(
    erodeSquare(new Uint8Array(9).fill(1), 3, 3, 3).reduce((a, b) => a + b, 0),
    1,
  );
  assert.throws(() => erodeSquare(mask, width, height, 0), /square size 0/);
});

test('convexHullMask fills the hull of the object pixel centres, edges included', () => {
  const { mask, width, height } = grid(['#.....#', '.......', '.......', '...#...']);
  assert.deepEqual(draw(convexHullMask(mask, width, height), width), ['#######', '.#####.', '..###..', '...#...']);
  assert.equal(
    convexHullMask(new Uint8Array(6), 3, 2).some((v) => v),
    false,
  );
});

test('rotate180, flipRows and flipColumns keep channels together', () => {
  const rgb = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // 2×2 RGB
  assert.deepEqual([...rotate180(rgb, 2, 2, 3)], [10, 11, 12, 7, 8, 9, 4, 5, 6, 1, 2, 3]);
  assert.deepEqual([...flipRows(rgb, 2, 2, 3)], [7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...flipColumns(rgb, 2, 2, 3)], [4, 5, 6, 1, 2, 3, 10, 11, 12, 7, 8, 9]);
  assert.deepEqual([...flipColumns(new Uint8Array([1, 2, 3, 4, 5, 6]), 3, 2)], [3, 2, 1, 6, 5, 4]);
  assert.deepEqual([...rotate180(new Int32Array([1, 2, 3]), 3, 1)], [3, 2, 1]);
});

test('contentBox peels flat rows, then flat columns, off the edges; cropPixels cuts the box out', () => {
  // 6×5 grey: row 0 and row 4 flat (padding, with ±2 of noise), column 0 flat, content in the middle.
  const grey = Uint8Array.from([128, 129, 127, 128, 130, 128, 128, 10, 50, 90, 20, 60, 129, 80, 30, 70, 40, 5, 127, 15, 25, 35, 45, 55, 128, 126, 128, 129, 128, 127]);
  const box = contentBox(grey, 6, 5, 8);
  assert.deepEqual(box, { x: 1, y: 1, width: 5, height: 3 });
  assert.deepEqual([...cropPixels(grey, 6, 5, box!)], [10, 50, 90, 20, 60, 80, 30, 70, 40, 5, 15, 25, 35, 45, 55]);
  // Two channels travel together.
  const rgb = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i);
  assert.deepEqual([...cropPixels(rgb, 2, 2, { x: 1, y: 1, width: 1, height: 1 }, 3)], [9, 10, 11]);
  // Nothing flat: the whole image; all flat: undefined; columns flat only across a varying row: kept.
  assert.deepEqual(contentBox(Uint8Array.from([0, 50, 100, 150]), 2, 2, 8), { x: 0, y: 0, width: 2, height: 2 });
  assert.equal(contentBox(new Uint8Array(6).fill(7), 3, 2, 8), undefined);
  assert.deepEqual(contentBox(Uint8Array.from([0, 100, 0, 100]), 2, 2, 8), { x: 0, y: 0, width: 2, height: 2 });
  assert.throws(() => cropPixels(grey, 6, 5, { x: 4, y: 0, width: 3, height: 1 }), /not inside 6×5/);
});

test('zipStreams pairs items and reports which stream ran out first', async () => {
  async function* count(n: number) {
    for (let i = 0; i < n; i++) yield i;
  }
  const reports: string[] = [];
  const pairs: [number, number][] = [];
  for await (const pair of zipStreams(count(3), count(2), (shorter, n) => reports.push(`${shorter}:${n}`))) pairs.push(pair);
  assert.deepEqual(pairs, [
    [0, 0],
    [1, 1],
  ]);
  assert.deepEqual(reports, ['second:2']);
  for await (const _pair of zipStreams(count(2), count(2), (shorter) => reports.push(shorter))) {
    // equal lengths: no report
  }
  assert.deepEqual(reports, ['second:2']);
});
