/**
 * BUS (Dataset B, Yap et al.): 163 breast ultrasound images with lesion masks, from the UDIAT
 * centre in Sabadell. Images `original/<n>.png`, masks `GT/<n>.png`; the optional
 * `DatasetB.csv` gives each image's lesion type (benign / malignant).
 */
import { readFile } from 'node:fs/promises';
import type { DatasetModule } from '../types.js';
import { isFile, stemOf } from './support/files.js';
import { parseCsv } from './support/csv.js';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from './support/paired_files.js';

/**
 * Lesion type per image from DatasetB.csv: first column the image name (with or without
 * '.png'), second its type; a header row, whatever its names, is recognised by its type not
 * being a lesion type.
 */
async function readLesionTypes(path: string): Promise<Map<string, Record<string, string>>> {
  const types = new Map<string, Record<string, string>>();
  if (!(await isFile(path))) return types;
  for (const [name, type] of parseCsv(await readFile(path, 'utf8'))) {
    const value = (type ?? '').trim().toLowerCase();
    if (value === 'benign' || value === 'malignant') types.set(stemOf(name.trim()), { class: value });
  }
  return types;
}

const FILES: PairedFiles = {
  roots: ['', 'BUS'],
  folders: [{ images: 'original', masks: 'GT' }],
  extensions: ['.png'],
  maskName: '<stem><ext>',
  pixels: 'threshold',
  category: 'breast_nodule',
  emptyMask: 'keep',
  labelTable: { file: 'DatasetB.csv', text: 'image name, lesion type (class)', read: readLesionTypes },
};

export const dataset: DatasetModule = {
  info: {
    name: 'BUS',
    aliases: ['DatasetB', 'Dataset_B', 'BUS_Dataset_B'],
    anatomy: 'breast',
    structures: pairedCategories(FILES),
    modality: 'B-mode ultrasound',
    url: 'http://www2.docm.mmu.ac.uk/STAFF/M.Yap/dataset.php',
    licence: 'not stated; released on request for research use under an agreement with the authors',
    citation:
      'Yap MH, Pons G, Martí J, Ganau S, Sentís M, Zwiggelaar R, Davison AK, Martí R. Automated breast ultrasound lesions ' +
      'detection using convolutional neural networks. IEEE Journal of Biomedical and Health Informatics 22(4):1218–1226, 2018.',
    layout: describePairedFiles(FILES),
    imageLabels: ['class'],
  },
  convert: pairedConverter(FILES),
};
