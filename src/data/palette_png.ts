/**
 * Label maps stored as palette ("colormap") PNGs, as labelme and many segmentation tools save them:
 * the pixel's palette INDEX is the label, while decoders (sharp included) hand back the palette
 * COLOUR. The PLTE chunk is read here to map each colour back to its index.
 */
import { readFile } from 'node:fs/promises';
import { readRaster } from './raster.js';

/** The PLTE entries [r, g, b] of a PNG file, or undefined when it has none. */
export function pngPalette(png: Buffer, name: string): [number, number, number][] | undefined {
  if (png.length < 8 || png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') {
    throw new Error(`${name} is not a PNG file`);
  }
  let offset = 8;
  while (offset + 8 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    if (type === 'PLTE') {
      if (length % 3 !== 0 || offset + 8 + length > png.length) throw new Error(`${name}: malformed PLTE chunk`);
      const palette: [number, number, number][] = [];
      for (let i = 0; i < length; i += 3) {
        const o = offset + 8 + i;
        palette.push([png[o], png[o + 1], png[o + 2]]);
      }
      return palette;
    }
    if (type === 'IDAT' || type === 'IEND') return undefined; // PLTE must come before image data
    offset += 12 + length;
  }
  return undefined;
}

/**
 * Label map of a mask PNG: palette indices for a palette PNG, else the grey value (first channel).
 * A colour found in no palette entry is an error naming the file and the colour.
 */
export async function readLabelPng(path: string): Promise<{ labels: Uint8Array; width: number; height: number }> {
  const file = await readFile(path);
  const palette = pngPalette(file, path);
  const image = await readRaster(file);
  const { width, height, channels, data } = image;
  const labels = new Uint8Array(width * height);
  if (!palette) {
    for (let i = 0; i < labels.length; i++) labels[i] = data[i * channels];
    return { labels, width, height };
  }
  if (channels < 3) {
    // A grey palette decodes to one channel: the grey level identifies the entry.
    const byGrey = new Map<number, number>();
    palette.forEach(([r], index) => {
      if (!byGrey.has(r)) byGrey.set(r, index);
    });
    for (let i = 0; i < labels.length; i++) labels[i] = lookup(byGrey, data[i * channels], path);
    return { labels, width, height };
  }
  const byColour = new Map<number, number>();
  palette.forEach(([r, g, b], index) => {
    const key = (r << 16) | (g << 8) | b;
    if (!byColour.has(key)) byColour.set(key, index); // duplicate colours: the first index wins
  });
  // Masks are mostly long stretches of one colour: remember the last lookup.
  let lastKey = -1;
  let lastIndex = 0;
  for (let i = 0; i < labels.length; i++) {
    const o = i * channels;
    const key = (data[o] << 16) | (data[o + 1] << 8) | data[o + 2];
    if (key !== lastKey) {
      lastKey = key;
      lastIndex = lookup(byColour, key, path);
    }
    labels[i] = lastIndex;
  }
  return { labels, width, height };
}

function lookup(table: Map<number, number>, key: number, path: string): number {
  const index = table.get(key);
  if (index === undefined) throw new Error(`${path}: colour #${key.toString(16).padStart(6, '0')} is not in the PNG palette`);
  return index;
}
