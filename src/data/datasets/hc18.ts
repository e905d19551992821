/**
 * HC18 (van den Heuvel et al. 2018): fetal head in 2D trans-thalamic plane images.
 * Raw layout (the challenge's): `training_set/<n>_HC.png` (or `<n>_2HC.png`, `<n>_3HC.png`: further
 * images numbered like the first) with `training_set/<n>_HC_Annotation.png`, a 1-pixel ellipse
 * OUTLINE (0/255) filled here to give the head mask, and `training_set_pixel_size_and_HC.csv` (mm
 * per pixel, head circumference in mm). Heads cut off by the image edge (186_HC) are filled too,
 * where scipy's binary_fill_holes, the reference's, leaves a bare outline. The test set has no
 * annotations and is not converted.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fillOutline } from '../components.js';
import { thresholdMask } from '../masks.js';
import { isDirectory, listFiles } from './support/files.js';
import { readRawImage } from './support/problems.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';

interface Calibration {
  pixelSizeMm: number;
  headCircumferenceMm: number;
}

async function readCalibration(path: string, options: ConvertOptions): Promise<Map<string, Calibration>> {
  const table = new Map<string, Calibration>();
  if (!existsSync(path)) return table;
  const lines = (await readFile(path, 'utf8')).split(/\r?\n/).filter((line) => line.trim() !== '');
  for (let i = 1; i < lines.length; i++) {
    const [file, size, circumference] = lines[i].split(',').map((f) => f.trim());
    const pixelSizeMm = Number(size);
    const headCircumferenceMm = Number(circumference);
    if (!file || !(pixelSizeMm > 0) || !Number.isFinite(headCircumferenceMm)) {
      options.warn('training_set_pixel_size_and_HC.csv', `line ${i + 1} is not "<file>,<mm per pixel>,<HC mm>": "${lines[i]}"`);
      continue;
    }
    table.set(file, { pixelSizeMm, headCircumferenceMm });
  }
  return table;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const imageDir = join(rawDir, 'training_set');
  const images = (await isDirectory(imageDir)) ? await listFiles(imageDir, { recursive: false, match: /^\d+_\d*HC\.png$/ }) : [];
  if (images.length === 0) throw new Error(`HC18: no training_set/<n>_HC.png images in ${rawDir}`);
  const calibration = await readCalibration(join(rawDir, 'training_set_pixel_size_and_HC.csv'), options);
  for (const file of images) {
    const stem = file.replace(/\.png$/, '');
    const annotationFile = `${stem}_Annotation.png`;
    const source = `training_set/${file}`;
    if (!existsSync(join(imageDir, annotationFile))) {
      options.warn(source, `missing annotation training_set/${annotationFile}`);
      continue;
    }
    const image = await readRawImage(rawDir, source, options);
    const outline = await readRawImage(rawDir, `training_set/${annotationFile}`, options, 'annotation');
    if (!image || !outline) continue;
    const { width, height } = image;
    if (outline.width !== width || outline.height !== height) {
      options.warn(`training_set/${annotationFile}`, `annotation is ${outline.width}×${outline.height}, image ${width}×${height} (size mismatch)`);
      continue;
    }
    const head = fillOutline(thresholdMask(outline), width, height);
    // "012_2HC" → patient 012, image "2HC". The challenge does not publish subject ids; images that
    // share a number are taken as one subject, so a split never puts them on two sides (conservative).
    const [subject, view] = stem.split('_');
    const sample: ConvertedSample = {
      image,
      patient: subject,
      index: view,
      sourceFile: source,
      masks: [{ category: 'fetal_head', mask: head }],
    };
    const calib = calibration.get(file);
    if (calib) {
      image.pixelSpacingMm = [calib.pixelSizeMm, calib.pixelSizeMm];
      sample.labels = { head_circumference_mm: calib.headCircumferenceMm };
    }
    yield sample;
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'HC18',
    aliases: ['hc', 'hc18_challenge'],
    anatomy: 'fetal head',
    structures: ['fetal_head'],
    modality: 'B-mode ultrasound, 2D images (trans-thalamic plane)',
    url: 'https://hc18.grand-challenge.org/ (data: https://zenodo.org/records/1327317)',
    licence: 'CC BY 4.0',
    citation: 'van den Heuvel TLA, de Bruijn D, de Korte CL, van Ginneken B. Automated measurement of fetal head circumference using 2D ultrasound images. PLoS ONE 13(8): e0200412 (2018).',
    layout: 'training_set/<n>_HC.png (+ <n>_2HC.png ...) with <n>_HC_Annotation.png ellipse outlines (filled here), training_set_pixel_size_and_HC.csv',
    imageLabels: ['patient', 'pixel_spacing', 'head_circumference_mm'],
  },
  convert,
};
