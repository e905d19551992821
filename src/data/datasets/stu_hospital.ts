/**
 * STU-Hospital: 42 breast ultrasound images from Shantou University's hospital, each
 * 'Test_Image_<n>.png' with its tumour mask 'mask_<n>.png'. Masks may be saved at another size
 * and are resized to the image by nearest neighbour, as the reference does.
 */
import { join } from 'node:path';
import { hasForeground, resizeMaskNearest, thresholdMask } from '../masks.js';
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
      mask = resizeMaskNearest(mask, maskImage.width, maskImage.height, image.width, image.height);
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
      'Hospital/Test_Image_<n>.png with the mask Hospital/mask_<n>.png (0/255; resized to the image by nearest neighbour ' +
      'when its size differs).',
    imageLabels: [],
  },
  convert,
};
