/**
 * BrEaST (Breast-Lesions-USG, TCIA): 256 breast scans of 256 patients. Beside each image
 * 'case<nnn>.png' lie its masks: 'case<nnn>_tumor.png' for the tumour and
 * 'case<nnn>_other<k>.png' for other abnormal areas the radiologist outlined. The clinical CSV,
 * when present, gives each image's classification (benign / malignant / normal) and BI-RADS.
 */
import { join } from 'node:path';
import { hasForeground, nonZeroMask, unionInto } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, listFiles, stemOf } from './support/files.js';
import { readCsvRecords } from './support/csv.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage } from './support/problems.js';

const TUMOUR = 'breast_nodule';
/** The reference called these 'cyst'; the publisher describes them as other abnormal areas. */
const OTHER = 'other_abnormality';
const FOLDER = 'BrEaST-Lesions_USG-images_and_masks';

/** Classification and BI-RADS per image file name from the release's clinical-data CSV (*clinical*.csv), if there. */
async function readClinicalData(rawDir: string): Promise<Map<string, Record<string, string>>> {
  const labels = new Map<string, Record<string, string>>();
  for (const file of await listFiles(rawDir, { extensions: ['.csv'], recursive: false })) {
    if (!/clinical/i.test(file)) continue;
    const rows = await readCsvRecords(join(rawDir, file));
    if (rows.length === 0 || !('Image_filename' in rows[0])) continue;
    for (const row of rows) {
      const entry: Record<string, string> = {};
      if (row.Classification) entry.class = row.Classification.toLowerCase();
      if (row.BIRADS) entry.birads = row.BIRADS;
      labels.set(row.Image_filename, entry);
    }
  }
  return labels;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const folder = (await isDirectory(join(rawDir, FOLDER))) ? FOLDER : '';
  const clinical = await readClinicalData(rawDir);
  const files = await listFiles(join(rawDir, folder), { extensions: ['.png'], recursive: false });
  const masksOf = new Map<string, string[]>();
  const images: string[] = [];
  for (const name of files) {
    const stem = stemOf(name);
    const underscore = stem.indexOf('_');
    if (underscore < 0) {
      images.push(name);
    } else {
      const owner = stem.slice(0, underscore);
      masksOf.set(owner, [...(masksOf.get(owner) ?? []), name]);
    }
  }
  const prefix = folder === '' ? '' : `${folder}/`;
  for (const name of images) {
    const stem = stemOf(name);
    const maskNames = masksOf.get(stem);
    // Like the reference, only images that come with masks are converted.
    if (!maskNames) continue;
    const imageFile = `${prefix}${name}`;
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const tumour = new Uint8Array(image.width * image.height);
    const other = new Uint8Array(image.width * image.height);
    let complete = true;
    for (const maskName of maskNames) {
      const maskImage = await readMaskFile(rawDir, `${prefix}${maskName}`, imageFile, image, options);
      if (!maskImage) {
        complete = false;
        break;
      }
      const kind = stemOf(maskName)
        .slice(stem.length + 1)
        .toLowerCase();
      unionInto(kind === 'tumor' ? tumour : other, nonZeroMask(maskImage));
    }
    if (!complete) continue;
    const masks: ConvertedSample['masks'] = [];
    if (hasForeground(tumour)) masks.push({ category: TUMOUR, mask: tumour });
    if (hasForeground(other)) masks.push({ category: OTHER, mask: other });
    const labels = clinical.get(name);
    yield {
      image,
      patient: stem,
      index: 0,
      sourceFile: imageFile,
      masks,
      ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
    };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'BrEaST',
    aliases: ['BrEaST-Lesions_USG', 'Breast-Lesions-USG'],
    anatomy: 'breast',
    structures: [TUMOUR, OTHER],
    modality: 'B-mode ultrasound',
    url: 'https://www.cancerimagingarchive.net/collection/breast-lesions-usg/',
    licence: 'CC BY 4.0',
    citation:
      'Pawłowska A, Ćwierz-Pieńkowska A, Domalik A, Jaguś D, Kasprzak P, Matkowski R, Fura Ł, Nowicki A, Żołek N. Curated ' +
      'benchmark dataset for ultrasound based breast lesion analysis. Scientific Data 11:148, 2024.',
    layout:
      'BrEaST-Lesions_USG-images_and_masks/case<nnn>.png with masks case<nnn>_tumor.png and case<nnn>_other<k>.png ' +
      '(non-zero = object); optionally a clinical-data CSV beside that folder (Image_filename, Classification, BIRADS). ' +
      'The folder level may be omitted. One image per patient (the case).',
    imageLabels: ['class', 'birads', 'patient'],
  },
  convert,
};
