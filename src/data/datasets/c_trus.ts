/**
 * C-TRUS (Colon Wall Segmentation in Transabdominal Ultrasound; wwu-mmll, 2024): frames of
 * transabdominal ultrasound sequences of 13 patients with ulcerative colitis, with the colon wall
 * drawn as polygons. Not part of US-43d; an extra, like USGRA-Seg.
 * Raw layout: `original/<id>.jpg` (580×360 grey JPEG) with the mask `labels/<id>.jpg` (JPEG,
 * thresholded at 127) and `c-trus.csv` (file, quality, quality_name, patient, testitem_in_fold).
 *
 * - The patient comes from the CSV, which is required: a frame missing from it is reported and left
 *   out (without a patient it could land beside its own sequence on the other side of a split).
 * - Frames from the sequences' colon-localisation phase have an empty mask; they are kept as images
 *   without annotations. Where both walls of the colon are seen, the mask has two regions (two
 *   instances). Components under 0.1 % of the frame (JPEG specks) are dropped.
 * - The CSV's quality (high, medium, low) and cross-validation fold (`testitem_in_fold`, a split of
 *   frames, not of patients) are kept as the labels `quality` and `fold`.
 */
import { join } from 'node:path';
import { removeSmallComponents } from '../components.js';
import { hasForeground, thresholdMask } from '../masks.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { readCsvRecords } from './support/csv.js';
import { isFile, listFiles, requireDirectory, stemOf } from './support/files.js';
import { readMaskFile } from './support/mask_files.js';
import { readRawImage, reportProblem } from './support/problems.js';

const CATEGORY = 'colon_wall';
const CSV_FILE = 'c-trus.csv';
const COLUMNS = ['file', 'quality_name', 'patient', 'testitem_in_fold'];

interface FrameRecord {
  patient: string;
  quality: string;
  fold: number;
}

async function readTable(rawDir: string, base: string, options: ConvertOptions): Promise<Map<string, FrameRecord>> {
  const relative = base === '' ? CSV_FILE : `${base}/${CSV_FILE}`;
  if (!(await isFile(join(rawDir, relative)))) throw new Error(`C-TRUS: ${join(rawDir, relative)} not found (it holds the patient of every frame)`);
  const table = new Map<string, FrameRecord>();
  const records = await readCsvRecords(join(rawDir, relative), COLUMNS);
  records.forEach((record, i) => {
    const line = i + 2;
    const fold = Number(record.testitem_in_fold);
    if (record.file === '' || !/^\d+$/.test(record.patient) || !Number.isInteger(fold)) {
      reportProblem(options, relative, `line ${line}: needs a file, a numeric patient and an integer testitem_in_fold, got ${JSON.stringify(record)}`);
      return;
    }
    if (table.has(record.file)) {
      reportProblem(options, relative, `line ${line}: ${record.file} is listed twice (the first entry is used)`);
      return;
    }
    table.set(record.file, { patient: record.patient, quality: record.quality_name, fold });
  });
  return table;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const imageDir = await requireDirectory(rawDir, ['original', 'c-trus/original'], 'original');
  const base = imageDir === 'original' ? '' : imageDir.slice(0, -'/original'.length);
  const prefix = base === '' ? '' : `${base}/`;
  const table = await readTable(rawDir, base, options);
  const names = await listFiles(join(rawDir, imageDir), { extensions: ['.jpg', '.jpeg', '.png'], recursive: false });
  if (names.length === 0) throw new Error(`C-TRUS: no images in ${join(rawDir, imageDir)}`);
  const listed = new Set(names);
  for (const file of table.keys()) {
    if (!listed.has(file)) reportProblem(options, `${prefix}${CSV_FILE}`, `${file} is listed but ${imageDir}/${file} does not exist`);
  }
  for (const name of names) {
    const imageFile = `${imageDir}/${name}`;
    const record = table.get(name);
    if (!record) {
      reportProblem(options, imageFile, `not listed in ${prefix}${CSV_FILE}: its patient is unknown, left out`);
      continue;
    }
    const image = await readRawImage(rawDir, imageFile, options);
    if (!image) continue;
    const maskImage = await readMaskFile(rawDir, `${prefix}labels/${name}`, imageFile, image, options);
    if (!maskImage) continue;
    const minArea = Math.ceil(0.001 * image.width * image.height);
    const mask = removeSmallComponents(thresholdMask(maskImage), image.width, image.height, minArea);
    yield {
      image,
      patient: record.patient,
      index: stemOf(name),
      sourceFile: imageFile,
      masks: hasForeground(mask) ? [{ category: CATEGORY, mask }] : [],
      labels: { quality: record.quality, fold: record.fold },
    };
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'C-TRUS',
    aliases: ['c_trus', 'ctrus'],
    anatomy: 'colon (bowel wall), transabdominal',
    structures: [CATEGORY],
    modality: 'transabdominal B-mode ultrasound (Toshiba Xario), frames of sequences',
    url: 'https://github.com/wwu-mmll/c-trus',
    licence: 'not stated',
    citation: 'C-TRUS: Colon Wall Segmentation in Transabdominal Ultrasound (dataset). wwu-mmll, https://github.com/wwu-mmll/c-trus, 2024.',
    layout:
      'original/<id>.jpg with labels/<id>.jpg (JPEG, thresholded at 127) and c-trus.csv (file, quality, quality_name, patient, ' +
      "testitem_in_fold); the CSV's patient is the patient; frames with an empty mask kept without annotations.",
    imageLabels: ['patient', 'quality', 'fold'],
  },
  convert,
};
