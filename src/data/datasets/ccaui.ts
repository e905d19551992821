/**
 * CCAUI (Common Carotid Artery Ultrasound Images): 1,100 longitudinal B-mode frames of the
 * common carotid artery from 11 subjects (100 each), with expert masks under the same names.
 * Frame names are '<acquisition>_slice_<n>.png'; the acquisition code identifies the subject.
 * Evaluation-only: kept, with BUSI, BUS-BRA and MMOTU, for measuring generalisation to unseen anatomy.
 */
import type { DatasetModule } from '../types.js';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from './support/paired_files.js';

const ROOT = 'Common Carotid Artery Ultrasound Images';

const FILES: PairedFiles = {
  roots: ['', ROOT],
  folders: [{ images: 'US images', masks: 'Expert mask images' }],
  extensions: ['.png'],
  maskName: '<stem><ext>',
  pixels: 'threshold',
  category: 'carotid_artery',
  // The reference skips frames whose mask is empty.
  emptyMask: 'skip',
  name: { pattern: /^(?<patient>.*)_slice_(?<index>\d+)$/i, text: '<acquisition>_slice_<n>', patient: 'acquisition code' },
};

export const dataset: DatasetModule = {
  info: {
    name: 'CCAUI',
    aliases: [ROOT, 'Common_Carotid_Artery_Ultrasound_Images'],
    anatomy: 'neck (common carotid artery)',
    structures: pairedCategories(FILES),
    modality: 'B-mode ultrasound',
    url: 'https://data.mendeley.com/datasets/d4xt63mgjm/1',
    licence: 'CC BY 4.0',
    citation: 'Momot A. Common Carotid Artery Ultrasound Images. Mendeley Data, V1, 2022. doi:10.17632/d4xt63mgjm.1',
    layout: describePairedFiles(FILES),
    imageLabels: ['patient'],
    evaluationOnly: true,
  },
  convert: pairedConverter(FILES),
};
