/**
 * STMUS_NDA: transverse B-mode images of three muscles (BB biceps brachii, GM gastrocnemius
 * medialis, TA tibialis anterior) of healthy people and patients with neuromuscular disease,
 * with a mask of the muscle's cross-section ('transverse_musculoskeletal' in the reference).
 */
import { join } from 'node:path';
import { hasForeground, nonZeroMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { folderOf, isDirectory, listFiles, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

const CATEGORY = 'transverse_musculoskeletal';
const MUSCLES = ['BB', 'GM', 'TA'] as const;
const ROOT = 'Polito-Radboud-DeepLearningUS';

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const root = (await isDirectory(join(rawDir, ROOT))) ? `${ROOT}/` : '';
  let found = 0;
  for (const muscle of MUSCLES) {
    const muscleDir = `${root}${muscle}`;
    if (!(await isDirectory(join(rawDir, muscleDir)))) continue;
    found++;
    // <muscle>/<condition>/Images/<name>.png with its mask at <muscle>/<condition>/Masks/<name>.png.
    for (const relative of await listFiles(join(rawDir, muscleDir), { extensions: ['.png'] })) {
      const folder = folderOf(relative);
      if (!/(^|\/)Images$/i.test(folder)) continue;
      const imageFile = `${muscleDir}/${relative}`;
      const image = await readRawImage(rawDir, imageFile, options);
      if (!image) continue;
      const maskFile = `${muscleDir}/${folder.replace(/Images$/i, 'Masks')}/${relative.slice(folder.length + 1)}`;
      const maskImage = await readMaskFile(rawDir, maskFile, imageFile, image, options);
      if (!maskImage) continue;
      const mask = nonZeroMask(maskImage);
      // The reference skips images without a traced muscle.
      if (!hasForeground(mask)) continue;
      const condition = folder.split('/').find((part) => /^(healthy|pathological)$/i.test(part));
      const labels: Record<string, string> = { muscle };
      if (condition) labels.condition = condition.toLowerCase();
      yield {
        image,
        index: `${muscle}_${condition ? `${condition.toLowerCase()}_` : ''}${stemOf(relative)}`,
        sourceFile: imageFile,
        masks: [{ category: CATEGORY, mask }],
        labels,
      };
    }
  }
  if (found === 0) throw new Error(`${rawDir}: no STMUS_NDA muscle folder found (expected ${MUSCLES.map((m) => `${root}${m}/`).join(', ')})`);
}

export const dataset: DatasetModule = {
  info: {
    name: 'STMUS_NDA',
    aliases: [ROOT],
    anatomy: 'skeletal muscle (arm and leg, transverse)',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound',
    url: 'https://data.mendeley.com/datasets/3jykz7wz8d/1',
    licence: 'CC BY 4.0',
    citation:
      'Marzola F, van Alfen N, Doorduin J, Meiburger KM. Deep learning segmentation of transverse musculoskeletal ' +
      'ultrasound images for neuromuscular disease assessment. Computers in Biology and Medicine 135:104623, 2021.',
    layout:
      'Polito-Radboud-DeepLearningUS/{BB,GM,TA}/{Healthy,Pathological}/Images/<name>.png with masks .../Masks/<name>.png ' +
      '(non-zero = muscle), as unpacked from DATASET_10.1016j.compbiomed.2021.104623.zip; the Polito-Radboud-DeepLearningUS/ ' +
      'level may be omitted. Images with an empty mask are skipped.',
    imageLabels: ['muscle', 'condition'],
  },
  convert,
};
