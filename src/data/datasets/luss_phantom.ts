/**
 * LUSS_phantom: lung ultrasound of a phantom with label masks of five structures and artefacts,
 * stored as grey values 1 rib, 2 pleural line, 3 A-line, 4 B-line, 5 B-line confluence (the
 * reference's category ids). Masks sit in a folder whose name contains 'mask' and share their
 * image's file name.
 */
import { hasForeground, valueRangeMasks } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { folderOf, listFiles, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage, reportProblem } from './support/problems.js';

const CATEGORIES = ['rib', 'pleural_line', 'A_line', 'B_line', 'B_line_confluence'];
const CLASSES = CATEGORIES.map((category, k) => ({ category, min: k + 1, max: k + 1 }));

const isMaskPath = (file: string) =>
  folderOf(file)
    .split('/')
    .some((part) => /mask/i.test(part));

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const files = await listFiles(rawDir, { extensions: ['.png'] });
  const maskByStem = new Map<string, string>();
  for (const file of files.filter(isMaskPath)) maskByStem.set(stemOf(file), file);
  if (maskByStem.size === 0) throw new Error(`${rawDir}: no LUSS_phantom masks found (PNG files in a folder named *mask*)`);
  const seen = new Map<string, string>();
  for (const imageFile of files.filter((f) => !isMaskPath(f))) {
    const stem = stemOf(imageFile);
    const earlier = seen.get(stem);
    if (earlier !== undefined) {
      reportProblem(options, imageFile, `image name ${stem} is also used by ${earlier}: cannot tell which mask is whose`);
      continue;
    }
    seen.set(stem, imageFile);
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskFile = maskByStem.get(stem) ?? `masks/${stem}.png`;
    const maskImage = await readMaskFile(rawDir, maskFile, imageFile, image, options);
    if (!maskImage) continue;
    const masks = valueRangeMasks(maskImage, CLASSES).filter(({ mask }) => hasForeground(mask));
    yield { image, index: stem, sourceFile: imageFile, masks };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'LUSS_phantom',
    aliases: ['LUSS-phantom', 'LUSS'],
    anatomy: 'lung (phantom)',
    structures: CATEGORIES,
    modality: 'B-mode ultrasound (phantom)',
    url: 'https://archive.researchdata.leeds.ac.uk/1263/',
    licence: 'CC BY 4.0 (Research Data Leeds)',
    citation: 'Lung ultrasound segmentation phantom dataset (LUSS phantom), Research Data Leeds, record 1263.',
    layout:
      '<any folders>/<name>.png images with label masks <folder named *mask*>/<name>.png (grey 1 rib, 2 pleural line, ' +
      '3 A-line, 4 B-line, 5 B-line confluence, 0 background); image names must be unique.',
    imageLabels: [],
  },
  convert,
};
