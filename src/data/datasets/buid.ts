/**
 * BUID (Breast Ultrasound Image Database, QAMEBI): benign and malignant breast lesions, each a
 * BMP image '<n> Image.bmp' beside its TIFF mask '<n> Mask.tif'.
 */
import { join } from 'node:path';
import { hasForeground, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, listFiles } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

const CATEGORY = 'breast_nodule';
const CLASSES = ['Benign', 'Malignant'] as const;
const IMAGE_SUFFIX = /image\.bmp$/i;

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  let found = 0;
  for (const lesionClass of CLASSES) {
    if (!(await isDirectory(join(rawDir, lesionClass)))) continue;
    found++;
    for (const name of await listFiles(join(rawDir, lesionClass), { extensions: ['.bmp'] })) {
      if (!IMAGE_SUFFIX.test(name)) continue;
      const imageFile = `${lesionClass}/${name}`;
      const image = await readRawImage(rawDir, imageFile, options);
      if (!image) continue;
      const maskFile = `${lesionClass}/${name.replace(IMAGE_SUFFIX, 'Mask.tif')}`;
      const maskImage = await readMaskFile(rawDir, maskFile, imageFile, image, options);
      if (!maskImage) continue;
      const mask = thresholdMask(maskImage);
      yield {
        image,
        index: `${lesionClass.toLowerCase()}_${name.replace(IMAGE_SUFFIX, '').trim()}`,
        sourceFile: imageFile,
        masks: hasForeground(mask) ? [{ category: CATEGORY, mask }] : [],
        labels: { class: lesionClass.toLowerCase() },
      };
    }
  }
  if (found === 0) throw new Error(`${rawDir}: no BUID folder found (expected Benign/ and Malignant/)`);
}

export const dataset: DatasetModule = {
  info: {
    name: 'BUID',
    anatomy: 'breast',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound',
    url: 'https://qamebi.com/breast-ultrasound-images-database/',
    licence: 'not stated',
    citation:
      'Abbasian Ardakani A, Mohammadi A, Mirza-Aghazadeh-Attari M, Acharya UR. An open-access breast lesion ultrasound ' +
      'image database: applicable in artificial intelligence studies. Computers in Biology and Medicine 152:106438, 2023.',
    layout:
      '{Benign,Malignant}/<n> Image.bmp with the mask {Benign,Malignant}/<n> Mask.tif (0/255) — the unpacked Benign.zip ' +
      'and Malignant.zip.',
    imageLabels: ['class'],
  },
  convert,
};
