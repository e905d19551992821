/**
 * BUS-BRA: breast ultrasound of 1,064 patients with biopsy-proven benign and malignant lesions.
 * Images `Images/bus_<case>-<view>.png`, masks `Masks/mask_<case>-<view>.png`; `5-fold-cv.csv`
 * gives each image's pathology and fold. Fold 1 is the official test set (the reference keeps it
 * as its test file); the folds are patient-level, so patients never straddle it.
 */
import { join } from 'node:path';
import { hasForeground, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isFile, listFiles, requireDirectory, stemOf } from './support/files.js';
import { readCsvRecords } from './support/csv.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage, reportProblem } from './support/problems.js';

const CATEGORY_OF_PATHOLOGY: Record<string, string> = {
  benign: 'breast_nodule_benign',
  malignant: 'breast_nodule_malignant',
};
const TEST_FOLD = '1';

interface Metadata {
  pathology: string;
  fold: string;
  patient?: string;
  birads?: string;
}

/** Pathology and fold per image ID from 5-fold-cv.csv, with case and BI-RADS from bus_data.csv when present. */
async function readMetadata(rawDir: string, root: string): Promise<Map<string, Metadata>> {
  const foldsFile = join(rawDir, root, '5-fold-cv.csv');
  if (!(await isFile(foldsFile))) throw new Error(`${rawDir}: BUS-BRA needs ${join(root, '5-fold-cv.csv')} (pathology and official folds)`);
  const metadata = new Map<string, Metadata>();
  for (const row of await readCsvRecords(foldsFile, ['ID', 'Pathology', 'kFold'])) {
    metadata.set(row.ID, { pathology: row.Pathology.toLowerCase(), fold: row.kFold });
  }
  const dataFile = join(rawDir, root, 'bus_data.csv');
  if (await isFile(dataFile)) {
    for (const row of await readCsvRecords(dataFile, ['ID'])) {
      const entry = metadata.get(row.ID);
      if (!entry) continue;
      if (row.Case) entry.patient = row.Case;
      if (row.BIRADS) entry.birads = row.BIRADS;
    }
  }
  return metadata;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const imageDir = await requireDirectory(rawDir, ['Images', 'BUSBRA/Images'], 'Images');
  const root = imageDir === 'Images' ? '' : 'BUSBRA';
  const metadata = await readMetadata(rawDir, root);
  for (const name of await listFiles(join(rawDir, imageDir), { extensions: ['.png'], recursive: false })) {
    const imageFile = `${imageDir}/${name}`;
    const id = stemOf(name);
    const entry = metadata.get(id);
    if (!entry) {
      reportProblem(options, imageFile, `image ID ${id} is not in 5-fold-cv.csv`);
      continue;
    }
    const category = CATEGORY_OF_PATHOLOGY[entry.pathology];
    if (!category) {
      reportProblem(options, imageFile, `5-fold-cv.csv gives pathology '${entry.pathology}', expected benign or malignant`);
      continue;
    }
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskFile = `${root === '' ? '' : `${root}/`}Masks/${name.replace(/^bus_/, 'mask_')}`;
    const maskImage = await readMaskFile(rawDir, maskFile, imageFile, image, options);
    if (!maskImage) continue;
    const mask = thresholdMask(maskImage);
    // The case number ('bus_0001-l' → '0001') identifies the patient when bus_data.csv is absent.
    const patient = entry.patient ?? /^bus_(\d+)/.exec(id)?.[1];
    const labels: Record<string, string | number> = { class: entry.pathology, fold: Number(entry.fold) };
    if (entry.birads) labels.birads = entry.birads;
    yield {
      image,
      ...(patient ? { patient } : {}),
      index: id,
      sourceFile: imageFile,
      masks: hasForeground(mask) ? [{ category, mask }] : [],
      labels,
      ...(entry.fold === TEST_FOLD ? { officialSplit: 'test' as const } : {}),
    };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'BUS-BRA',
    aliases: ['BUSBRA', 'BUS_BRA'],
    anatomy: 'breast',
    structures: Object.values(CATEGORY_OF_PATHOLOGY),
    modality: 'B-mode ultrasound',
    url: 'https://doi.org/10.5281/zenodo.7730709',
    licence: 'not stated as a named licence; open access on Zenodo on condition that research using it cites the dataset paper',
    citation:
      'Gómez-Flores W, Gregorio-Calas MJ, Coelho de Albuquerque Pereira W. BUS-BRA: A breast ultrasound dataset for ' +
      'assessing computer-aided diagnosis systems. Medical Physics 51(4):3110–3123, 2024.',
    layout:
      'BUSBRA/Images/bus_<case>-<view>.png, BUSBRA/Masks/mask_<case>-<view>.png (0/255), BUSBRA/5-fold-cv.csv (ID, ' +
      'Pathology, kFold; fold 1 = official test) and optionally BUSBRA/bus_data.csv (Case = patient, BIRADS). The ' +
      'BUSBRA/ level may be omitted.',
    imageLabels: ['class', 'birads', 'fold', 'patient'],
    evaluationOnly: true,
  },
  convert,
};
