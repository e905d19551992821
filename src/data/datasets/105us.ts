/**
 * 105US: 2-D B-mode images of liver metastases of pancreatic cancer with tumour masks.
 * Masks are named after their image's number ('12.png' ↔ '12 G man.png'), so images and masks
 * are paired on the leading number of the file name, as the reference converter does.
 */
import { hasForeground, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { folderOf, listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage, reportProblem } from './support/problems.js';

const CATEGORY = 'tumor';

/** The number a 105US file name starts with ('12 G man' → '12'), or undefined. */
function leadingNumber(stem: string): string | undefined {
  const match = /^\s*(\d+)/.exec(stem);
  return match ? String(Number(match[1])) : undefined;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const imageDir = await requireDirectory(rawDir, ['Images', '105US/Images'], 'Images');
  const maskDir = imageDir.replace(/Images$/, 'Masks');
  const pngs = await listFiles(rawDir, { extensions: ['.png'] });
  const masksByNumber = new Map<string, string>();
  for (const file of pngs) {
    if (folderOf(file) !== maskDir) continue;
    const number = leadingNumber(stemOf(file));
    if (number !== undefined) masksByNumber.set(number, file);
  }
  for (const imageFile of pngs) {
    if (folderOf(imageFile) !== imageDir) continue;
    const number = leadingNumber(stemOf(imageFile));
    if (number === undefined) {
      reportProblem(options, imageFile, 'image name does not start with its number');
      continue;
    }
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskFile = masksByNumber.get(number) ?? `${maskDir}/${number} G man.png`;
    const maskImage = await readMaskFile(rawDir, maskFile, imageFile, image, options);
    if (!maskImage) continue;
    const mask = thresholdMask(maskImage);
    // The reference drops images whose mask is empty: every image is meant to show a tumour.
    if (!hasForeground(mask)) continue;
    yield { image, index: number, sourceFile: imageFile, masks: [{ category: CATEGORY, mask }] };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: '105US',
    anatomy: 'liver (metastases of pancreatic cancer)',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound',
    url: 'https://www.researchgate.net/publication/329586355_100_2D_US_Images_and_Tumor_Segmentation_Masks',
    licence: 'not stated',
    citation: '"100 2D US Images and Tumor Segmentation Masks", dataset published on ResearchGate (publication 329586355), 2018.',
    layout:
      'Images/<n>.png (B-mode images) and Masks/<n> G man.png (tumour masks, 0/255, paired on the leading number ' +
      '<n>); the two folders may sit under a 105US/ folder. Images whose mask is empty are skipped.',
    imageLabels: [],
  },
  convert,
};
