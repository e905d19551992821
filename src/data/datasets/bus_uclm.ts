/**
 * BUS-UCLM: 683 breast ultrasound images of 38 patients. Masks are RGB: green marks a benign
 * lesion, red a malignant one, black the rest. Image names start with a patient code
 * ('ANFO_005.png' → patient 'ANFO').
 */
import type { DatasetModule } from '../types.js';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from './support/paired_files.js';

const FILES: PairedFiles = {
  roots: ['', 'BUS-UCLM', 'BUS_UCLM'],
  folders: [{ images: 'images', masks: 'masks' }],
  extensions: ['.png'],
  maskName: '<stem><ext>',
  pixels: {
    colours: [
      { category: 'benign_breast_lesion', rgb: [0, 255, 0] },
      { category: 'malignant_breast_lesion', rgb: [255, 0, 0] },
    ],
  },
  // As the reference does, normal images (no lesion) are left out of this segmentation corpus.
  emptyMask: 'skip',
  name: { pattern: /^(?<patient>[A-Za-z]+)_/, text: '<PATIENT>_<nnn>', patient: 'letter code' },
  classOfCategory: { benign_breast_lesion: 'benign', malignant_breast_lesion: 'malignant' },
};

export const dataset: DatasetModule = {
  info: {
    name: 'BUS-UCLM',
    aliases: ['BUS_UCLM'],
    anatomy: 'breast',
    structures: pairedCategories(FILES),
    modality: 'B-mode ultrasound',
    url: 'https://data.mendeley.com/datasets/7fvgj4jsp7/1',
    licence: 'CC BY-NC 4.0 (as listed on Mendeley Data; some copies quote CC BY 4.0)',
    citation: 'Vallez N, Bueno G, Deniz O, Rienda MA, Pastor C. BUS-UCLM: Breast ultrasound lesion segmentation dataset. ' + 'Scientific Data 12:242, 2025.',
    layout: describePairedFiles(FILES),
    imageLabels: ['class', 'patient'],
  },
  convert: pairedConverter(FILES),
};
