/**
 * BUS-UCLM: 683 breast ultrasound images of 38 patients. Masks are RGB: green marks a benign
 * lesion, red a malignant one, black the rest. Image names start with a patient code
 * ('ANFO_005.png' → patient 'ANFO').
 */
import { join } from 'node:path';
import { type ColourClass, colourMasks, hasForeground } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

const COLOURS: ColourClass[] = [
  { category: 'benign_breast_lesion', rgb: [0, 255, 0] },
  { category: 'malignant_breast_lesion', rgb: [255, 0, 0] },
];
const CLASS_OF_CATEGORY: Record<string, string> = {
  benign_breast_lesion: 'benign',
  malignant_breast_lesion: 'malignant',
};

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const imageDir = await requireDirectory(rawDir, ['images', 'BUS-UCLM/images', 'BUS_UCLM/images'], 'images');
  const maskDir = imageDir.replace(/images$/, 'masks');
  for (const name of await listFiles(join(rawDir, imageDir), { extensions: ['.png'], recursive: false })) {
    const imageFile = `${imageDir}/${name}`;
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskImage = await readMaskFile(rawDir, `${maskDir}/${name}`, imageFile, image, options);
    if (!maskImage) continue;
    const masks = colourMasks(maskImage, COLOURS).filter(({ mask }) => hasForeground(mask));
    // As the reference does, normal images (no lesion) are left out of this segmentation corpus.
    if (masks.length === 0) continue;
    const stem = stemOf(name);
    const patient = /^([A-Za-z]+)_/.exec(stem)?.[1];
    yield {
      image,
      ...(patient ? { patient } : {}),
      index: stem,
      sourceFile: imageFile,
      masks,
      labels: { class: masks.map((m) => CLASS_OF_CATEGORY[m.category]).join('+') },
    };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'BUS-UCLM',
    aliases: ['BUS_UCLM'],
    anatomy: 'breast',
    structures: COLOURS.map((c) => c.category),
    modality: 'B-mode ultrasound',
    url: 'https://data.mendeley.com/datasets/7fvgj4jsp7/1',
    licence: 'CC BY-NC 4.0 (as listed on Mendeley Data; some copies quote CC BY 4.0)',
    citation:
      'Vallez N, Bueno G, Deniz O, Rienda MA, Pastor C. BUS-UCLM: Breast ultrasound lesion segmentation dataset. ' +
      'Scientific Data 12:242, 2025.',
    layout:
      'images/<PATIENT>_<nnn>.png with RGB masks masks/<PATIENT>_<nnn>.png (green (0,255,0) benign, red (255,0,0) ' +
      'malignant, black background); an enclosing BUS-UCLM/ folder is accepted. Normal images (all-black mask) are skipped.',
    imageLabels: ['class', 'patient'],
  },
  convert,
};
