/**
 * Ultrasound Nerve Segmentation (Kaggle, 2016): neck ultrasound frames of the brachial plexus,
 * 'train/<subject>_<frame>.tif' with the mask 'train/<subject>_<frame>_mask.tif'. About half the
 * frames show no nerve; they are kept as images without annotations (negatives matter here).
 */
import type { DatasetModule } from '../types.js';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from './support/paired_files.js';

const FILES: PairedFiles = {
  roots: ['', 'ultrasound-nerve-segmentation'],
  folders: [{ images: 'train', masks: 'train' }],
  extensions: ['.tif', '.tiff'],
  notImages: /_mask$/,
  maskName: '<stem>_mask<ext>',
  pixels: 'threshold',
  // The reference named it 'cervical_nerves'; the competition's target is the brachial plexus.
  category: 'brachial_plexus',
  emptyMask: 'keep',
  name: { pattern: /^(?<patient>\d+)_(?<index>\d+)$/, text: '<subject>_<frame>', patient: 'subject', unmatched: 'report' },
  note: 'test/ has no masks and is ignored.',
};

export const dataset: DatasetModule = {
  info: {
    name: 'Ultrasound_Nerve_Segmentation',
    aliases: ['ultrasound-nerve-segmentation', 'Ultrasound Nerve Segmentation', 'UNS'],
    anatomy: 'neck (brachial plexus)',
    structures: pairedCategories(FILES),
    modality: 'B-mode ultrasound',
    url: 'https://www.kaggle.com/c/ultrasound-nerve-segmentation/data',
    licence: 'Kaggle competition rules (no separate data licence stated)',
    citation: 'Kaggle. Ultrasound Nerve Segmentation competition, 2016. https://www.kaggle.com/c/ultrasound-nerve-segmentation',
    layout: describePairedFiles(FILES),
    imageLabels: ['patient'],
  },
  convert: pairedConverter(FILES),
};
