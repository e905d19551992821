/**
 * TNSCUI (TN-SCUI 2020 challenge data, in the VOC-style copy the reference reads): thyroid
 * ultrasound JPEGs with nodule masks `SegmentationClass/<n>.png`. Any non-zero pixel is nodule,
 * which covers 0/1, 0/255 and palette-coloured masks alike.
 */
import type { DatasetModule } from '../types.js';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from './support/paired_files.js';

const FILES: PairedFiles = {
  roots: ['tnscui', ''],
  folders: [{ images: 'JPEGImages', masks: 'SegmentationClass' }],
  extensions: ['.jpg', '.jpeg'],
  maskName: '<stem>.png',
  pixels: 'nonzero',
  category: 'thyroid_nodule',
  emptyMask: 'keep',
};

export const dataset: DatasetModule = {
  info: {
    name: 'TNSCUI',
    aliases: ['TN-SCUI2020', 'TN-SCUI', 'tnscui'],
    anatomy: 'thyroid',
    structures: pairedCategories(FILES),
    modality: 'B-mode ultrasound',
    url: 'https://tn-scui2020.grand-challenge.org/',
    licence: 'not stated (challenge data, for research use under the challenge terms)',
    citation: 'Zhou J, et al. Thyroid Nodule Segmentation and Classification in Ultrasound Images (TN-SCUI 2020 challenge), ' + 'MICCAI 2020. https://tn-scui2020.grand-challenge.org/',
    layout: describePairedFiles(FILES),
    imageLabels: [],
  },
  convert: pairedConverter(FILES),
};
