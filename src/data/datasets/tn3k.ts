/**
 * TN3K: 3,493 thyroid ultrasound images with nodule masks, published as a trainval part and a
 * test part (the official test split). Masks are JPEGs, thresholded at 127.
 */
import type { DatasetModule } from '../types.js';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from './support/paired_files.js';

const FILES: PairedFiles = {
  roots: ['Thyroid Dataset/tn3k', 'tn3k', ''],
  folders: [
    { images: 'trainval-image', masks: 'trainval-mask', indexPrefix: 'trainval_' },
    { images: 'test-image', masks: 'test-mask', indexPrefix: 'test_', officialSplit: 'test' },
  ],
  extensions: ['.jpg', '.jpeg', '.png'],
  maskName: '<stem><ext>',
  pixels: 'threshold',
  category: 'thyroid_nodule',
  emptyMask: 'keep',
};

export const dataset: DatasetModule = {
  info: {
    name: 'TN3K',
    anatomy: 'thyroid',
    structures: pairedCategories(FILES),
    modality: 'B-mode ultrasound',
    url: 'https://github.com/haifangong/TRFE-Net-for-thyroid-nodule-segmentation',
    licence: 'not stated',
    citation:
      'Gong H, Chen J, Chen G, Li H, Li G, Chen F. Thyroid region prior guided attention for ultrasound segmentation of ' + 'thyroid nodules. Computers in Biology and Medicine 155:106389, 2023.',
    layout: describePairedFiles(FILES),
    imageLabels: [],
  },
  convert: pairedConverter(FILES),
};
