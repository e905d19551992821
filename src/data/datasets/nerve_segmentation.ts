/**
 * Ultrasound Nerve Segmentation (Kaggle, 2016): neck ultrasound frames of the brachial plexus,
 * 'train/<subject>_<frame>.tif' with the mask 'train/<subject>_<frame>_mask.tif'. About half the
 * frames show no nerve; they are kept as images without annotations (negatives matter here).
 */
import { join } from 'node:path';
import { hasForeground, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage, reportProblem } from './support/problems.js';

/** The reference named it 'cervical_nerves'; the competition's target is the brachial plexus. */
const CATEGORY = 'brachial_plexus';
const FRAME_NAME = /^(\d+)_(\d+)$/;

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const dir = await requireDirectory(rawDir, ['train', 'ultrasound-nerve-segmentation/train'], 'train');
  for (const name of await listFiles(join(rawDir, dir), { extensions: ['.tif', '.tiff'], recursive: false })) {
    const stem = stemOf(name);
    if (stem.endsWith('_mask')) continue;
    const imageFile = `${dir}/${name}`;
    const match = FRAME_NAME.exec(stem);
    if (!match) {
      reportProblem(options, imageFile, 'name is not <subject>_<frame>.tif');
      continue;
    }
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskImage = await readMaskFile(rawDir, `${dir}/${stem}_mask${name.slice(stem.length)}`, imageFile, image, options);
    if (!maskImage) continue;
    const mask = thresholdMask(maskImage);
    yield {
      image,
      patient: match[1],
      index: match[2],
      sourceFile: imageFile,
      masks: hasForeground(mask) ? [{ category: CATEGORY, mask }] : [],
    };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'Ultrasound_Nerve_Segmentation',
    aliases: ['ultrasound-nerve-segmentation', 'Ultrasound Nerve Segmentation', 'UNS'],
    anatomy: 'neck (brachial plexus)',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound',
    url: 'https://www.kaggle.com/c/ultrasound-nerve-segmentation/data',
    licence: 'Kaggle competition rules (no separate data licence stated)',
    citation: 'Kaggle. Ultrasound Nerve Segmentation competition, 2016. https://www.kaggle.com/c/ultrasound-nerve-segmentation',
    layout:
      'train/<subject>_<frame>.tif with masks train/<subject>_<frame>_mask.tif (0/255); test/ has no masks and is ignored. ' +
      'Frames with an empty mask are kept as images without annotations. The subject is the patient.',
    imageLabels: ['patient'],
  },
  convert,
};
