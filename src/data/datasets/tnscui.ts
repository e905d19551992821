/**
 * TNSCUI (TN-SCUI 2020 challenge data, in the VOC-style copy the reference reads): thyroid
 * ultrasound JPEGs with nodule masks `SegmentationClass/<n>.png`. Any non-zero pixel is nodule,
 * which covers 0/1, 0/255 and palette-coloured masks alike.
 */
import { join } from 'node:path';
import { hasForeground, nonZeroMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

const CATEGORY = 'thyroid_nodule';

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const imageDir = await requireDirectory(rawDir, ['tnscui/JPEGImages', 'JPEGImages'], 'JPEGImages');
  const maskDir = imageDir.replace(/JPEGImages$/, 'SegmentationClass');
  for (const name of await listFiles(join(rawDir, imageDir), { extensions: ['.jpg', '.jpeg'], recursive: false })) {
    const imageFile = `${imageDir}/${name}`;
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskImage = await readMaskFile(rawDir, `${maskDir}/${stemOf(name)}.png`, imageFile, image, options);
    if (!maskImage) continue;
    const mask = nonZeroMask(maskImage);
    yield { image, index: stemOf(name), sourceFile: imageFile, masks: hasForeground(mask) ? [{ category: CATEGORY, mask }] : [] };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'TNSCUI',
    aliases: ['TN-SCUI2020', 'TN-SCUI', 'tnscui'],
    anatomy: 'thyroid',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound',
    url: 'https://tn-scui2020.grand-challenge.org/',
    licence: 'not stated (challenge data, for research use under the challenge terms)',
    citation:
      'Zhou J, et al. Thyroid Nodule Segmentation and Classification in Ultrasound Images (TN-SCUI 2020 challenge), ' +
      'MICCAI 2020. https://tn-scui2020.grand-challenge.org/',
    layout:
      'tnscui/JPEGImages/<n>.jpg with masks tnscui/SegmentationClass/<n>.png (non-zero = nodule); the tnscui/ level ' +
      'may be omitted.',
    imageLabels: [],
  },
  convert,
};
