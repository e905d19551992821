/**
 * S1 (breast tumour dataset of PMC8205136): breast ultrasound JPEG images with label masks in
 * which grey 127 marks a benign and 255 a malignant tumour (the reference's reading of the
 * 'Expanded-3-channel-Labels'). The training and testing folders are the publisher's split; the
 * testing one is kept as the official test.
 */
import { join } from 'node:path';
import { hasForeground, valueRangeMasks } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

/** Ranges around 127 and 255, so values shifted by resampling or compression still land right. */
const CLASSES = [
  { category: 'benign_tumour', min: 64, max: 191 },
  { category: 'malignant_tumour', min: 192, max: 255 },
];
const CLASS_OF_CATEGORY: Record<string, string> = { benign_tumour: 'benign', malignant_tumour: 'malignant' };

const PARTS = [
  { set: 'train', folder: 'TrainingDataSet', images: 'BreastTumourImages', labels: 'Expanded-3-channel-Labels' },
  {
    set: 'test',
    folder: 'TestingDataSet',
    images: 'Test-Expanded-BreastTumourImages',
    labels: 'Test-Expanded-3-channel-Labels',
  },
] as const;

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const root = await requireDirectory(rawDir, ['Data', ''], 'Data');
  const prefix = root === '' ? '' : `${root}/`;
  let found = 0;
  for (const part of PARTS) {
    const imageDir = `${prefix}${part.folder}/${part.images}`;
    if (!(await isDirectory(join(rawDir, imageDir)))) continue;
    found++;
    for (const name of await listFiles(join(rawDir, imageDir), { extensions: ['.jpg', '.jpeg', '.png'], recursive: false })) {
      const imageFile = `${imageDir}/${name}`;
      const stem = stemOf(name);
      const image = await readRawImage(rawDir, imageFile, options);
      if (!image) continue;
      const maskFile = `${prefix}${part.folder}/${part.labels}/${stem}.png`;
      const maskImage = await readMaskFile(rawDir, maskFile, imageFile, image, options);
      if (!maskImage) continue;
      const masks = valueRangeMasks(maskImage, CLASSES).filter(({ mask }) => hasForeground(mask));
      yield {
        image,
        index: `${part.set}_${stem}`,
        sourceFile: imageFile,
        masks,
        ...(masks.length > 0 ? { labels: { class: masks.map((m) => CLASS_OF_CATEGORY[m.category]).join('+') } } : {}),
        ...(part.set === 'test' ? { officialSplit: 'test' as const } : {}),
      };
    }
  }
  if (found === 0) {
    throw new Error(`${rawDir}: no S1 image folder found (expected ${PARTS.map((p) => `${prefix}${p.folder}/${p.images}/`).join(', ')})`);
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'S1',
    anatomy: 'breast',
    structures: CLASSES.map((c) => c.category),
    modality: 'B-mode ultrasound',
    url: 'https://www.ncbi.nlm.nih.gov/pmc/articles/PMC8205136/',
    licence: 'not stated',
    citation: 'Breast tumour ultrasound dataset S1, supporting information of the PLOS ONE article PMC8205136 (2021).',
    layout:
      'Data/TrainingDataSet/BreastTumourImages/<id>.jpg with Data/TrainingDataSet/Expanded-3-channel-Labels/<id>.png, and ' +
      'Data/TestingDataSet/Test-Expanded-BreastTumourImages/<id>.jpg with Data/TestingDataSet/Test-Expanded-3-channel-Labels/' +
      '<id>.png (grey 127 benign, 255 malignant; testing = official test). The General-1-channel folders are not used; ' +
      'the Data/ level may be omitted.',
    imageLabels: ['class'],
  },
  convert,
};
