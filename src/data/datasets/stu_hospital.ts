/**
 * STU-Hospital: 42 breast ultrasound images from Shantou University's hospital, each
 * 'Test_Image_<n>.png' (128×128) with its tumour mask 'mask_<n>.png'. Most masks are drawn at a
 * higher resolution (400 to 512 px square; six are 128×128) with anti-aliased edges: thresholded
 * at 127, then resized to the image by area (a pixel is tumour when at least half of it is). The
 * reference resizes by nearest neighbour, which reads the top-left pixel of each 4×4 block of a
 * 512-px mask and so moves the tumour up and left (figures in docs/datasets-extra.md).
 */
import { join } from 'node:path';
import { hasForeground, resizeMaskArea, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

/** The reference named it 'benign_tumour'; the publisher's tumours are not all benign. */
const CATEGORY = 'breast_tumour';
const IMAGE_NAME = /^Test_Image_(\d+)$/i;

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const dir = await requireDirectory(rawDir, ['Hospital', 'STU-Hospital/Hospital', ''], 'Hospital');
  const prefix = dir === '' ? '' : `${dir}/`;
  const names = await listFiles(join(rawDir, dir), { extensions: ['.png'], recursive: false });
  const images = names.filter((n) => IMAGE_NAME.test(stemOf(n)));
  if (images.length === 0) throw new Error(`${rawDir}: no STU-Hospital images (Hospital/Test_Image_<n>.png) found`);
  for (const name of images) {
    const number = IMAGE_NAME.exec(stemOf(name))![1];
    const imageFile = `${prefix}${name}`;
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskImage = await readMaskFile(rawDir, `${prefix}mask_${number}.png`, imageFile, image, options, { allowOtherSize: true });
    if (!maskImage) continue;
    let mask = thresholdMask(maskImage);
    if (maskImage.width !== image.width || maskImage.height !== image.height) {
      mask = resizeMaskArea(mask, maskImage.width, maskImage.height, image.width, image.height);
    }
    yield { image, index: number, sourceFile: imageFile, masks: hasForeground(mask) ? [{ category: CATEGORY, mask }] : [] };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'STU-Hospital',
    aliases: ['STU_Hospital', 'STU'],
    anatomy: 'breast',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound',
    url: 'https://github.com/xbhlk/STU-Hospital',
    licence: 'not stated',
    citation:
      'Zhuang Z, Li N, Joseph Raj AN, Mahesh VGV, Qiu S. An RDAU-NET model for lesion segmentation in breast ultrasound ' +
      'images. PLoS ONE 14(8):e0221535, 2019.',
    layout:
      'Hospital/Test_Image_<n>.png with the mask Hospital/mask_<n>.png (thresholded at 127; resized to the image by area ' +
      'when its size differs).',
    imageLabels: [],
    version: '2',
  },
  convert,
};
