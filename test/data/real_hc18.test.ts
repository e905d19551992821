import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { threshold, toGray } from '../../src/data/components.js';
import { readRaster } from '../../src/data/raster.js';
import { annotationsByImage, convertSharedDataset } from './helpers.js';

/**
 * Least-squares conic through the outline pixels, A x² + B xy + C y² + D x + E y = 1 in coordinates
 * centred on the pixels' mean (inside the ellipse, so the constant term cannot vanish). Returns the
 * semi-axes a, b of the ellipse it describes.
 */
interface Ellipse {
  cx: number;
  cy: number;
  /** Semi-axes along the rotated u and v directions, and the rotation. */
  a: number;
  b: number;
  angle: number;
}

function fitEllipse(xs: number[], ys: number[]): Ellipse {
  const mx = xs.reduce((s, v) => s + v, 0) / xs.length;
  const my = ys.reduce((s, v) => s + v, 0) / ys.length;
  const normal = Array.from({ length: 5 }, () => new Array<number>(6).fill(0));
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] - mx;
    const y = ys[i] - my;
    const row = [x * x, x * y, y * y, x, y];
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 5; c++) normal[r][c] += row[r] * row[c];
      normal[r][5] += row[r];
    }
  }
  for (let col = 0; col < 5; col++) {
    let pivot = col;
    for (let r = col + 1; r < 5; r++) if (Math.abs(normal[r][col]) > Math.abs(normal[pivot][col])) pivot = r;
    [normal[col], normal[pivot]] = [normal[pivot], normal[col]];
    for (let r = 0; r < 5; r++) {
      if (r === col) continue;
      const f = normal[r][col] / normal[col][col];
      for (let c = col; c < 6; c++) normal[r][c] -= f * normal[col][c];
    }
  }
  const [A, B, C, D, E] = normal.map((row, i) => row[5] / row[i]);
  // Centre c = -½ M⁻¹ g with M = [[A, B/2], [B/2, C]], g = [D, E]; then qᵀMq = k with k = 1 - cᵀMc - gᵀc.
  const det = A * C - (B * B) / 4;
  const cx = (-(C * D) + (B / 2) * E) / (2 * det);
  const cy = (-(A * E) + (B / 2) * D) / (2 * det);
  const k = 1 - (A * cx * cx + B * cx * cy + C * cy * cy) - (D * cx + E * cy);
  const angle = 0.5 * Math.atan2(B, A - C);
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const lambdaU = A * cos * cos + B * sin * cos + C * sin * sin;
  const lambdaV = A * sin * sin - B * sin * cos + C * cos * cos;
  return { cx: cx + mx, cy: cy + my, a: Math.sqrt(k / lambdaU), b: Math.sqrt(k / lambdaV), angle };
}

/** Pixels of a width×height image inside the ellipse grown by `grow` pixels on each semi-axis. */
function pixelsInside(e: Ellipse, width: number, height: number, grow: number): number {
  const [cos, sin] = [Math.cos(e.angle), Math.sin(e.angle)];
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x - e.cx) * cos + (y - e.cy) * sin;
      const v = -(x - e.cx) * sin + (y - e.cy) * cos;
      if ((u / (e.a + grow)) ** 2 + (v / (e.b + grow)) ** 2 <= 1) count++;
    }
  }
  return count;
}

test('HC18 (shared copy): 300 images, one filled head each, area ≈ π·a·b of the outline ellipse', async (t) => {
  await convertSharedDataset(t, 'hc18', 'HC18', async ({ raw, done, coco }) => {
    assert.equal(done.images, 300);
    assert.equal(done.warnings.length, 0);
    const perImage = annotationsByImage(coco);
    let worstArea = 0;
    let worstCircumference = 0;
    let worstPlain = 0;
    let clippedHeads = 0;
    for (const image of coco.images) {
      const heads = perImage.get(image.id)!;
      assert.equal(heads.length, 1, `${image.source_file}: ${heads.length} heads`);
      assert.equal(heads[0].category, 'fetal_head');
      const outline = threshold(toGray(await readRaster(join(raw, image.source_file!.replace('.png', '_Annotation.png')))), 127);
      const xs: number[] = [];
      const ys: number[] = [];
      outline.forEach((v, i) => {
        if (v) {
          xs.push(i % image.width);
          ys.push(Math.floor(i / image.width));
        }
      });
      const ellipse = fitEllipse(xs, ys);
      const { a, b } = ellipse;
      // The filled mask includes the 1-pixel outline, half of which lies outside the fitted curve:
      // compare with π(a+½)(b+½), counted in pixels so that heads cut by the image edge (186_HC) compare too.
      const ratio = heads[0].area / pixelsInside(ellipse, image.width, image.height, 0.5);
      worstArea = Math.max(worstArea, Math.abs(ratio - 1));
      // Heads wholly inside the image: against the plain formula π·a·b (the ring adds ≈ ½/a + ½/b).
      const clipped = xs.some((x) => x === 0 || x === image.width - 1) || ys.some((y) => y === 0 || y === image.height - 1);
      if (!clipped) worstPlain = Math.max(worstPlain, Math.abs(heads[0].area / (Math.PI * a * b) - 1));
      else clippedHeads++;
      // Ramanujan's perimeter × mm per pixel against the CSV's head circumference.
      const h = ((a - b) / (a + b)) ** 2;
      const perimeter = Math.PI * (a + b) * (1 + (3 * h) / (10 + Math.sqrt(4 - 3 * h)));
      const spacing = image.pixel_spacing![0];
      const hc = Number(image.labels!.head_circumference_mm);
      worstCircumference = Math.max(worstCircumference, Math.abs((perimeter * spacing) / hc - 1));
    }
    t.diagnostic(
      `worst |area / π(a+½)(b+½) - 1| = ${(worstArea * 100).toFixed(2)} %, worst |area / πab - 1| = ${(worstPlain * 100).toFixed(2)} % ` +
        `(${clippedHeads} heads cut by the edge left out), worst |HC / CSV - 1| = ${(worstCircumference * 100).toFixed(2)} %`,
    );
    assert.ok(worstArea < 0.03, `area off by ${(worstArea * 100).toFixed(2)} %`);
    assert.ok(worstPlain < 0.04, `area off π·a·b by ${(worstPlain * 100).toFixed(2)} %`);
    assert.ok(clippedHeads >= 1); // 186_HC runs off the bottom edge
    assert.ok(worstCircumference < 0.03, `circumference off by ${(worstCircumference * 100).toFixed(2)} %`);
    assert.equal(done.patients, new Set(coco.images.map((i) => i.patient)).size);
  });
});
