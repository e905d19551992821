import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentMask, connectedComponents, distinctValues, fillHoles, fillOutline, labelEquals, removeSmallComponents, threshold, toGray } from '../../src/data/components.js';
import { maskToAnnotations } from '../../src/data/annotate.js';
import { decodeRle, encodeMask, rleToBbox } from '../../src/data/rle.js';
import { seededRandom } from '../../src/data/random.js';

const grid = (rows: string[]) =>
  Uint8Array.from(
    rows
      .join('')
      .split('')
      .map((c) => (c === '#' ? 1 : 0)),
  );

test('8-connectivity joins diagonal neighbours, 4-connectivity does not', () => {
  const mask = grid(['#...', '.#..', '...#', '...#']);
  assert.equal(connectedComponents(mask, 4, 4, 8).count, 2);
  assert.equal(connectedComponents(mask, 4, 4, 4).count, 3);
  const { labels, areas } = connectedComponents(mask, 4, 4);
  assert.deepEqual(areas, [2, 2]);
  assert.deepEqual([...componentMask(labels, 2)], [...grid(['....', '....', '...#', '...#'])]);
});

test('fillHoles fills a closed diagonal outline but not a region open to the border', () => {
  const diamond = grid(['...#...', '..#.#..', '.#...#.', '..#.#..', '...#...']);
  const filled = fillHoles(diamond, 7, 5);
  assert.deepEqual([...filled], [...grid(['...#...', '..###..', '.#####.', '..###..', '...#...'])]);
  const open = grid(['#####', '#...#', '#....', '#####']); // gap on the right edge
  assert.deepEqual([...fillHoles(open, 5, 4)], [...open]);
});

test('threshold, toGray, labelEquals, distinctValues, removeSmallComponents', () => {
  assert.deepEqual([...threshold([0, 127, 128, 255], 127)], [0, 0, 1, 1]);
  const rgb = { data: Uint8Array.from([255, 255, 255, 0, 0, 0]), width: 2, height: 1, channels: 3 };
  assert.deepEqual([...toGray(rgb)], [255, 0]);
  assert.deepEqual([...labelEquals([0, 2, 1, 2], 2)], [0, 1, 0, 1]);
  assert.deepEqual(distinctValues([3, 0, 3, 1]), [0, 1, 3]);
  const specks = grid(['#..##', '...##', '.....']);
  assert.deepEqual([...removeSmallComponents(specks, 5, 3, 2)], [...grid(['...##', '...##', '.....'])]);
});

test('maskToAnnotations gives one RLE per component, identical to encoding each component alone', () => {
  const random = seededRandom(99);
  for (let trial = 0; trial < 60; trial++) {
    const width = 1 + Math.floor(random() * 30);
    const height = 1 + Math.floor(random() * 30);
    const mask = new Uint8Array(width * height);
    for (let i = 0; i < mask.length; i++) mask[i] = random() < 0.3 ? 1 : 0;
    const { labels, count, areas } = connectedComponents(mask, width, height);
    const parts = maskToAnnotations(mask, width, height);
    assert.equal(parts.length, count);
    parts.forEach((part, k) => {
      const alone = encodeMask(componentMask(labels, k + 1), height, width);
      assert.equal(part.segmentation.counts, alone.counts);
      assert.equal(part.area, areas[k]);
      assert.deepEqual(part.bbox, rleToBbox(alone));
      assert.equal(
        decodeRle(part.segmentation).reduce((a, b) => a + b, 0),
        areas[k],
      );
    });
  }
  assert.deepEqual(maskToAnnotations(new Uint8Array(6), 3, 2), []);
});

test('fillOutline closes an outline cut open by the image edge, and leaves open curves alone', () => {
  // An ellipse outline whose bottom runs off the image.
  const edgeCut = grid(['.......', '..###..', '.#...#.', '#.....#', '#.....#']);
  assert.deepEqual([...fillHoles(edgeCut, 7, 5)], [...edgeCut]);
  assert.deepEqual([...fillOutline(edgeCut, 7, 5)], [...grid(['.......', '..###..', '.#####.', '#######', '#######'])]);
  // A closed outline is filled as by fillHoles.
  const ring = grid(['.....', '.###.', '.#.#.', '.###.', '.....']);
  assert.deepEqual([...fillOutline(ring, 5, 5)], [...fillHoles(ring, 5, 5)]);
  // A straight line's centroid lies on the line itself: nothing to fill.
  const line = grid(['.....', '#####', '.....']);
  assert.deepEqual([...fillOutline(line, 5, 3)], [...line]);
  // A C open to the left: its centroid's background region is the outside (all four sides) → not filled.
  const c = grid(['.......', '..###..', '.....#.', '.....#.', '..###..', '.......']);
  assert.deepEqual([...fillOutline(c, 7, 6)], [...c]);
});

/** Plain pixel flood fill, the obvious way: the reference the run-based labelling must match. */
function floodLabels(mask: Uint8Array, width: number, height: number, connectivity: 4 | 8): Int32Array {
  const labels = new Int32Array(width * height);
  let count = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    labels[start] = ++count;
    const queue = [start];
    while (queue.length > 0) {
      const index = queue.pop()!;
      const x = index % width;
      const y = Math.floor(index / width);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if ((dx === 0 && dy === 0) || (connectivity === 4 && dx !== 0 && dy !== 0)) continue;
          const nx = x + dx;
          const ny = y + dy;
          const next = ny * width + nx;
          if (nx >= 0 && ny >= 0 && nx < width && ny < height && mask[next] && !labels[next]) {
            labels[next] = count;
            queue.push(next);
          }
        }
      }
    }
  }
  return labels;
}

test('run-based components equal a pixel flood fill, numbered in raster order (4 and 8)', () => {
  const random = seededRandom(2024);
  for (let trial = 0; trial < 150; trial++) {
    const width = 1 + Math.floor(random() * 25);
    const height = 1 + Math.floor(random() * 25);
    const density = 0.2 + random() * 0.6;
    const mask = new Uint8Array(width * height);
    for (let i = 0; i < mask.length; i++) mask[i] = random() < density ? 1 : 0;
    for (const connectivity of [4, 8] as const) {
      assert.deepEqual(connectedComponents(mask, width, height, connectivity).labels, floodLabels(mask, width, height, connectivity));
    }
    // Holes: a background pixel is filled iff its 4-connected background region avoids the border.
    const inverted = mask.map((v) => 1 - v);
    const regions = floodLabels(inverted, width, height, 4);
    const touching = new Set<number>();
    for (let i = 0; i < regions.length; i++) {
      const x = i % width;
      const y = Math.floor(i / width);
      if (regions[i] && (x === 0 || y === 0 || x === width - 1 || y === height - 1)) touching.add(regions[i]);
    }
    const expected = mask.map((v, i) => (v || !touching.has(regions[i]) ? 1 : 0));
    assert.deepEqual(fillHoles(mask, width, height), expected);
  }
});
