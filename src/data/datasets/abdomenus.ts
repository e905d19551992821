/**
 * AbdomenUS (Kaggle "US simulation & segmentation"): real abdominal B-mode scans (RUS) with
 * colour-coded masks of eight organs, beside synthetic ray-cast images (AUS) that are skipped:
 * the corpus keeps real ultrasound only.
 */
import { join } from 'node:path';
import { type ColourClass, colourMasks, hasForeground } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

/** The annotation colours (RGB) of the published masks, with the reference's category names. */
const COLOURS: ColourClass[] = [
  { category: 'liver', rgb: [100, 0, 100] },
  { category: 'kidney', rgb: [255, 255, 0] },
  { category: 'pancreas', rgb: [0, 0, 255] },
  { category: 'vessels', rgb: [255, 0, 0] },
  { category: 'adrenals', rgb: [0, 255, 255] },
  { category: 'gallbladder', rgb: [0, 255, 0] },
  { category: 'bones', rgb: [255, 255, 255] },
  { category: 'spleen', rgb: [255, 0, 255] },
];

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const realDir = await requireDirectory(rawDir, ['abdominal_US/RUS', 'RUS'], 'real-image (RUS)');
  for (const split of ['train', 'test'] as const) {
    const annotationDir = `${realDir}/annotations/${split}`;
    if (!(await isDirectory(join(rawDir, annotationDir)))) continue;
    // Only annotated images are used: the real training images are mostly unannotated. The
    // train/test folders are the CycleGAN study's partition, not a benchmark test set, and most
    // annotated real images sit in test/, so no official split is kept (all would be test).
    for (const annotation of await listFiles(join(rawDir, annotationDir), { extensions: ['.png'], recursive: false })) {
      const stem = stemOf(annotation);
      const imageFile = `${realDir}/images/${split}/${stem}.png`;
      const image = await readRawImage(rawDir, imageFile, options);
      if (!image) continue;
      const maskImage = await readMaskFile(rawDir, `${annotationDir}/${annotation}`, imageFile, image, options);
      if (!maskImage) continue;
      const masks = colourMasks(maskImage, COLOURS).filter(({ mask }) => hasForeground(mask));
      yield {
        image,
        index: `${split}_${stem}`,
        sourceFile: imageFile,
        masks,
      };
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'AbdomenUS',
    anatomy: 'abdomen',
    structures: COLOURS.map((c) => c.category),
    modality: 'B-mode ultrasound',
    url: 'https://www.kaggle.com/datasets/ignaciorlando/ussimandsegm',
    licence: 'not stated',
    citation:
      'Vitale S, Orlando JI, Iarussi E, Larrabide I. Improving realism in patient-specific abdominal ultrasound simulation ' +
      'using CycleGANs. International Journal of Computer Assisted Radiology and Surgery 15:183–192, 2020.',
    layout:
      'abdominal_US/RUS/images/{train,test}/<name>.png with colour-coded masks abdominal_US/RUS/annotations/{train,test}/<name>.png ' +
      '(liver (100,0,100), kidney yellow, pancreas blue, vessels red, adrenals cyan, gallbladder green, bones white, ' +
      'spleen magenta). The synthetic abdominal_US/AUS/ images are skipped, and real images without an annotation too.',
    imageLabels: [],
  },
  convert,
};
