/**
 * kidneyUS (Open Kidney Ultrasound Data Set): B-mode kidney images with sonographer-traced
 * capsule masks (`labels/reviewed_masks_1/capsule/`, sonographer 1, values 0/1, as the reference
 * uses). File names start with the patient number ('12_IM-0464-17664_anon.png' → '12'). The
 * VIA label file `labels/reviewed_labels_1.csv`, when present, gives view and image quality.
 */
import { join } from 'node:path';
import { hasForeground, nonZeroMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isFile, listFiles, stemOf } from './support/files.js';
import { readCsvRecords } from './support/csv.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

const CATEGORY = 'kidney';
const MASK_DIR = 'labels/reviewed_masks_1/capsule';
const LABEL_FILE = 'labels/reviewed_labels_1.csv';

/** View and quality per image from the VIA export's `file_attributes` JSON column. */
async function readImageLabels(rawDir: string): Promise<Map<string, Record<string, string>>> {
  const labels = new Map<string, Record<string, string>>();
  if (!(await isFile(join(rawDir, LABEL_FILE)))) return labels;
  for (const row of await readCsvRecords(join(rawDir, LABEL_FILE), ['filename', 'file_attributes'])) {
    if (labels.has(row.filename)) continue; // one row per traced region, same attributes
    let attributes: Record<string, unknown>;
    try {
      attributes = JSON.parse(row.file_attributes) as Record<string, unknown>;
    } catch {
      continue; // a row without attributes gives no labels
    }
    const entry: Record<string, string> = {};
    if (typeof attributes.View === 'string') entry.view = attributes.View.toLowerCase();
    if (typeof attributes.Quality === 'string') entry.quality = attributes.Quality.toLowerCase();
    labels.set(row.filename, entry);
  }
  return labels;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const imageLabels = await readImageLabels(rawDir);
  // The images come in their own archive, unpacked anywhere outside labels/.
  const imageFiles = (await listFiles(rawDir, { extensions: ['.png'] })).filter((f) => !f.startsWith('labels/'));
  if (imageFiles.length === 0) throw new Error(`${rawDir}: no kidneyUS images (*.png outside labels/) found`);
  for (const imageFile of imageFiles) {
    const name = imageFile.slice(imageFile.lastIndexOf('/') + 1);
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskImage = await readMaskFile(rawDir, `${MASK_DIR}/${name}`, imageFile, image, options);
    if (!maskImage) continue;
    const mask = nonZeroMask(maskImage);
    // The reference skips images without a traced capsule.
    if (!hasForeground(mask)) continue;
    const stem = stemOf(name);
    const patient = /^(\d+)_/.exec(stem)?.[1];
    const labels = imageLabels.get(name);
    yield {
      image,
      ...(patient ? { patient } : {}),
      index: patient ? stem.slice(patient.length + 1) : stem,
      sourceFile: imageFile,
      masks: [{ category: CATEGORY, mask }],
      ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
    };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'kidneyUS',
    aliases: ['OpenKidney', 'open_kidney'],
    anatomy: 'kidney',
    structures: [CATEGORY],
    modality: 'B-mode ultrasound',
    url: 'https://github.com/rsingla92/kidneyUS',
    licence: 'CC BY-NC-SA (non-commercial use; registration required)',
    citation: 'Singla R, Ringstrom C, Hu G, Lessoway V, Reid J, Nguan C, Rohling R. The open kidney ultrasound data set. ' + 'arXiv:2206.06657, 2022 (ASMUS 2023).',
    layout:
      'the unpacked image archive (kidneyUS_images_14_june_2022.zip: <patient>_<series>_anon.png, anywhere outside ' +
      "labels/) with the repository's labels/reviewed_masks_1/capsule/<same name>.png (0/1) and optionally " +
      'labels/reviewed_labels_1.csv (view, quality). Images with an empty capsule mask are skipped.',
    imageLabels: ['patient', 'view', 'quality'],
  },
  convert,
};
