/**
 * TG3K (thyroid gland, 3,585 frames; released with TRFE-Net, Gong et al. 2021).
 * Two raw layouts are read:
 * - the original release: `thyroid-image/<id>.jpg` with `thyroid-mask/<id>.jpg`;
 * - the processed 256×256 copy: `image/{train,val,test}/<id>.jpg` with `mask/{train,val,test}/<id>.jpg`.
 * Masks are JPEG, so thresholded at 127. They also hold specks apart from the gland (two marks at
 * the same place, near (1, 36) and (5, 38), in every mask, and JPEG debris): on the 717 shared masks
 * every component is either ≤ 40 px or ≥ 106 px, the gland's lobes being the latter, so components
 * under 0.1 % of the image (66 px at 256×256) are dropped. The processed copy's train/val/test folders come from a
 * third party, not the authors, so they are kept as the image label `source_split`, not as an
 * official split. No patient ids are published.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { removeSmallComponents } from '../components.js';
import { thresholdMask } from '../masks.js';
import { isDirectory, listFiles } from './support/files.js';
import { readRawImage, reportProblem } from './support/problems.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';

/** [image folder, mask folder, source split] triples relative to the raw dir. */
async function findFolders(rawDir: string): Promise<[string, string, string | undefined][]> {
  for (const prefix of ['', 'tg3k/', 'Thyroid Dataset/tg3k/']) {
    if (await isDirectory(join(rawDir, `${prefix}thyroid-image`))) {
      return [[`${prefix}thyroid-image`, `${prefix}thyroid-mask`, undefined]];
    }
  }
  const splits: string[] = [];
  for (const split of ['train', 'val', 'test']) if (await isDirectory(join(rawDir, 'image', split))) splits.push(split);
  if (splits.length > 0) return splits.map((split) => [`image/${split}`, `mask/${split}`, split]);
  throw new Error(`TG3K: raw layout not found under ${rawDir} (expected thyroid-image/ or image/{train,val,test}/)`);
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  for (const [imageFolder, maskFolder, split] of await findFolders(rawDir)) {
    for (const file of await listFiles(join(rawDir, imageFolder), { recursive: false, match: /\.jpe?g$/i })) {
      const source = `${imageFolder}/${file}`;
      const maskSource = `${maskFolder}/${file}`;
      if (!existsSync(join(rawDir, maskSource))) {
        reportProblem(options, source, `missing mask ${maskSource}`);
        continue;
      }
      const image = await readRawImage(rawDir, source, options);
      const maskImage = await readRawImage(rawDir, maskSource, options, 'mask');
      if (!image || !maskImage) continue;
      if (maskImage.width !== image.width || maskImage.height !== image.height) {
        reportProblem(options, maskSource, `mask is ${maskImage.width}×${maskImage.height}, image ${image.width}×${image.height} (size mismatch)`);
        continue;
      }
      const minArea = Math.ceil(0.001 * image.width * image.height);
      const sample: ConvertedSample = {
        image,
        index: file.replace(/\.jpe?g$/i, ''),
        sourceFile: source,
        masks: [{ category: 'thyroid_gland', mask: removeSmallComponents(thresholdMask(maskImage), image.width, image.height, minArea) }],
      };
      if (split) sample.labels = { source_split: split };
      yield sample;
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'TG3K',
    aliases: ['tg3k_dataset'],
    anatomy: 'thyroid',
    structures: ['thyroid_gland'],
    modality: 'B-mode ultrasound, frames of 2D videos',
    url: 'https://github.com/haifangong/TRFE-Net-for-thyroid-nodule-segmentation',
    licence: 'not stated',
    citation: 'Gong H, Chen G, Wang R, et al. Multi-task learning for thyroid nodule segmentation with thyroid region prior. IEEE ISBI 2021, 257-261.',
    layout: 'thyroid-image/<id>.jpg + thyroid-mask/<id>.jpg, or image/{train,val,test}/<id>.jpg + mask/{train,val,test}/<id>.jpg (JPEG masks, thresholded at 127)',
    imageLabels: ['source_split'],
  },
  convert,
};
