/**
 * BUS_UC (Breast Ultrasound Cancer): benign and malignant breast tumours, each class folder
 * holding `images/` and `masks/` with the same file names. Some masks are saved at another size
 * than their image; they are resized to the image by nearest neighbour, as the reference does.
 */
import type { DatasetModule } from '../types.js';
import { type PairedFiles, describePairedFiles, pairedCategories, pairedConverter } from './support/paired_files.js';

const FILES: PairedFiles = {
  roots: ['', 'BUS_UC'],
  // The archive's 'All/' folder repeats both classes; reading the class folders alone avoids duplicates.
  folders: [
    { images: 'Benign/images', masks: 'Benign/masks', indexPrefix: 'benign_', category: 'breast_benign', labels: { class: 'benign' } },
    {
      images: 'Malignant/images',
      masks: 'Malignant/masks',
      indexPrefix: 'malignant_',
      category: 'breast_malignant',
      labels: { class: 'malignant' },
    },
  ],
  extensions: ['.png'],
  maskName: '<stem><ext>',
  pixels: 'threshold',
  resize: 'nearest',
  // The reference keeps only images whose mask shows the tumour.
  emptyMask: 'skip',
  note: 'All/ is ignored.',
};

export const dataset: DatasetModule = {
  info: {
    name: 'BUS_UC',
    aliases: ['BUS-UC'],
    anatomy: 'breast',
    structures: pairedCategories(FILES),
    modality: 'B-mode ultrasound',
    url: 'https://data.mendeley.com/datasets/3ksd7w7jkx/1',
    licence: 'CC BY 4.0',
    citation: 'Iqbal A, Sharif M. BUS_UC: Breast Ultrasound Cancer dataset. Mendeley Data, V1, 2023. doi:10.17632/3ksd7w7jkx.1',
    layout: describePairedFiles(FILES),
    imageLabels: ['class'],
  },
  convert: pairedConverter(FILES),
};
