/**
 * BUS (Dataset B, Yap et al.): 163 breast ultrasound images with lesion masks, from the UDIAT
 * centre in Sabadell. Images `original/<n>.png`, masks `GT/<n>.png`; the optional
 * `DatasetB.csv` gives each image's lesion type (benign / malignant).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasForeground, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isFile, listFiles, requireDirectory, stemOf } from './support/files.js';
import { parseCsv } from './support/csv.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

const CATEGORY = 'breast_nodule';

/**
 * Lesion type per image from DatasetB.csv: first column the image name (with or without
 * '.png'), second its type; a header row, whatever its names, is recognised by its type not
 * being a lesion type.
 */
async function readLesionTypes(path: string): Promise<Map<string, string>> {
  const types = new Map<string, string>();
  if (!(await isFile(path))) return types;
  for (const [name, type] of parseCsv(await readFile(path, 'utf8'))) {
    const value = (type ?? '').trim().toLowerCase();
    if (value === 'benign' || value === 'malignant') types.set(stemOf(name.trim()), value);
  }
  return types;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const imageDir = await requireDirectory(rawDir, ['original', 'BUS/original'], 'original (images)');
  const root = imageDir === 'original' ? '' : 'BUS/';
  const lesionTypes = await readLesionTypes(join(rawDir, `${root}DatasetB.csv`));
  for (const name of await listFiles(join(rawDir, imageDir), { extensions: ['.png'], recursive: false })) {
    const imageFile = `${imageDir}/${name}`;
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskImage = await readMaskFile(rawDir, `${root}GT/${name}`, imageFile, image, options);
    if (!maskImage) continue;
    const mask = thresholdMask(maskImage);
    const lesionType = lesionTypes.get(stemOf(name));
    yield {
      image,
      index: stemOf(name),
      sourceFile: imageFile,
      masks: hasForeground(mask) ? [{ category: CATEGORY, mask }] : [],
      ...(lesionType ? { labels: { class: lesionType } } : {}),
    };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'BUS',
    aliases: ['DatasetB', 'Dataset_B', 'BUS_Dataset_B'],
    anatomy: 'breast',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound',
    url: 'http://www2.docm.mmu.ac.uk/STAFF/M.Yap/dataset.php',
    licence: 'not stated; released on request for research use under an agreement with the authors',
    citation:
      'Yap MH, Pons G, Martí J, Ganau S, Sentís M, Zwiggelaar R, Davison AK, Martí R. Automated breast ultrasound lesions ' +
      'detection using convolutional neural networks. IEEE Journal of Biomedical and Health Informatics 22(4):1218–1226, 2018.',
    layout:
      'BUS/original/<n>.png with the mask BUS/GT/<n>.png (0/255, same name) and optionally BUS/DatasetB.csv (image name, ' +
      'lesion type). The BUS/ level may be omitted.',
    imageLabels: ['class'],
  },
  convert,
};
