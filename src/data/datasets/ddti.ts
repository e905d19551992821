/**
 * DDTI (Digital Database of Thyroid Images, Pedraza et al. 2015): thyroid nodules.
 * Raw layout: `DDTI/<case>_<n>.a.jpg` (image) and `DDTI/<case>_<n>.b.jpg` (nodule mask, JPEG so
 * thresholded at 127), optional `DDTI/label.txt` with one CSV line per image:
 * id, folder, composition, echogenicity, margins, calcifications, TI-RADS, sex, age.
 * The case number before `_` is the patient.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { thresholdMask } from '../masks.js';
import { isDirectory, listFiles } from './support/files.js';
import { readRawImage, reportProblem } from './support/problems.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';

const LABEL_COLUMNS = ['folder', 'composition', 'echogenicity', 'margins', 'calcifications', 'tirads', 'sex', 'age'];

/** Per-image labels from label.txt; blank fields are left out, age becomes a number. */
async function readLabels(path: string, options: ConvertOptions): Promise<Map<string, Record<string, string | number>>> {
  const labels = new Map<string, Record<string, string | number>>();
  if (!existsSync(path)) return labels;
  const lines = (await readFile(path, 'utf8')).split(/\r?\n/);
  lines.forEach((line, lineIndex) => {
    if (line.trim() === '') return;
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length !== LABEL_COLUMNS.length + 1) {
      reportProblem(options, 'DDTI/label.txt', `line ${lineIndex + 1} has ${fields.length} fields, expected ${LABEL_COLUMNS.length + 1}`);
      return;
    }
    const record: Record<string, string | number> = {};
    LABEL_COLUMNS.forEach((column, i) => {
      const value = fields[i + 1];
      if (value === '') return;
      record[column] = column === 'age' && /^\d+$/.test(value) ? Number(value) : value;
    });
    labels.set(fields[0], record);
  });
  return labels;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  // The raw dir is either the folder holding DDTI/ or DDTI/ itself.
  const folder = (await isDirectory(join(rawDir, 'DDTI'))) ? 'DDTI/' : '';
  const root = join(rawDir, folder);
  const labels = await readLabels(join(root, 'label.txt'), options);
  const images = await listFiles(root, { recursive: false, match: /^\d+_\d+\.a\.jpg$/i });
  if (images.length === 0) throw new Error(`DDTI: no <case>_<n>.a.jpg images in ${root}`);
  for (const file of images) {
    const id = file.replace(/\.a\.jpg$/i, '');
    const maskFile = `${id}.b.jpg`;
    if (!existsSync(join(root, maskFile))) {
      reportProblem(options, `${folder}${file}`, `missing mask ${maskFile}`);
      continue;
    }
    const image = await readRawImage(rawDir, `${folder}${file}`, options);
    const maskImage = await readRawImage(rawDir, `${folder}${maskFile}`, options, 'mask');
    if (!image || !maskImage) continue;
    if (maskImage.width !== image.width || maskImage.height !== image.height) {
      reportProblem(options, `${folder}${maskFile}`, `mask is ${maskImage.width}×${maskImage.height}, image ${image.width}×${image.height} (size mismatch)`);
      continue;
    }
    const [patient, index] = id.split('_');
    const sample: ConvertedSample = {
      image,
      patient,
      index,
      sourceFile: `${folder}${file}`,
      masks: [{ category: 'thyroid_nodule', mask: thresholdMask(maskImage) }],
    };
    const record = labels.get(id);
    if (record) sample.labels = record;
    yield sample;
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'DDTI',
    aliases: ['ddti_dataset', 'ddti-dataset'],
    anatomy: 'thyroid',
    structures: ['thyroid_nodule'],
    modality: 'B-mode ultrasound, 2D images',
    url: 'http://cimalab.intec.co/applications/thyroid/',
    licence: 'open access database (no licence text published)',
    citation: 'Pedraza L, Vargas C, Narváez F, Durán O, Muñoz E, Romero E. An open access thyroid ultrasound image database. Proc. SPIE 9287, 92870W (2015).',
    layout: 'DDTI/<case>_<n>.a.jpg images, DDTI/<case>_<n>.b.jpg nodule masks (JPEG, thresholded at 127), optional DDTI/label.txt',
    imageLabels: ['patient', 'tirads', 'composition', 'echogenicity', 'margins', 'calcifications', 'sex', 'age'],
  },
  convert,
};
