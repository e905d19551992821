/**
 * CCAUI (Common Carotid Artery Ultrasound Images): 1,100 longitudinal B-mode frames of the
 * common carotid artery from 11 subjects (100 each), with expert masks under the same names.
 * Frame names are '<acquisition>_slice_<n>.png'; the acquisition code identifies the subject.
 * Evaluation-only: kept, with BUSI, BUS-BRA and MMOTU, for measuring generalisation to unseen anatomy.
 */
import { join } from 'node:path';
import { hasForeground, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

const CATEGORY = 'carotid_artery';
const ROOT = 'Common Carotid Artery Ultrasound Images';

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const imageDir = await requireDirectory(rawDir, ['US images', `${ROOT}/US images`], "'US images'");
  const maskDir = imageDir.replace(/US images$/, 'Expert mask images');
  for (const name of await listFiles(join(rawDir, imageDir), { extensions: ['.png'], recursive: false })) {
    const imageFile = `${imageDir}/${name}`;
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskImage = await readMaskFile(rawDir, `${maskDir}/${name}`, imageFile, image, options);
    if (!maskImage) continue;
    const mask = thresholdMask(maskImage);
    // The reference skips frames whose mask is empty.
    if (!hasForeground(mask)) continue;
    const stem = stemOf(name);
    const match = /^(.*)_slice_(\d+)$/i.exec(stem);
    yield {
      image,
      ...(match ? { patient: match[1] } : {}),
      index: match ? match[2] : stem,
      sourceFile: imageFile,
      masks: [{ category: CATEGORY, mask }],
    };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'CCAUI',
    aliases: [ROOT, 'Common_Carotid_Artery_Ultrasound_Images'],
    anatomy: 'neck (common carotid artery)',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound',
    url: 'https://data.mendeley.com/datasets/d4xt63mgjm/1',
    licence: 'CC BY 4.0',
    citation: 'Momot A. Common Carotid Artery Ultrasound Images. Mendeley Data, V1, 2022. doi:10.17632/d4xt63mgjm.1',
    layout:
      "'US images'/<acquisition>_slice_<n>.png with masks 'Expert mask images'/<same name> (0/255), optionally under " +
      "'Common Carotid Artery Ultrasound Images/'. The acquisition code is the patient. Frames with an empty mask are skipped.",
    imageLabels: ['patient'],
    evaluationOnly: true,
  },
  convert,
};
