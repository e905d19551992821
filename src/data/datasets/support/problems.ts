/**
 * Reporting malformed raw files the same way in every converter: `options.warn(file, problem)`
 * and skip, or stop with a MalformedRawError in strict mode. Also reads a raw image or mask and
 * turns a decoding failure into such a report.
 */
import { join } from 'node:path';
import { readImage } from '../../../image/read.js';
import type { RawImage } from '../../../image/types.js';
import { MalformedRawError } from '../../corpus.js';
import type { ConvertOptions } from '../../types.js';

/** Reports a problem with a raw file; throws in strict mode, so a caller that goes on skips the file. */
export function reportProblem(options: ConvertOptions, file: string, problem: string): void {
  options.warn(file, problem);
  if (options.strict) throw new MalformedRawError(file, problem);
}

/**
 * Decodes `relativePath` under `rawDir`, or reports it as unreadable and returns undefined.
 * `what` says which role the file plays ('image', 'mask') in the message.
 */
export async function readRawImage(rawDir: string, relativePath: string, options: ConvertOptions, what = 'image'): Promise<RawImage | undefined> {
  try {
    return await readImage(join(rawDir, relativePath));
  } catch (error) {
    reportProblem(options, relativePath, `unreadable ${what}: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * Compares a mask's size with its image's and reports a mismatch; true when they agree. The
 * problem text says both sizes and names the image the mask belongs to.
 */
export function checkMaskSize(options: ConvertOptions, maskFile: string, mask: { width: number; height: number }, imageFile: string, image: { width: number; height: number }): boolean {
  if (mask.width === image.width && mask.height === image.height) return true;
  reportProblem(options, maskFile, `size mismatch: mask is ${mask.width}×${mask.height} but image ${imageFile} is ${image.width}×${image.height}`);
  return false;
}
