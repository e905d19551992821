/**
 * STU-Hospital: 42 breast ultrasound images from Shantou University's hospital, each
 * 'Test_Image_<n>.png' (128×128) with its tumour mask 'mask_<n>.png'. Most masks are drawn at a
 * higher resolution (400 to 512 px square; six are 128×128) with anti-aliased edges: thresholded
 * at 127, then resized to the image by area (a pixel is tumour when at least half of it is). The
 * reference resizes by nearest neighbour, which reads the top-left pixel of each 4×4 block of a
 * 512-px mask and so moves the tumour up and left (figures in docs/datasets-extra.md).
 */
import type { DatasetModule } from '../types.js';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from './support/paired_files.js';

const FILES: PairedFiles = {
  roots: ['Hospital', 'STU-Hospital/Hospital', ''],
  folders: [{ images: '', masks: '' }],
  extensions: ['.png'],
  maskName: 'mask_<index>.png',
  pixels: 'threshold',
  // The reference named it 'benign_tumour'; the publisher's tumours are not all benign.
  category: 'breast_tumour',
  resize: 'area',
  emptyMask: 'keep',
  name: { pattern: /^Test_Image_(?<index>\d+)$/i, text: 'Test_Image_<index>', unmatched: 'ignore' },
  requireImages: true,
};

export const dataset: DatasetModule = {
  info: {
    name: 'STU-Hospital',
    aliases: ['STU_Hospital', 'STU'],
    anatomy: 'breast',
    structures: pairedCategories(FILES),
    modality: 'B-mode ultrasound',
    url: 'https://github.com/xbhlk/STU-Hospital',
    licence: 'not stated',
    citation: 'Zhuang Z, Li N, Joseph Raj AN, Mahesh VGV, Qiu S. An RDAU-NET model for lesion segmentation in breast ultrasound ' + 'images. PLoS ONE 14(8):e0221535, 2019.',
    layout: describePairedFiles(FILES),
    imageLabels: [],
    version: '2',
  },
  convert: pairedConverter(FILES),
};
