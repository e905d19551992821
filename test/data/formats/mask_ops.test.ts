import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flipRows, rotate180, zipStreams } from '../../../src/data/formats/frame_ops.js';
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
  assert.equal(largestComponent(new Uint8Array(4), 2, 2).some((v) => v), false);
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
  assert.equal(erodeSquare(new Uint8Array(9).fill(1), 3, 3, 3).reduce((a, b) => a + b, 0), 1);
  assert.throws(() => erodeSquare(mask, width, height, 0), /square size 0/);
});

test('convexHullMask fills the hull of the object pixel centres, edges included', () => {
  const { mask, width, height } = grid(['#.....#', '.......', '.......', '...#...']);
  assert.deepEqual(draw(convexHullMask(mask, width, height), width), ['#######', '.#####.', '..###..', '...#...']);
  assert.equal(convexHullMask(new Uint8Array(6), 3, 2).some((v) => v), false);
});

test('rotate180 and flipRows keep channels together', () => {
  const rgb = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // 2×2 RGB
  assert.deepEqual([...rotate180(rgb, 2, 2, 3)], [10, 11, 12, 7, 8, 9, 4, 5, 6, 1, 2, 3]);
  assert.deepEqual([...flipRows(rgb, 2, 2, 3)], [7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...rotate180(new Int32Array([1, 2, 3]), 3, 1)], [3, 2, 1]);
});

test('zipStreams pairs items and reports which stream ran out first', async () => {
  async function* count(n: number) {
    for (let i = 0; i < n; i++) yield i;
  }
  const reports: string[] = [];
  const pairs: [number, number][] = [];
  for await (const pair of zipStreams(count(3), count(2), (shorter, n) => reports.push(`${shorter}:${n}`))) pairs.push(pair);
  assert.deepEqual(pairs, [[0, 0], [1, 1]]);
  assert.deepEqual(reports, ['second:2']);
  for await (const _pair of zipStreams(count(2), count(2), (shorter) => reports.push(shorter))) {
    // equal lengths: no report
  }
  assert.deepEqual(reports, ['second:2']);
});
