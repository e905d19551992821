// Tiny synthetic data and a tiny model for the downstream tests: 32-pixel images, a 2-block ViT.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMask } from '../../src/data/rle.js';
import { seededRandom } from '../../src/data/random.js';
import { encodePng } from '../../src/image/write.js';
import { type SamConfig, samConfig } from '../../src/model/config.js';

export function tinyConfig(): SamConfig {
  return samConfig('vit_b', {
    name: 'downstream-test',
    imageEncoder: { imgSize: 32, patchSize: 8, embedDim: 32, depth: 2, numHeads: 2, windowSize: 0, globalAttnIndexes: [0, 1], outChans: 16 },
    maskDecoder: { transformerDim: 16, numHeads: 2, mlpDim: 32, iouHeadHiddenDim: 16 },
  });
}

export type Shape = 'disc' | 'square';

/** A noisy grey image with one bright disc or square, and its mask. */
export function shapeImage(shape: Shape, random: () => number, size = 32): { pixels: Uint8Array; mask: Uint8Array } {
  const pixels = new Uint8Array(size * size);
  const mask = new Uint8Array(size * size);
  const r = size * (0.2 + 0.12 * random());
  const cx = r + random() * (size - 2 * r);
  const cy = r + random() * (size - 2 * r);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const inside = shape === 'disc' ? dx * dx + dy * dy < r * r : Math.abs(dx) < r * 0.85 && Math.abs(dy) < r * 0.85;
      mask[y * size + x] = inside ? 1 : 0;
      const v = (inside ? 200 : 40) + 40 * (random() - 0.5);
      pixels[y * size + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { pixels, mask };
}

export async function writeGreyPng(path: string, pixels: Uint8Array, size: number): Promise<void> {
  writeFileSync(path, await encodePng({ data: pixels, width: size, height: size, channels: 1 }));
}

export type Stripes = 'horizontal' | 'vertical';

/**
 * A noisy bright disc filled with stripes of random period and phase; the class is the stripes'
 * orientation. (Disc-versus-square at 32 pixels proved too subtle for a 2-block random encoder's
 * mean-pooled features to separate linearly; orientation is a texture even random patch filters see.)
 */
export function stripedDisc(kind: Stripes, random: () => number, size = 32): Uint8Array {
  const { pixels, mask } = shapeImage('disc', random, size);
  const period = 3 + Math.floor(random() * 3);
  const phase = Math.floor(random() * period);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = kind === 'horizontal' ? y : x;
      if (mask[y * size + x] && (t + phase) % period === 0) pixels[y * size + x] = 60;
    }
  }
  return pixels;
}

/** `root/horizontal/*.png` and `root/vertical/*.png`, `perClass` each. */
export async function writeStripeFolders(root: string, perClass: number, seed = 1): Promise<void> {
  const random = seededRandom(seed);
  for (const kind of ['horizontal', 'vertical'] as const) {
    mkdirSync(join(root, kind), { recursive: true });
    for (let i = 0; i < perClass; i++) await writeGreyPng(join(root, kind, `${i}.png`), stripedDisc(kind, random), 32);
  }
}

/**
 * A COCO file of `count` images with one disc ('disc' category) and, on every other image, one
 * square ('square' category), two images per patient.
 */
export async function writeShapeCoco(root: string, count: number, seed = 2): Promise<string> {
  const random = seededRandom(seed);
  mkdirSync(join(root, 'images'), { recursive: true });
  const images = [];
  const annotations = [];
  const size = 32;
  for (let i = 0; i < count; i++) {
    const pixels = new Uint8Array(size * size).map(() => Math.round(40 + 40 * (random() - 0.5)));
    const masks: [number, Uint8Array][] = [];
    // Left half: a disc; right half (every other image): a square. Drawn into one image.
    const disc = shapeImage('disc', random, 16);
    const place = (m: { pixels: Uint8Array; mask: Uint8Array }, ox: number, category: number) => {
      const full = new Uint8Array(size * size);
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          if (!m.mask[y * 16 + x]) continue;
          full[(y + 8) * size + x + ox] = 1;
          pixels[(y + 8) * size + x + ox] = m.pixels[y * 16 + x];
        }
      }
      masks.push([category, full]);
    };
    place(disc, 0, 1);
    if (i % 2 === 0) place(shapeImage('square', random, 16), 16, 2);
    const file = `images/${i}.png`;
    await writeGreyPng(join(root, file), pixels, size);
    images.push({ id: i + 1, file_name: file, width: size, height: size, patient: `p${Math.floor(i / 2)}` });
    for (const [category, m] of masks) {
      annotations.push({ id: annotations.length + 1, image_id: i + 1, category_id: category, segmentation: encodeMask(m, size, size), area: 0, bbox: [0, 0, 0, 0], iscrowd: 0 });
    }
  }
  const categories = [
    { id: 1, name: 'disc', supercategory: 'shape' },
    { id: 2, name: 'square', supercategory: 'shape' },
  ];
  const path = join(root, 'shapes.coco.json');
  writeFileSync(path, JSON.stringify({ info: {}, images, annotations, categories }));
  return path;
}
