import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeRle, encodeMask, maskToRuns, rleArea, rleIou, rleToBbox, rleUnion, runsToString, stringToRuns } from '../../src/data/rle.js';
import { seededRandom } from '../../src/data/random.js';

interface Case {
  name: string;
  height: number;
  width: number;
  counts: string;
  area: number;
  bbox: number[];
  rows?: string[];
  ellipse?: [number, number, number, number];
}

// Expected values computed with pycocotools 2.0.11 (mask.encode / area / toBbox on Fortran-ordered
// uint8 arrays); see the fixture's "source" field. Masks are given as rows of 0/1 or as an integer
// ellipse test, rebuilt identically here.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/pycocotools_rle.json', import.meta.url), 'utf8')) as { cases: Case[] };

function maskOf(c: Case): Uint8Array {
  const mask = new Uint8Array(c.height * c.width);
  if (c.rows) {
    c.rows.forEach((row, y) => [...row].forEach((bit, x) => (mask[y * c.width + x] = bit === '1' ? 1 : 0)));
  } else {
    const [cx, cy, a, b] = c.ellipse!;
    for (let y = 0; y < c.height; y++) {
      for (let x = 0; x < c.width; x++) {
        mask[y * c.width + x] = (x - cx) ** 2 * b ** 2 + (y - cy) ** 2 * a ** 2 <= a ** 2 * b ** 2 ? 1 : 0;
      }
    }
  }
  return mask;
}

test('encodes exactly as pycocotools on known masks (area and bbox too)', () => {
  assert.ok(fixture.cases.length >= 10);
  for (const c of fixture.cases) {
    const mask = maskOf(c);
    const rle = encodeMask(mask, c.height, c.width);
    assert.equal(rle.counts, c.counts, c.name);
    assert.deepEqual(rle.size, [c.height, c.width]);
    assert.equal(rleArea(rle), c.area, c.name);
    assert.deepEqual(rleToBbox(rle), c.bbox, c.name);
    assert.deepEqual(decodeRle({ size: [c.height, c.width], counts: c.counts }), mask, c.name);
  }
});

test('a hand-derived example: 4×5 mask with a 2×3 block', () => {
  // Rows 1-2, columns 1-3 set. Column-major runs: column 0 and the top of column 1 give 5 zeros,
  // then 2 ones, 2 zeros, 2 ones, 2 zeros, 2 ones, and 5 zeros (bottom of column 3 + column 4).
  // rleToString writes runs 0-2 as they are ('5', '2', '2') and from run 3 on the difference to the
  // run two places before: 0, 0, 0, 3 → '0', '0', '0', '3'. pycocotools gives the same: '5220003'.
  const mask = new Uint8Array(20);
  for (let y = 1; y < 3; y++) for (let x = 1; x < 4; x++) mask[y * 5 + x] = 1;
  assert.deepEqual(maskToRuns(mask, 4, 5), [5, 2, 2, 2, 2, 2, 5]);
  assert.equal(encodeMask(mask, 4, 5).counts, '5220003');
  assert.deepEqual(rleToBbox(encodeMask(mask, 4, 5)), [1, 1, 3, 2]);
});

test('round-trips random masks of many shapes', () => {
  const random = seededRandom(1234);
  for (let trial = 0; trial < 200; trial++) {
    const height = 1 + Math.floor(random() * 40);
    const width = 1 + Math.floor(random() * 40);
    const density = random();
    const mask = new Uint8Array(height * width);
    for (let i = 0; i < mask.length; i++) mask[i] = random() < density ? 1 : 0;
    const rle = encodeMask(mask, height, width);
    assert.deepEqual(decodeRle(rle), mask);
    assert.equal(
      rleArea(rle),
      mask.reduce((a, b) => a + b, 0),
    );
    assert.equal(runsToString(stringToRuns(rle.counts)), rle.counts);
  }
});

test('large runs and negative deltas survive the 5-bit chunk encoding', () => {
  const runs = [0, 1_000_000, 3, 999_990, 7, 1, 2_000_000];
  assert.deepEqual(stringToRuns(runsToString(runs)), runs);
});

test('bbox follows pycocotools when a run crosses a column boundary', () => {
  // 3×3 mask: pixels (x=0,y=2) and (x=1,y=0) form one column-major run spanning two columns.
  const mask = new Uint8Array(9);
  mask[2 * 3 + 0] = 1;
  mask[0 * 3 + 1] = 1;
  const rle = encodeMask(mask, 3, 3);
  assert.deepEqual(stringToRuns(rle.counts), [2, 2, 5]);
  assert.deepEqual(rleToBbox(rle), [0, 0, 2, 3]);
  assert.deepEqual(rleToBbox(encodeMask(new Uint8Array(9), 3, 3)), [0, 0, 0, 0]);
});

test('iou and union', () => {
  const a = new Uint8Array(16);
  const b = new Uint8Array(16);
  a.fill(1, 0, 8); // top two rows
  b.fill(1, 4, 12); // middle two rows
  const ra = encodeMask(a, 4, 4);
  const rb = encodeMask(b, 4, 4);
  assert.equal(rleIou(ra, rb), 4 / 12);
  assert.equal(rleArea(rleUnion([ra, rb])), 12);
});

test('bad input is rejected with a clear message', () => {
  assert.throws(() => encodeMask(new Uint8Array(5), 2, 3), /mask has 5 pixels, expected 2×3/);
  assert.throws(() => stringToRuns('5 2'), /invalid character " "/);
  assert.throws(() => decodeRle({ size: [4, 5], counts: '52' }), /cover 7 pixels, expected 4×5/);
  assert.throws(() => stringToRuns('P'), /ends inside a number/);
});
