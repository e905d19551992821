/** Small helpers that converters share for walking a raw dataset folder and reading mask images. */
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * The first of `candidates` (paths relative to `rawDir`, '' for rawDir itself) that is a folder
 * holding `marker` (a relative path); throws naming every place looked at when none does.
 */
export function locateRoot(rawDir: string, candidates: string[], marker: string, dataset: string): string {
  for (const candidate of candidates) {
    const root = join(rawDir, candidate);
    if (existsSync(join(root, marker))) return root;
  }
  const tried = candidates.map((c) => join(rawDir, c, marker)).join(', ');
  throw new Error(`${dataset}: raw layout not found under ${rawDir} (looked for ${tried})`);
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
