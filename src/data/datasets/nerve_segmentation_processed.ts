/**
 * Ultrasound Nerve Segmentation (Kaggle 2016), processed copy: atlan-antillia's "Nerve" dataset, a
 * variant of the `Ultrasound_Nerve_Segmentation` entry (the competition's TIFFs), not a substitute.
 * Raw layout: `[Nerve/]{train,valid,test}/images/<subject>_<frame>.jpg` with
 * `{train,valid,test}/masks/<subject>_<frame>_mask.jpg`, 256×256 JPEG.
 *
 * What the copy did, and what is done about it here:
 * - The 580×420 frames were padded to a square with grey and resized to 256×256: the flat bands at
 *   the edges are cropped off again (rows and columns whose grey values span ≤ 8), which gives
 *   back the frame's aspect ratio (256×192 on every frame of the public copy; the band edges
 *   blend with the padding over 2–3 rows). A mask pixel in the padding is reported.
 * - Only frames with a nerve were kept (no negative frames, unlike the competition's data).
 * - Its train/test folders split frames, not subjects; kept as the label `source_split` only. The
 *   subject number in the file name (the competition's: "every image with the same subject number
 *   comes from the same person") is the patient, so a split here never separates a subject.
 * - Masks are JPEG, resized: thresholded at 127; components under 0.1 % of the frame (specks) dropped.
 * Same subjects as the competition's data: never put this and Ultrasound_Nerve_Segmentation on
 * opposite sides of a train/evaluation line.
 */
import { join } from 'node:path';
import { removeSmallComponents, toGray } from '../components.js';
import { contentBox, cropPixels } from '../formats/frame_ops.js';
import { hasForeground, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, listFiles } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage, reportProblem } from './support/problems.js';

const CATEGORY = 'brachial_plexus';
const SOURCE_SPLITS = ['train', 'valid', 'test'];
const FRAME_NAME = /^(\d+)_(\d+)\.jpe?g$/i;
/** Grey-value span of a padding row or column: JPEG leaves a few levels of noise on flat grey. */
const PADDING_TOLERANCE = 8;

function countSet(mask: Uint8Array): number {
  return mask.reduce((n, v) => n + v, 0);
}

async function splitFolders(rawDir: string): Promise<{ folder: string; split: string }[]> {
  for (const base of ['', 'Nerve']) {
    const found: { folder: string; split: string }[] = [];
    for (const split of SOURCE_SPLITS) {
      const folder = base === '' ? split : `${base}/${split}`;
      if (await isDirectory(join(rawDir, folder, 'images'))) found.push({ folder, split });
    }
    if (found.length > 0) return found;
  }
  throw new Error(`Ultrasound_Nerve_Segmentation-processed: no {train,valid,test}/images folder under ${rawDir} (nor Nerve/)`);
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const seen = new Map<string, string>();
  let images = 0;
  for (const { folder, split } of await splitFolders(rawDir)) {
    for (const name of await listFiles(join(rawDir, folder, 'images'), { extensions: ['.jpg', '.jpeg'], recursive: false })) {
      const imageFile = `${folder}/images/${name}`;
      const match = FRAME_NAME.exec(name);
      if (!match) {
        reportProblem(options, imageFile, 'name is not <subject>_<frame>.jpg');
        continue;
      }
      const [, subject, frame] = match;
      const key = `${Number(subject)}_${Number(frame)}`;
      const first = seen.get(key);
      if (first) {
        reportProblem(options, imageFile, `frame ${key} is also ${first}: duplicate left out`);
        continue;
      }
      seen.set(key, imageFile);
      images++;
      const padded = await readRawImage(rawDir, imageFile, options);
      if (!padded) continue;
      const maskFile = `${folder}/masks/${name.replace(/\.jpe?g$/i, '')}_mask${name.slice(name.lastIndexOf('.'))}`;
      const maskImage = await readMaskFile(rawDir, maskFile, imageFile, padded, options);
      if (!maskImage) continue;
      const { width, height, channels } = padded;
      const box = contentBox(toGray(padded), width, height, PADDING_TOLERANCE);
      if (!box) {
        reportProblem(options, imageFile, 'image is one flat grey: nothing but padding');
        continue;
      }
      const fullMask = thresholdMask(maskImage);
      const cropped = cropPixels(fullMask, width, height, box);
      const outside = countSet(fullMask) - countSet(cropped);
      if (outside > 0) reportProblem(options, maskFile, `${outside} mask pixels lie in the padding, outside the frame (cut off)`);
      const minArea = Math.ceil(0.001 * box.width * box.height);
      const mask = removeSmallComponents(cropped, box.width, box.height, minArea);
      yield {
        image: { data: cropPixels(padded.data, width, height, box, channels), width: box.width, height: box.height, channels },
        patient: String(Number(subject)),
        index: String(Number(frame)),
        sourceFile: imageFile,
        masks: hasForeground(mask) ? [{ category: CATEGORY, mask }] : [],
        labels: { source_split: split },
      };
    }
  }
  if (images === 0) throw new Error(`Ultrasound_Nerve_Segmentation-processed: no <subject>_<frame>.jpg images under ${rawDir}`);
}

export const dataset: DatasetModule = {
  info: {
    name: 'Ultrasound_Nerve_Segmentation-processed',
    aliases: ['Image-Segmentation-Nerve', 'nerve_processed'],
    anatomy: 'neck (brachial plexus)',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound; frames padded to square and resized to 256×256 JPEG by the copy (padding cropped here)',
    url: 'https://github.com/atlan-antillia/Image-Segmentation-Nerve (from https://www.kaggle.com/c/ultrasound-nerve-segmentation)',
    licence: "Kaggle competition rules (no separate data licence stated; the copy's repository is Apache-2.0 for its code)",
    citation: 'Kaggle. Ultrasound Nerve Segmentation competition, 2016. https://www.kaggle.com/c/ultrasound-nerve-segmentation',
    layout:
      '[Nerve/]{train,valid,test}/images/<subject>_<frame>.jpg with {train,valid,test}/masks/<subject>_<frame>_mask.jpg (JPEG, thresholded ' +
      "at 127); grey padding cropped off; the subject is the patient; the copy's folders kept as the label source_split.",
    imageLabels: ['patient', 'source_split'],
  },
  convert,
};
