/** Small helpers that converters share for walking a raw dataset folder and reading mask images. */
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { threshold, toGray } from './components.js';
import { readRaster } from './raster.js';
import type { RawImage } from '../image/types.js';

/** Compares names with their digit runs as numbers: "2.png" < "10.png". */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** File names (not paths) in `dir` matching `pattern`, in natural order; [] when the folder is absent. */
export async function listFiles(dir: string, pattern: RegExp): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => entry.name)
    .sort(naturalCompare);
}

export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Reads an image file, or reports it (unreadable) and returns undefined. */
export async function readOrWarn(
  path: string,
  relative: string,
  warn: (file: string, problem: string) => void,
): Promise<RawImage | undefined> {
  try {
    return await readRaster(path);
  } catch (error) {
    warn(relative, `unreadable image: ${(error as Error).message}`);
    return undefined;
  }
}

/** A mask image as 0/1: grey (luma for colour) above `above`; 127 suits 0/255 masks saved as JPEG. */
export function binaryMask(image: RawImage, above = 127): Uint8Array {
  return threshold(toGray(image), above);
}
