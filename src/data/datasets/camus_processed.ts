/**
 * CAMUS, processed copy: atlan-antillia's "Cardiac-Acquisitions" ImageMask dataset (derived from
 * CAMUS_public, Leclerc et al. 2019), a variant of the `CAMUS` entry (NIfTI release), not a
 * substitute: other pixels, another annotation, other frames.
 * Raw layout: `[dataset/Cardiac-Acquisitions/]{train,valid,test}/{images,masks}/
 * [mirrored_]patientNNNN_{2CH,4CH}_{ED,ES}.jpg`, 512×512 JPEG (the public snapshot holds only `test/`).
 *
 * What the copy did, and what is done about it here:
 * - Frames were resized to 512×512 whatever their aspect ratio; kept as they are (no calibration).
 * - The left-ventricle cavity, the myocardium and the left atrium are merged into one white region:
 *   one category, `left_ventricle_and_atrium`. Masks are JPEG: thresholded at 127. (The CAMUS rule
 *   that drops labels where the image is 0 is not applied: in these JPEGs the blood pool inside the
 *   cavity is 0 too.)
 * - `mirrored_<name>` is the left-right mirror image of frame `<name>` (image and mask), added as
 *   augmentation. A mirrored copy whose original is present is a duplicate and is left out; one
 *   whose original is absent is flipped back, so every frame stands as acquired, and labelled
 *   `mirrored_copy_flipped_back: 1`. Either way a frame is converted once, under its patient.
 * - The patient (`patientNNNN`, CAMUS's own id) is kept, so a split never separates a patient's
 *   frames. The copy's train/valid/test folders are its own split, kept as the label `source_split`.
 * CAMUS and CAMUS-processed hold the same patients: never put one in training and the other in
 * evaluation.
 */
import { join } from 'node:path';
import { flipColumns } from '../formats/frame_ops.js';
import { hasForeground, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, listFiles } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage, reportProblem } from './support/problems.js';

const CATEGORY = 'left_ventricle_and_atrium';
const SOURCE_SPLITS = ['train', 'valid', 'test'];
const FRAME_NAME = /^(mirrored_)?(patient\d+)_(2CH|4CH)_(ED|ES)\.jpe?g$/i;

interface FrameFile {
  /** Folder of the copy's split, relative to the raw dir ('dataset/Cardiac-Acquisitions/test'). */
  folder: string;
  split: string;
  name: string;
  mirrored: boolean;
  patient: string;
  view: string;
  phase: string;
}

/** The copy's split folders that hold images/ (and should hold masks/). */
async function splitFolders(rawDir: string): Promise<{ folder: string; split: string }[]> {
  for (const base of ['', 'Cardiac-Acquisitions', 'dataset/Cardiac-Acquisitions']) {
    const found: { folder: string; split: string }[] = [];
    for (const split of SOURCE_SPLITS) {
      const folder = base === '' ? split : `${base}/${split}`;
      if (await isDirectory(join(rawDir, folder, 'images'))) found.push({ folder, split });
    }
    if (found.length > 0) return found;
  }
  throw new Error(`CAMUS-processed: no {train,valid,test}/images folder under ${rawDir} (nor Cardiac-Acquisitions/, dataset/Cardiac-Acquisitions/)`);
}

/**
 * One file per frame: the original where present, otherwise its mirrored copy. Mirrored copies of
 * present originals are dropped silently (they are the documented duplicates); two files for one
 * frame of the same kind (the same frame in two of the copy's splits) are reported.
 */
function chooseFrames(files: FrameFile[], options: ConvertOptions): FrameFile[] {
  const byFrame = new Map<string, FrameFile>();
  for (const file of files) {
    const key = `${file.patient}_${file.view}_${file.phase}`;
    const other = byFrame.get(key);
    if (!other || (other.mirrored && !file.mirrored)) {
      byFrame.set(key, file);
    } else if (other.mirrored === file.mirrored) {
      reportProblem(options, `${file.folder}/images/${file.name}`, `frame ${key} is also ${other.folder}/images/${other.name}: duplicate left out`);
    }
  }
  return [...byFrame.values()];
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const files: FrameFile[] = [];
  for (const { folder, split } of await splitFolders(rawDir)) {
    for (const name of await listFiles(join(rawDir, folder, 'images'), { extensions: ['.jpg', '.jpeg'], recursive: false })) {
      const match = FRAME_NAME.exec(name);
      if (!match) {
        reportProblem(options, `${folder}/images/${name}`, 'name is not [mirrored_]patientNNNN_{2CH,4CH}_{ED,ES}.jpg');
        continue;
      }
      files.push({ folder, split, name, mirrored: match[1] !== undefined, patient: match[2].toLowerCase(), view: match[3].toUpperCase(), phase: match[4].toUpperCase() });
    }
  }
  if (files.length === 0) throw new Error(`CAMUS-processed: no patientNNNN_{2CH,4CH}_{ED,ES}.jpg images under ${rawDir}`);
  for (const frame of chooseFrames(files, options)) {
    const imageFile = `${frame.folder}/images/${frame.name}`;
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskImage = await readMaskFile(rawDir, `${frame.folder}/masks/${frame.name}`, imageFile, image, options);
    if (!maskImage) continue;
    let mask = thresholdMask(maskImage);
    const labels: Record<string, string | number> = { view: frame.view, phase: frame.phase, source_split: frame.split };
    if (frame.mirrored) {
      image.data = flipColumns(image.data, image.width, image.height, image.channels);
      mask = flipColumns(mask, image.width, image.height);
      labels.mirrored_copy_flipped_back = 1;
    }
    yield {
      image,
      patient: frame.patient,
      index: `${frame.view}_${frame.phase}`,
      sourceFile: imageFile,
      masks: hasForeground(mask) ? [{ category: CATEGORY, mask }] : [],
      labels,
    };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'CAMUS-processed',
    aliases: ['Cardiac-Acquisitions', 'camus_processed'],
    anatomy: 'heart (left ventricle with myocardium, and left atrium, merged)',
    structures: [CATEGORY],
    modality: 'transthoracic echocardiography, apical 2- and 4-chamber end-diastole and end-systole frames, resized to 512×512 JPEG',
    url: 'https://github.com/atlan-antillia/Tensorflow-Image-Segmentation-Cardiac-Acquisitions (from CAMUS: https://www.creatis.insa-lyon.fr/Challenge/camus/)',
    licence: "CAMUS terms: cite the paper for any use (the copy's repository is Apache-2.0 for its code)",
    citation: 'Leclerc S, Smistad E, Pedrosa J, et al. Deep Learning for Segmentation Using an Open Large-Scale Dataset in 2D Echocardiography. IEEE Trans Med Imaging 38(9):2198-2210 (2019).',
    layout:
      '[dataset/Cardiac-Acquisitions/]{train,valid,test}/images/[mirrored_]patientNNNN_{2CH,4CH}_{ED,ES}.jpg with the same name under masks/ ' +
      '(JPEG, thresholded at 127; LV, myocardium and atrium merged); a mirrored copy is left out when its original is present, else flipped back.',
    imageLabels: ['patient', 'view', 'phase', 'source_split', 'mirrored_copy_flipped_back'],
  },
  convert,
};
