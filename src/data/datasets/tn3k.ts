/**
 * TN3K: 3,493 thyroid ultrasound images with nodule masks, published as a trainval part and a
 * test part (the official test split). Masks are JPEGs, thresholded at 127.
 */
import { join } from 'node:path';
import { hasForeground, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

const CATEGORY = 'thyroid_nodule';

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const root = await requireDirectory(rawDir, ['Thyroid Dataset/tn3k', 'tn3k', ''], 'tn3k');
  const prefix = root === '' ? '' : `${root}/`;
  let found = 0;
  for (const part of ['trainval', 'test'] as const) {
    const imageDir = `${prefix}${part}-image`;
    if (!(await isDirectory(join(rawDir, imageDir)))) continue;
    found++;
    for (const name of await listFiles(join(rawDir, imageDir), { extensions: ['.jpg', '.jpeg', '.png'], recursive: false })) {
      const imageFile = `${imageDir}/${name}`;
      const image = await readRawImage(rawDir, imageFile, options);
      if (!image) continue;
      const maskImage = await readMaskFile(rawDir, `${prefix}${part}-mask/${name}`, imageFile, image, options);
      if (!maskImage) continue;
      const mask = thresholdMask(maskImage);
      yield {
        image,
        index: `${part}_${stemOf(name)}`,
        sourceFile: imageFile,
        masks: hasForeground(mask) ? [{ category: CATEGORY, mask }] : [],
        ...(part === 'test' ? { officialSplit: 'test' as const } : {}),
      };
    }
  }
  if (found === 0) throw new Error(`${rawDir}: no TN3K image folder found (expected ${prefix}trainval-image/ and ${prefix}test-image/)`);
}

export const dataset: DatasetModule = {
  info: {
    name: 'TN3K',
    anatomy: 'thyroid',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound',
    url: 'https://github.com/haifangong/TRFE-Net-for-thyroid-nodule-segmentation',
    licence: 'not stated',
    citation:
      'Gong H, Chen J, Chen G, Li H, Li G, Chen F. Thyroid region prior guided attention for ultrasound segmentation of ' +
      'thyroid nodules. Computers in Biology and Medicine 155:106389, 2023.',
    layout:
      "'Thyroid Dataset'/tn3k/{trainval,test}-image/<n>.jpg with masks 'Thyroid Dataset'/tn3k/{trainval,test}-mask/<n>.jpg " +
      "(JPEG, thresholded > 127); test = official test. The 'Thyroid Dataset'/tn3k/ levels may be omitted.",
    imageLabels: [],
  },
  convert,
};
