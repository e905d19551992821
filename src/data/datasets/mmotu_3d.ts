/**
 * MMOTU-3D (Zhao et al., "A Multi-Modality Ovarian Tumor Ultrasound Image Dataset", 2022): ovarian
 * lesions in 3-D-ultrasound-derived 2D images (OTU_3d, 170 images).
 * Raw layout (the `OTU_3d` folder of the MMOTU release): `OTU_3d/images/<n>.JPG` with the lesion
 * annotation `OTU_3d/annotations/<n>.PNG`; every non-black annotation pixel is lesion. Files whose
 * name contains `_` (the release's derived variants, e.g. `<n>_binary.PNG`) are not used, as in the
 * UltraSam reference.
 */
import { join } from 'node:path';
import { toGray } from '../components.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage, reportProblem } from './support/problems.js';

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const root = await requireDirectory(rawDir, ['OTU_3d', ''], 'OTU_3d');
  const prefix = root === '' ? '' : `${root}/`;
  const images = (await listFiles(join(rawDir, root, 'images'), { extensions: ['.jpg', '.jpeg', '.png'] })).filter((f) => !stemOf(f).includes('_'));
  if (images.length === 0) throw new Error(`MMOTU-3D: no images under ${join(rawDir, prefix, 'images')}`);
  const annotations = new Map<string, string>();
  for (const file of await listFiles(join(rawDir, root, 'annotations'), { extensions: ['.png', '.jpg'] })) {
    if (!stemOf(file).includes('_')) annotations.set(stemOf(file), file);
  }
  for (const file of images) {
    const source = `${prefix}images/${file}`;
    const annotation = annotations.get(stemOf(file));
    if (!annotation) {
      reportProblem(options, source, `missing mask: no annotations/${stemOf(file)}.PNG`);
      continue;
    }
    const image = await readRawImage(rawDir, source, options);
    if (!image) continue;
    const maskImage = await readMaskFile(rawDir, `${prefix}annotations/${annotation}`, source, image, options);
    if (!maskImage) continue;
    const grey = toGray(maskImage);
    const mask = new Uint8Array(grey.length);
    for (let i = 0; i < grey.length; i++) if (grey[i] !== 0) mask[i] = 1;
    yield { image, index: stemOf(file), sourceFile: source, masks: [{ category: 'lesion', mask }] };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'MMOTU-3D',
    aliases: ['MMOTU_3d', 'mmotu_3d', 'OTU_3d'],
    anatomy: 'ovary (tumour)',
    structures: ['lesion'],
    modality: '3-D ultrasound (rendered 2D images)',
    url: 'https://github.com/cv516Buaa/MMOTU_DS2Net',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Zhao Q, Lyu S, Bai W, et al. A Multi-Modality Ovarian Tumor Ultrasound Image Dataset for Unsupervised Cross-Domain Semantic Segmentation. arXiv:2207.06799 (2022).',
    layout: '[OTU_3d/]images/<n>.JPG + annotations/<n>.PNG (non-black = lesion); names with "_" are skipped.',
    imageLabels: [],
    evaluationOnly: true,
  },
  convert,
};
