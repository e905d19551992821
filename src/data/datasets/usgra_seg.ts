/**
 * USGRA-Seg (2025): nerves and blood vessels in ultrasound-guided regional anaesthesia.
 * Raw layout: `dataset/images/<id>.png` + `dataset/masks/<id>.png` (204 pairs) and the official test
 * set `dataset/test/{images,masks}/<id>.png` (40 pairs); 512×512 8-bit grey images.
 *
 * Masks are palette PNGs (labelme's VOC colormap): the palette index is the label. The source does
 * not say which of labels 1 and 2 is which; measured on the 204 training masks, label 1 is in every
 * image (each scan is aimed at a nerve) with a median mean echo level of 78/255 (hyperechoic, the
 * fascicular nerve texture), while label 2 is in 183 images with a median of 28/255 (anechoic, a
 * vessel lumen). So 1 = nerve, 2 = vessel.
 * The polygon rasterisation left three isolated single pixels (the smallest real structure is
 * 17 px): components under 5 px are dropped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labelEquals, removeSmallComponents } from '../components.js';
import { readLabelPng } from '../palette_png.js';
import { isDirectory, listFiles } from './support/files.js';
import { readRawImage, reportProblem } from './support/problems.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';

const LABELS: [number, string][] = [
  [1, 'nerve'],
  [2, 'blood_vessel'],
];

/** `parts` joined with '/', empty parts left out: source paths relative to the raw dir. */
function relative(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}

/** One images/ + masks/ folder pair; `folder` is relative to the raw dir ('' for the raw dir itself). */
async function* convertFolder(rawDir: string, folder: string, split: 'train' | 'test', options: ConvertOptions): AsyncIterable<ConvertedSample> {
  for (const file of await listFiles(join(rawDir, folder, 'images'), { recursive: false, match: /\.png$/i })) {
    const source = relative(folder, 'images', file);
    const maskSource = relative(folder, 'masks', file);
    if (!existsSync(join(rawDir, maskSource))) {
      reportProblem(options, source, `missing mask ${maskSource}`);
      continue;
    }
    const image = await readRawImage(rawDir, source, options);
    if (!image) continue;
    let labelMap: Awaited<ReturnType<typeof readLabelPng>>;
    try {
      labelMap = await readLabelPng(join(rawDir, maskSource));
    } catch (error) {
      reportProblem(options, maskSource, `unreadable mask: ${(error as Error).message}`);
      continue;
    }
    if (labelMap.width !== image.width || labelMap.height !== image.height) {
      reportProblem(options, maskSource, `mask is ${labelMap.width}×${labelMap.height}, image ${image.width}×${image.height} (size mismatch)`);
      continue;
    }
    const unknown = [...new Set(labelMap.labels)].filter((v) => v !== 0 && !LABELS.some(([label]) => label === v));
    if (unknown.length > 0) options.warn(maskSource, `unknown label values ${unknown.join(', ')} ignored`);
    yield {
      image,
      index: file.replace(/\.png$/i, ''),
      sourceFile: source,
      masks: LABELS.map(([label, category]) => ({
        category,
        mask: removeSmallComponents(labelEquals(labelMap.labels, label), image.width, image.height, 5),
      })),
      officialSplit: split,
    };
  }
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  // The raw dir is the repository (holding dataset/) or dataset/ itself.
  const base = (await isDirectory(join(rawDir, 'dataset', 'images'))) ? 'dataset' : '';
  if (!(await isDirectory(join(rawDir, base, 'images')))) throw new Error(`USGRA-Seg: no dataset/images/ folder under ${rawDir}`);
  yield* convertFolder(rawDir, base, 'train', options);
  if (await isDirectory(join(rawDir, base, 'test', 'images'))) yield* convertFolder(rawDir, relative(base, 'test'), 'test', options);
}

export const dataset: DatasetModule = {
  info: {
    name: 'USGRA-Seg',
    aliases: ['usgra_seg', 'usgra-seg', 'usgraseg'],
    anatomy: 'peripheral nerves and blood vessels (regional anaesthesia)',
    structures: ['nerve', 'blood_vessel'],
    modality: 'B-mode ultrasound, 2D images (linear probe)',
    url: 'https://github.com/tmkand/usgra-seg',
    licence: 'CC BY 4.0 (dataset/LICENSE)',
    citation: 'Kandaouroff TM. USGRA-Seg: ultrasound-guided regional anaesthesia semantic segmentation dataset (2025), https://github.com/tmkand/usgra-seg.',
    layout: 'dataset/images/<id>.png + dataset/masks/<id>.png; official test set dataset/test/{images,masks}/<id>.png; palette masks, 1 nerve, 2 vessel',
    imageLabels: [],
  },
  convert,
};
