/**
 * SegThy (Krönke et al., TUM CAMP, 2022): thyroid, carotid artery and jugular vein in 3-D tracked
 * ultrasound volumes of volunteers.
 * Raw layout (`segthy-dataset`, unpacked): uncompressed NIfTI volumes; an image `<id>_US.nii` and a
 * label volume `<id>.nii` in a folder (or with a name) containing `label`, with 1 thyroid,
 * 2 carotid artery, 3 jugular vein. Pairing follows the UltraSam reference: a label file's key is
 * its stem, an image's key its stem without the `_US` suffix. `.nii.gz` copies are read as well.
 *
 * Rules from the reference: slices along the third axis without any label are skipped; slices are
 * rotated by 180°.
 */
import { join } from 'node:path';
import { labelEquals } from '../components.js';
import { streamNiftiFrames } from '../formats/nifti.js';
import { rotate180, zipStreams } from '../formats/frame_ops.js';
import { frameLabels, frameToImage } from '../formats/volume.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, stemOf } from './support/files.js';
import { reportProblem } from './support/problems.js';

const CATEGORIES: [number, string][] = [
  [1, 'thyroid'],
  [2, 'carotid'],
  [3, 'jugular'],
];

interface Volunteer {
  id: string;
  images: string[];
  labels: string[];
}

function findVolunteers(files: string[]): Volunteer[] {
  const byId = new Map<string, Volunteer>();
  for (const file of files) {
    const isLabel = /label/i.test(file);
    const stem = stemOf(file);
    const id = isLabel ? stem : stem.replace(/_US$/i, '');
    const entry = byId.get(id) ?? { id, images: [], labels: [] };
    (isLabel ? entry.labels : entry.images).push(file);
    byId.set(id, entry);
  }
  return [...byId.values()];
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const volunteers = findVolunteers(await listFiles(rawDir, { extensions: ['.nii', '.nii.gz'] }));
  if (volunteers.length === 0) throw new Error(`Segthy: no .nii volumes under ${rawDir}`);
  for (const entry of volunteers) {
    if (entry.images.length !== 1 || entry.labels.length !== 1) {
      const file = entry.images[0] ?? entry.labels[0];
      const problem =
        entry.labels.length === 0
          ? `missing mask: no label volume ${entry.id}.nii`
          : entry.images.length === 0
            ? `missing image: no ${entry.id}_US.nii for this label volume`
            : `ambiguous pairing for "${entry.id}": images ${entry.images.join(', ')}; labels ${entry.labels.join(', ')}`;
      reportProblem(options, file, problem);
      continue;
    }
    const [source] = entry.images;
    const [maskSource] = entry.labels;
    try {
      const pairs = zipStreams(streamNiftiFrames(join(rawDir, source)), streamNiftiFrames(join(rawDir, maskSource)), (shorter, n) =>
        reportProblem(options, maskSource, `${shorter === 'first' ? 'image' : 'label'} volume has fewer slices (stopped after ${n}): size mismatch`),
      );
      for await (const [frame, maskFrame] of pairs) {
        const { width, height } = frame;
        if (maskFrame.width !== width || maskFrame.height !== height) {
          reportProblem(options, maskSource, `size mismatch: label slices are ${maskFrame.width}×${maskFrame.height}, image ${width}×${height}`);
          break;
        }
        const labels = frameLabels(maskFrame);
        if (!labels.some((v) => v !== 0)) continue;
        const image = frameToImage(frame);
        image.data = rotate180(image.data, width, height, image.channels);
        yield {
          image,
          patient: entry.id,
          index: frame.index,
          sourceFile: source,
          masks: CATEGORIES.map(([value, category]) => ({ category, mask: rotate180(labelEquals(labels, value), width, height) })),
          labels: { slice: frame.index },
        };
      }
    } catch (error) {
      if (options.strict) throw error;
      reportProblem(options, source, `unreadable volume: ${(error as Error).message}`);
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'Segthy',
    aliases: ['segthy', 'SegThy', 'segthy-dataset'],
    anatomy: 'neck: thyroid, carotid artery, jugular vein',
    structures: CATEGORIES.map(([, name]) => name),
    modality: 'tracked 3-D B-mode ultrasound volumes',
    url: 'https://www.cs.cit.tum.de/camp/publications/segthy-dataset/',
    licence: "not verified: see the publisher's page (url)",
    citation:
      'Krönke M, Eilers C, Dimova D, et al. Tracked 3D ultrasound and deep neural network-based thyroid segmentation reduce interobserver variability in thyroid volumetry. PLoS ONE 17(7): e0268550 (2022).',
    layout: '<id>_US.nii images + <id>.nii label volumes in a folder named *label* (1 thyroid, 2 carotid, 3 jugular); slices with a label kept, rotated 180°.',
    imageLabels: ['patient', 'pixel_spacing', 'slice'],
  },
  convert,
};
