/**
 * FALLMUD: B-mode images of lower-limb muscles from two centres (NeilCronin, RyanCunningham),
 * each with an aponeurosis mask and a fascicle mask. A few aponeurosis masks are stored
 * transposed (width and height swapped); they are turned a quarter clockwise as the reference
 * does. The reference zeroed every fascicle mask by mistake (both thresholds set 0); here both
 * structures are kept.
 */
import { join } from 'node:path';
import type { RawImage } from '../../image/types.js';
import { hasForeground, rotateMaskClockwise, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, listFiles, stemOf } from './support/files.js';
import { checkMaskSize, readRawImage, reportProblem } from './support/problems.js';

const CENTRES = ['NeilCronin', 'RyanCunningham'] as const;
const MASK_FOLDERS = { aponeurosis: 'aponeurosis_masks', fascicle: 'fascicle_masks' } as const;
/** The reference binarises FALLMUD masks at 100 (>= 100 is object). */
const THRESHOLD = 99;
const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp'];

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const root = (await isDirectory(join(rawDir, 'FALLMUD'))) ? 'FALLMUD/' : '';
  let found = 0;
  for (const centre of CENTRES) {
    const centreDir = `${root}${centre}`;
    if (!(await isDirectory(join(rawDir, centreDir, 'images')))) continue;
    found++;
    // Masks share the image's stem but not always its extension.
    const maskByStem: Record<string, Map<string, string>> = {};
    for (const [category, folder] of Object.entries(MASK_FOLDERS)) {
      const names = (await isDirectory(join(rawDir, centreDir, folder))) ? await listFiles(join(rawDir, centreDir, folder), { extensions: IMAGE_EXTENSIONS, recursive: false }) : [];
      maskByStem[category] = new Map(names.map((n) => [stemOf(n), `${centreDir}/${folder}/${n}`]));
    }
    for (const name of await listFiles(join(rawDir, centreDir, 'images'), { extensions: IMAGE_EXTENSIONS, recursive: false })) {
      const imageFile = `${centreDir}/images/${name}`;
      const stem = stemOf(name);
      const missing = Object.keys(MASK_FOLDERS).filter((category) => !maskByStem[category].has(stem));
      if (missing.length > 0) {
        reportProblem(options, imageFile, `missing ${missing.join(' and ')} mask (no ${stem}.* in ${missing.map((c) => MASK_FOLDERS[c as keyof typeof MASK_FOLDERS]).join(', ')})`);
        continue;
      }
      const image = await readRawImage(rawDir, imageFile, options);
      if (!image) continue;
      const masks: ConvertedSample['masks'] = [];
      let usable = true;
      for (const category of Object.keys(MASK_FOLDERS)) {
        const maskFile = maskByStem[category].get(stem)!;
        const mask = await readFallmudMask(rawDir, maskFile, imageFile, image, options);
        if (!mask) {
          usable = false;
          break;
        }
        if (hasForeground(mask)) masks.push({ category, mask });
      }
      if (!usable) continue;
      yield { image, index: `${centre}_${stem}`, sourceFile: imageFile, masks, labels: { centre } };
    }
  }
  if (found === 0) throw new Error(`${rawDir}: no FALLMUD centre folder found (expected ${CENTRES.map((c) => `${c}/images/`).join(', ')})`);
}

/** A FALLMUD mask binarised at the image's size: as stored, or turned when stored transposed. */
async function readFallmudMask(rawDir: string, maskFile: string, imageFile: string, image: RawImage, options: ConvertOptions): Promise<Uint8Array | undefined> {
  const maskImage = await readRawImage(rawDir, maskFile, options, 'mask');
  if (!maskImage) return undefined;
  const mask = thresholdMask(maskImage, THRESHOLD);
  if (maskImage.width === image.height && maskImage.height === image.width && image.width !== image.height) {
    return rotateMaskClockwise(mask, maskImage.width, maskImage.height);
  }
  return checkMaskSize(options, maskFile, maskImage, imageFile, image) ? mask : undefined;
}

export const dataset: DatasetModule = {
  info: {
    name: 'FALLMUD',
    anatomy: 'lower-limb skeletal muscle',
    structures: Object.keys(MASK_FOLDERS),
    modality: 'B-mode ultrasound',
    url: 'https://kalisteo.cea.fr/index.php/fallmud/',
    licence: 'not stated',
    citation:
      'Michard H, Luvison B, Pham QC, Morales-Artacho AJ, Guilhem G. AW-Net: automatic muscle structure analysis on B-mode ' +
      'ultrasound images for injury prevention. ACM BCB 2021. (FALLMUD: FAscicle Lower Leg Muscle Ultrasound Dataset.)',
    layout:
      'FALLMUD/{NeilCronin,RyanCunningham}/images/<name>.<ext> with FALLMUD/<centre>/aponeurosis_masks/<name>.* and ' +
      'FALLMUD/<centre>/fascicle_masks/<name>.* (grey, object >= 100); the FALLMUD/ level may be omitted.',
    imageLabels: ['centre'],
  },
  convert,
};
