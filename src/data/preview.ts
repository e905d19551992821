/**
 * A PNG contact sheet of seeded random images of a COCO file, each with its masks drawn over it
 * (translucent fill, solid outline, one colour per category): a quick look at a conversion.
 */
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { maxImagePixels } from '../image/limits.js';
import { readCoco } from './coco.js';
import { hashString, seededRandom, shuffle } from './random.js';
import { decodeRle } from './rle.js';

export interface PreviewOptions {
  count?: number;
  seed?: number;
  /** Tile edge in pixels. */
  tile?: number;
  columns?: number;
  /** Folder that image file names are relative to; default the COCO file's folder. */
  imagesRoot?: string;
}

const COLOURS: [number, number, number][] = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
  [0, 128, 128],
  [170, 110, 40],
];

/** Draws the sheet to `output`; returns the file names shown, in sheet order. */
export async function drawPreview(cocoPath: string, output: string, options: PreviewOptions = {}): Promise<string[]> {
  const coco = await readCoco(cocoPath);
  const count = Math.min(options.count ?? 16, coco.images.length);
  if (count === 0) throw new Error(`${cocoPath} has no images to preview`);
  const tile = options.tile ?? 256;
  const columns = Math.min(options.columns ?? 4, count);
  const rows = Math.ceil(count / columns);
  const root = options.imagesRoot ?? dirname(cocoPath);
  const random = seededRandom(hashString(`${options.seed ?? 0}/preview`));
  const chosen = shuffle(
    [...coco.images].sort((a, b) => a.id - b.id),
    random,
  ).slice(0, count);
  const annotationsOf = new Map<number, typeof coco.annotations>();
  const wanted = new Set(chosen.map((i) => i.id));
  for (const annotation of coco.annotations) {
    if (!wanted.has(annotation.image_id)) continue;
    annotationsOf.set(annotation.image_id, [...(annotationsOf.get(annotation.image_id) ?? []), annotation]);
  }
  const sheetWidth = columns * tile;
  const sheet = Buffer.alloc(sheetWidth * rows * tile * 3, 24);
  for (let n = 0; n < chosen.length; n++) {
    const image = chosen[n];
    // Fit the tile keeping the aspect ratio; masks are sampled nearest-neighbour on the same grid.
    const scale = Math.min(tile / image.width, tile / image.height);
    const w = Math.max(1, Math.round(image.width * scale));
    const h = Math.max(1, Math.round(image.height * scale));
    const rgb = await sharp(join(root, image.file_name), { limitInputPixels: maxImagePixels() }).removeAlpha().toColourspace('srgb').resize(w, h, { fit: 'fill' }).raw().toBuffer();
    const channels = rgb.length / (w * h);
    const ox = (n % columns) * tile + Math.floor((tile - w) / 2);
    const oy = Math.floor(n / columns) * tile + Math.floor((tile - h) / 2);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const s = (y * w + x) * channels;
        const d = ((oy + y) * sheetWidth + ox + x) * 3;
        for (let c = 0; c < 3; c++) sheet[d + c] = rgb[s + Math.min(c, channels - 1)];
      }
    }
    for (const annotation of annotationsOf.get(image.id) ?? []) {
      const mask = decodeRle(annotation.segmentation);
      const colour = COLOURS[(annotation.category_id - 1 + COLOURS.length) % COLOURS.length];
      const inside = (x: number, y: number) =>
        x >= 0 && y >= 0 && x < w && y < h && mask[Math.min(image.height - 1, Math.floor(y / scale)) * image.width + Math.min(image.width - 1, Math.floor(x / scale))] === 1;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (!inside(x, y)) continue;
          const edge = !inside(x - 1, y) || !inside(x + 1, y) || !inside(x, y - 1) || !inside(x, y + 1);
          const alpha = edge ? 1 : 0.4;
          const d = ((oy + y) * sheetWidth + ox + x) * 3;
          for (let c = 0; c < 3; c++) sheet[d + c] = Math.round(sheet[d + c] * (1 - alpha) + colour[c] * alpha);
        }
      }
    }
  }
  await sharp(sheet, { raw: { width: sheetWidth, height: rows * tile, channels: 3 } })
    .png()
    .toFile(output);
  return chosen.map((i) => i.file_name);
}
