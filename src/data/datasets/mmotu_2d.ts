/**
 * MMOTU-2D (OTU_2d): 1,469 2-D ovarian tumour ultrasound images of eight tumour classes.
 * `train_cls.txt` and `val_cls.txt` list '<n>.JPG <class 0..7>'; the val list is the official
 * test split. The lesion is every non-zero pixel of the colour mask `annotations/<n>.PNG`
 * (`<n>_binary.PNG` repeats it in black and white); its category is the image's class, as in
 * the reference.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasForeground, nonZeroMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isFile, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage, reportProblem } from './support/problems.js';

/** Class index (0-based, as in the *_cls.txt files) → category; the reference's names, its 'thera' typo fixed. */
const CATEGORIES = ['chocolate_cyst', 'serous_cystadenoma', 'teratoma', 'theca_cell_tumor', 'simple_cyst', 'normal_ovary', 'mucinous_cystadenoma', 'high_grade_serous'];
const LISTS = [
  { file: 'train_cls.txt', officialSplit: undefined },
  { file: 'val_cls.txt', officialSplit: 'test' as const },
];

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const root = await requireDirectory(rawDir, ['OTU_2d', ''], 'OTU_2d');
  const prefix = root === '' ? '' : `${root}/`;
  for (const { file, officialSplit } of LISTS) {
    const listFile = `${prefix}${file}`;
    if (!(await isFile(join(rawDir, listFile)))) throw new Error(`${rawDir}: MMOTU-2D list ${listFile} not found`);
    const lines = (await readFile(join(rawDir, listFile), 'utf8')).split(/\r?\n/);
    for (const [lineNumber, line] of lines.entries()) {
      if (line.trim() === '') continue;
      const [name, classText] = line.trim().split(/\s+/);
      const classIndex = Number(classText);
      const category = CATEGORIES[classIndex];
      if (!Number.isInteger(classIndex) || category === undefined) {
        reportProblem(options, listFile, `line ${lineNumber + 1}: class '${classText}' is not 0..${CATEGORIES.length - 1}`);
        continue;
      }
      const stem = stemOf(name);
      const imageFile = `${prefix}images/${name}`;
      if (!(await isFile(join(rawDir, imageFile)))) {
        reportProblem(options, listFile, `line ${lineNumber + 1}: image ${imageFile} not found`);
        continue;
      }
      const image = await readRawImage(rawDir, imageFile, options);
      if (!image) continue;
      const maskImage = await readMaskFile(rawDir, `${prefix}annotations/${stem}.PNG`, imageFile, image, options);
      if (!maskImage) continue;
      const mask = nonZeroMask(maskImage);
      yield {
        image,
        index: stem,
        sourceFile: imageFile,
        masks: hasForeground(mask) ? [{ category, mask }] : [],
        labels: { class: category },
        ...(officialSplit ? { officialSplit } : {}),
      };
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'MMOTU-2D',
    aliases: ['MMOTU_2d', 'MMOTU2D', 'OTU_2d'],
    anatomy: 'ovary',
    structures: CATEGORIES,
    modality: 'B-mode ultrasound',
    url: 'https://github.com/cv516Buaa/MMOTU_DS2Net',
    licence: 'not stated',
    citation:
      'Zhao Q, Lyu S, Bai W, Cai L, Liu B, Wu M, Sang X, Yang M, Chen L. A multi-modality ovarian tumor ultrasound image ' +
      'dataset for unsupervised cross-domain semantic segmentation. arXiv:2207.06799, 2022.',
    layout:
      'OTU_2d/images/<n>.JPG, OTU_2d/annotations/<n>.PNG (colour mask, non-zero = lesion), OTU_2d/train_cls.txt and ' +
      'OTU_2d/val_cls.txt (lines "<n>.JPG <class 0..7>"; val = official test). The OTU_2d/ level may be omitted.',
    imageLabels: ['class'],
    evaluationOnly: true,
  },
  convert,
};
