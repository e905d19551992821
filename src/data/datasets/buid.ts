/**
 * BUID (Breast Ultrasound Image Database, QAMEBI): benign and malignant breast lesions, each a
 * BMP image '<n> Image.bmp' beside its TIFF mask '<n> Mask.tif'.
 */
import type { DatasetModule } from '../types.js';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from './support/paired_files.js';

const FILES: PairedFiles = {
  roots: [''],
  folders: [
    { images: 'Benign', masks: 'Benign', indexPrefix: 'benign_', labels: { class: 'benign' } },
    { images: 'Malignant', masks: 'Malignant', indexPrefix: 'malignant_', labels: { class: 'malignant' } },
  ],
  extensions: ['.bmp'],
  recursive: true,
  maskName: '<name>Mask.tif',
  pixels: 'threshold',
  category: 'breast_nodule',
  emptyMask: 'keep',
  // '<n> Image': the index is <n> without the spaces around it.
  name: { pattern: /^(?<name>\s*(?<index>[\s\S]*?)\s*)image$/i, text: '<name>Image', unmatched: 'ignore' },
  note: "<name> is the number and a space ('1 Image.bmp', '1 Mask.tif'); the folders are the unpacked Benign.zip and Malignant.zip.",
};

export const dataset: DatasetModule = {
  info: {
    name: 'BUID',
    anatomy: 'breast',
    structures: pairedCategories(FILES),
    modality: 'B-mode ultrasound',
    url: 'https://qamebi.com/breast-ultrasound-images-database/',
    licence: 'not stated',
    citation:
      'Abbasian Ardakani A, Mohammadi A, Mirza-Aghazadeh-Attari M, Acharya UR. An open-access breast lesion ultrasound ' +
      'image database: applicable in artificial intelligence studies. Computers in Biology and Medicine 152:106438, 2023.',
    layout: describePairedFiles(FILES),
    imageLabels: ['class'],
  },
  convert: pairedConverter(FILES),
};
