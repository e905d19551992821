/**
 * S1 (breast tumour dataset of PMC8205136): breast ultrasound JPEG images with label masks in
 * which grey 127 marks a benign and 255 a malignant tumour (the reference's reading of the
 * 'Expanded-3-channel-Labels'). The training and testing folders are the publisher's split; the
 * testing one is kept as the official test.
 */
import type { DatasetModule } from '../types.js';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from './support/paired_files.js';

const FILES: PairedFiles = {
  roots: ['Data', ''],
  folders: [
    { images: 'TrainingDataSet/BreastTumourImages', masks: 'TrainingDataSet/Expanded-3-channel-Labels', indexPrefix: 'train_' },
    {
      images: 'TestingDataSet/Test-Expanded-BreastTumourImages',
      masks: 'TestingDataSet/Test-Expanded-3-channel-Labels',
      indexPrefix: 'test_',
      officialSplit: 'test',
    },
  ],
  extensions: ['.jpg', '.jpeg', '.png'],
  maskName: '<stem>.png',
  // Ranges around 127 and 255, so values shifted by resampling or compression still land right.
  pixels: {
    ranges: [
      { category: 'benign_tumour', min: 64, max: 191 },
      { category: 'malignant_tumour', min: 192, max: 255 },
    ],
  },
  emptyMask: 'keep',
  classOfCategory: { benign_tumour: 'benign', malignant_tumour: 'malignant' },
  note: 'The General-1-channel folders are not used.',
};

export const dataset: DatasetModule = {
  info: {
    name: 'S1',
    anatomy: 'breast',
    structures: pairedCategories(FILES),
    modality: 'B-mode ultrasound',
    url: 'https://www.ncbi.nlm.nih.gov/pmc/articles/PMC8205136/',
    licence: 'not stated',
    citation: 'Breast tumour ultrasound dataset S1, supporting information of the PLOS ONE article PMC8205136 (2021).',
    layout: describePairedFiles(FILES),
    imageLabels: ['class'],
  },
  convert: pairedConverter(FILES),
};
