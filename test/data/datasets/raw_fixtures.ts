/**
 * Builders for the tiny synthetic raw datasets of the converter tests: images and masks in the
 * formats the publishers use (PNG, JPEG, TIFF via sharp; BMP and NIfTI written by hand), and a
 * runner that collects a converter's samples and warnings.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import type { ConvertedSample, DatasetModule } from '../../../src/data/types.js';

export interface Raster {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/** A raster filled with one value per channel. */
export function blank(width: number, height: number, channels: 1 | 3 | 4 = 1, fill: number[] = [0]): Raster {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = fill[c] ?? fill[0];
  return { width, height, channels, data };
}

/** Paints the rectangle [x0, x1) × [y0, y1) with `value` (one number per channel). */
export function paint(raster: Raster, x0: number, y0: number, x1: number, y1: number, value: number[]): Raster {
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      for (let c = 0; c < raster.channels; c++) raster.data[(y * raster.width + x) * raster.channels + c] = value[c] ?? value[0];
    }
  }
  return raster;
}

/** A grey ultrasound-like image: a gradient, so nothing is uniform. */
export function scan(width: number, height: number, channels: 1 | 3 = 1): Raster {
  const raster = blank(width, height, channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) raster.data[(y * width + x) * channels + c] = (x * 7 + y * 3) % 200;
  }
  return raster;
}

async function ensureDir(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
}

/** Writes a raster as PNG, JPEG or TIFF, chosen by the file extension. */
export async function writeRaster(path: string, raster: Raster): Promise<void> {
  await ensureDir(path);
  const image = sharp(Buffer.from(raster.data), { raw: { width: raster.width, height: raster.height, channels: raster.channels } });
  const lower = path.toLowerCase();
  if (lower.endsWith('.png')) await image.png().toFile(path);
  else if (lower.endsWith('.jpg') || lower.endsWith('.jpeg')) await image.jpeg({ quality: 90 }).toFile(path);
  else if (lower.endsWith('.tif') || lower.endsWith('.tiff')) await image.tiff({ compression: 'lzw' }).toFile(path);
  else if (lower.endsWith('.bmp')) await writeFile(path, encodeBmp(raster));
  else throw new Error(`no writer for ${path}`);
}

/** An uncompressed 24-bit bottom-up BMP (sharp writes no BMP). */
function encodeBmp(raster: Raster): Buffer {
  const { width, height, channels, data } = raster;
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const buffer = Buffer.alloc(54 + rowBytes * height);
  buffer.write('BM', 0, 'ascii');
  buffer.writeUInt32LE(buffer.length, 2);
  buffer.writeUInt32LE(54, 10);
  buffer.writeUInt32LE(40, 14);
  buffer.writeInt32LE(width, 18);
  buffer.writeInt32LE(height, 22);
  buffer.writeUInt16LE(1, 26);
  buffer.writeUInt16LE(24, 28);
  buffer.writeUInt32LE(rowBytes * height, 34);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      const [r, g, b] = channels >= 3 ? [data[o], data[o + 1], data[o + 2]] : [data[o], data[o], data[o]];
      buffer[row + x * 3] = b;
      buffer[row + x * 3 + 1] = g;
      buffer[row + x * 3 + 2] = r;
    }
  }
  return buffer;
}

/** A gzipped NIfTI-1 uint8 volume of `frames` width×height frames (frame-major, row-major). */
export async function writeNifti(path: string, width: number, height: number, frames: number, voxels: Uint8Array): Promise<void> {
  const header = Buffer.alloc(352);
  header.writeInt32LE(348, 0);
  header.writeInt16LE(3, 40); // dim[0]
  header.writeInt16LE(width, 42);
  header.writeInt16LE(height, 44);
  header.writeInt16LE(frames, 46);
  for (let d = 4; d <= 7; d++) header.writeInt16LE(1, 40 + 2 * d);
  header.writeInt16LE(2, 70); // datatype uint8
  header.writeInt16LE(8, 72); // bitpix
  header.writeFloatLE(1, 76); // pixdim[0] (qfac)
  header.writeFloatLE(0.5, 80);
  header.writeFloatLE(0.25, 84);
  header.writeFloatLE(1, 88);
  header.writeFloatLE(352, 108); // vox_offset
  header.writeFloatLE(1, 112); // scl_slope
  header.writeUInt8(2, 123); // xyzt_units: millimetres
  header.write('n+1\0', 344, 'binary');
  await ensureDir(path);
  await writeFile(path, gzipSync(Buffer.concat([header, Buffer.from(voxels)])));
}

export async function writeText(path: string, text: string): Promise<void> {
  await ensureDir(path);
  await writeFile(path, text);
}

export interface Conversion {
  samples: ConvertedSample[];
  warnings: { file: string; problem: string }[];
}

/** Runs a converter to the end in non-strict mode, keeping samples and warnings. */
export async function convertAll(module: DatasetModule, rawDir: string): Promise<Conversion> {
  const warnings: Conversion['warnings'] = [];
  const samples: ConvertedSample[] = [];
  for await (const sample of module.convert(rawDir, { strict: false, warn: (file, problem) => warnings.push({ file, problem }) })) {
    // What the corpus writer relies on: registered categories, one H×W 0/1 mask each, once.
    const { width, height, data, channels } = sample.image;
    if (data.length !== width * height * channels) throw new Error(`${sample.sourceFile}: image data does not match its size`);
    const categories = sample.masks.map((m) => m.category);
    for (const { category, mask } of sample.masks) {
      if (!module.info.structures.includes(category)) throw new Error(`${sample.sourceFile}: category '${category}' not in structures`);
      if (mask.length !== width * height) throw new Error(`${sample.sourceFile}: '${category}' mask is not ${width}×${height}`);
      if (mask.some((v) => v !== 0 && v !== 1)) throw new Error(`${sample.sourceFile}: '${category}' mask is not 0/1`);
    }
    if (new Set(categories).size !== categories.length) throw new Error(`${sample.sourceFile}: a category appears twice`);
    samples.push(sample);
  }
  return { samples, warnings };
}

/** Runs a converter in strict mode; resolves to the error it stops with (fails the test when it does not). */
export async function strictError(module: DatasetModule, rawDir: string): Promise<Error> {
  try {
    for await (const _sample of module.convert(rawDir, { strict: true, warn: () => undefined })) {
      // consume
    }
  } catch (error) {
    return error as Error;
  }
  throw new Error(`${module.info.name}: strict conversion of ${rawDir} did not stop`);
}

/** The mask of `category` in a sample (fails when absent). */
export function maskOf(sample: ConvertedSample, category: string): Uint8Array {
  const found = sample.masks.find((m) => m.category === category);
  if (!found) throw new Error(`${sample.sourceFile}: no '${category}' mask (has ${sample.masks.map((m) => m.category).join(', ') || 'none'})`);
  return found.mask;
}

/** Number of set pixels inside the rectangle [x0, x1) × [y0, y1), and in total. */
export function countIn(mask: Uint8Array, width: number, x0: number, y0: number, x1: number, y1: number): { inside: number; total: number } {
  let inside = 0;
  let total = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    total++;
    const x = i % width;
    const y = Math.floor(i / width);
    if (x >= x0 && x < x1 && y >= y0 && y < y1) inside++;
  }
  return { inside, total };
}

/** Asserts-free check used by tests: the mask is exactly the rectangle. */
export function isRectangle(mask: Uint8Array, width: number, x0: number, y0: number, x1: number, y1: number): boolean {
  const { inside, total } = countIn(mask, width, x0, y0, x1, y1);
  return inside === total && total === (x1 - x0) * (y1 - y0);
}
