/**
 * BUS_UC (Breast Ultrasound Cancer): benign and malignant breast tumours, each class folder
 * holding `images/` and `masks/` with the same file names. Some masks are saved at another size
 * than their image; they are resized to the image by nearest neighbour, as the reference does.
 */
import { join } from 'node:path';
import { hasForeground, resizeMaskNearest, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, listFiles, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

const CATEGORY_OF_CLASS = { Benign: 'breast_benign', Malignant: 'breast_malignant' } as const;

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  let found = 0;
  for (const [tumourClass, category] of Object.entries(CATEGORY_OF_CLASS)) {
    // The archive's 'All/' folder repeats both classes; reading the class folders alone avoids duplicates.
    const classDir = (await isDirectory(join(rawDir, tumourClass))) ? tumourClass : `BUS_UC/${tumourClass}`;
    if (!(await isDirectory(join(rawDir, classDir, 'images')))) continue;
    found++;
    for (const name of await listFiles(join(rawDir, classDir, 'images'), { extensions: ['.png'], recursive: false })) {
      const imageFile = `${classDir}/images/${name}`;
      const image = await readRawImage(rawDir, imageFile, options);
      if (!image) continue;
      const maskImage = await readMaskFile(rawDir, `${classDir}/masks/${name}`, imageFile, image, options, { allowOtherSize: true });
      if (!maskImage) continue;
      let mask = thresholdMask(maskImage);
      // The reference keeps only images whose mask shows the tumour.
      if (!hasForeground(mask)) continue;
      if (maskImage.width !== image.width || maskImage.height !== image.height) {
        mask = resizeMaskNearest(mask, maskImage.width, maskImage.height, image.width, image.height);
      }
      yield {
        image,
        index: `${tumourClass.toLowerCase()}_${stemOf(name)}`,
        sourceFile: imageFile,
        masks: [{ category, mask }],
        labels: { class: tumourClass.toLowerCase() },
      };
    }
  }
  if (found === 0) throw new Error(`${rawDir}: no BUS_UC class folder found (expected Benign/images/ and Malignant/images/)`);
}

export const dataset: DatasetModule = {
  info: {
    name: 'BUS_UC',
    aliases: ['BUS-UC'],
    anatomy: 'breast',
    structures: Object.values(CATEGORY_OF_CLASS),
    modality: 'B-mode ultrasound',
    url: 'https://data.mendeley.com/datasets/3ksd7w7jkx/1',
    licence: 'CC BY 4.0',
    citation: 'Iqbal A, Sharif M. BUS_UC: Breast Ultrasound Cancer dataset. Mendeley Data, V1, 2023. doi:10.17632/3ksd7w7jkx.1',
    layout:
      '{Benign,Malignant}/images/<name>.png with masks {Benign,Malignant}/masks/<name>.png (0/255; resized to the image ' +
      'by nearest neighbour when their size differs); an enclosing BUS_UC/ folder is accepted and All/ is ignored. ' +
      'Images with an empty mask are skipped.',
    imageLabels: ['class'],
  },
  convert,
};
