/**
 * BUSI (Breast Ultrasound Images, Al-Dhabyani et al. 2020): breast lesions; kept for evaluation.
 * Raw layout: `Dataset_BUSI_with_GT/{benign,malignant,normal}/<class> (<n>).png` (RGB PNG) with
 * masks `<class> (<n>)_mask.png` and, for images with several lesions, `_mask_1.png`, `_mask_2.png`
 * (0/255, thresholded at 127). Each mask file is one annotator's lesion outline: they are yielded as
 * separate masks so that touching lesions stay separate instances. Normal images have empty masks
 * and are kept as images without annotations. The class of every image is kept as the label `class`
 * (BUSI is a classification benchmark too). No patient ids are published.
 */
import { join } from 'node:path';
import { thresholdMask } from '../masks.js';
import { isDirectory, listFiles } from './support/files.js';
import { readRawImage, reportProblem } from './support/problems.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';

const CLASSES = ['benign', 'malignant', 'normal'] as const;

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const base = (await isDirectory(join(rawDir, 'Dataset_BUSI_with_GT'))) ? 'Dataset_BUSI_with_GT' : '';
  const present: string[] = [];
  for (const c of CLASSES) if (await isDirectory(join(rawDir, base, c))) present.push(c);
  if (present.length === 0) throw new Error(`BUSI: no Dataset_BUSI_with_GT/{benign,malignant,normal}/ folders under ${rawDir}`);
  for (const label of present) {
    const folder = base ? `${base}/${label}` : label;
    const files = await listFiles(join(rawDir, folder), { recursive: false, match: /\.png$/i });
    const masksOf = new Map<string, string[]>();
    for (const file of files) {
      const match = /^(.*)_mask(?:_\d+)?\.png$/i.exec(file);
      if (match) masksOf.set(match[1], [...(masksOf.get(match[1]) ?? []), file]);
    }
    // `_mask.png` first, then `_mask_1.png`, `_mask_2.png`, ...
    const maskNumber = (file: string) => Number(/_mask_(\d+)\.png$/i.exec(file)?.[1] ?? 0);
    for (const masks of masksOf.values()) masks.sort((a, b) => maskNumber(a) - maskNumber(b));
    for (const file of files.filter((f) => !/_mask(?:_\d+)?\.png$/i.test(f))) {
      const stem = file.replace(/\.png$/i, '');
      const source = `${folder}/${file}`;
      const maskFiles = masksOf.get(stem) ?? [];
      if (maskFiles.length === 0) {
        reportProblem(options, source, `missing mask ${folder}/${stem}_mask.png`);
        continue;
      }
      const image = await readRawImage(rawDir, source, options);
      if (!image) continue;
      const masks: ConvertedSample['masks'] = [];
      let usable = true;
      for (const maskFile of maskFiles) {
        const maskImage = await readRawImage(rawDir, `${folder}/${maskFile}`, options, 'mask');
        if (!maskImage) {
          usable = false;
          break;
        }
        if (maskImage.width !== image.width || maskImage.height !== image.height) {
          reportProblem(options, `${folder}/${maskFile}`, `mask is ${maskImage.width}×${maskImage.height}, image ${image.width}×${image.height} (size mismatch)`);
          usable = false;
          break;
        }
        masks.push({ category: 'breast_lesion', mask: thresholdMask(maskImage) });
      }
      if (!usable) continue;
      // "benign (12)" → index "benign_12"
      const number = /\((\d+)\)$/.exec(stem)?.[1] ?? stem;
      yield { image, index: `${label}_${number}`, sourceFile: source, masks, labels: { class: label } };
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'BUSI',
    aliases: ['Dataset_BUSI_with_GT', 'busi_dataset'],
    anatomy: 'breast',
    structures: ['breast_lesion'],
    modality: 'B-mode ultrasound, 2D images',
    url: 'https://scholar.cu.edu.eg/?q=afahmy/pages/dataset',
    licence: "not stated on the authors' page",
    citation: 'Al-Dhabyani W, Gomaa M, Khaled H, Fahmy A. Dataset of breast ultrasound images. Data in Brief 28, 104863 (2020).',
    layout: 'Dataset_BUSI_with_GT/{benign,malignant,normal}/<class> (<n>).png with <class> (<n>)_mask.png (+ _mask_1.png, _mask_2.png), masks 0/255',
    imageLabels: ['class'],
    evaluationOnly: true,
  },
  convert,
};
