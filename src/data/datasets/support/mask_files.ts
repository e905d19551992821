/**
 * Reading the mask file that belongs to an image, with the three checks every converter needs
 * (the mask exists, it decodes, it has the image's size), each reported through `reportProblem`.
 */
import { join } from 'node:path';
import type { RawImage } from '../../../image/types.js';
import type { ConvertOptions } from '../../types.js';
import { isFile } from './files.js';
import { checkMaskSize, readRawImage, reportProblem } from './problems.js';

export interface MaskFileOptions {
  /** Accept a mask of another size (the converter resizes it); default false: a mismatch is reported. */
  allowOtherSize?: boolean;
}

/**
 * The decoded mask `maskFile` of `imageFile`, or undefined after reporting why not: a missing
 * mask is reported against the image (the file that cannot be used), an unreadable or wrongly
 * sized one against the mask.
 */
export async function readMaskFile(rawDir: string, maskFile: string, imageFile: string, image: RawImage, options: ConvertOptions, maskOptions: MaskFileOptions = {}): Promise<RawImage | undefined> {
  if (!(await isFile(join(rawDir, maskFile)))) {
    reportProblem(options, imageFile, `missing mask: ${maskFile} not found`);
    return undefined;
  }
  const mask = await readRawImage(rawDir, maskFile, options, 'mask');
  if (!mask) return undefined;
  if (!maskOptions.allowOtherSize && !checkMaskSize(options, maskFile, mask, imageFile, image)) return undefined;
  return mask;
}
