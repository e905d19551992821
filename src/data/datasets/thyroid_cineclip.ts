/**
 * Thyroid Ultrasound Cine-clip (Stanford AIMI): 192 biopsy-confirmed thyroid nodules of 167
 * patients, cine-clip frames with radiologist segmentations of the nodule.
 * Raw layout (as downloaded): `dataset.hdf5` with datasets `image` (N, H, W) uint8 frames,
 * `mask` (N, H, W) 0/255 segmentations, `annot_id` (N) the clip/nodule id (e.g. "12_") and
 * `frame_num` (N); `metadata.csv` beside it is not needed.
 *
 * The file is 36 GB, so frames are read one at a time. As in the UltraSam reference every frame is
 * kept and masks are hole-filled. The annotation id is the finest grouping the file gives (the
 * patient id is not in it), so it is used as the patient for splitting; the few patients with two
 * nodules may thus land on both sides. The masks outline the nodule, hence the category name.
 */
import { join } from 'node:path';
import { fillHoles } from '../components.js';
import { Hdf5File } from '../formats/hdf5.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isFile } from './support/files.js';
import { reportProblem } from './support/problems.js';

const FILE = 'dataset.hdf5';

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  if (!(await isFile(join(rawDir, FILE)))) throw new Error(`Thyroid US Cineclip: no ${FILE} in ${rawDir}`);
  const file = await Hdf5File.open(join(rawDir, FILE));
  try {
    const imageShape = file.shape('image');
    const maskShape = file.shape('mask');
    if (imageShape.length !== 3) throw new Error(`${FILE}: "image" has shape [${imageShape.join(', ')}], expected (N, H, W)`);
    if (maskShape.join(',') !== imageShape.join(',')) {
      reportProblem(options, FILE, `size mismatch: "mask" has shape [${maskShape.join(', ')}], "image" [${imageShape.join(', ')}]`);
      return;
    }
    const ids = file.readStrings('annot_id').map((id) => id.trim().replace(/_+$/, ''));
    if (ids.length !== imageShape[0]) throw new Error(`${FILE}: "annot_id" has ${ids.length} entries for ${imageShape[0]} frames`);
    const frameNumbers = file.listDatasets().some((d) => d.path === 'frame_num') ? Array.from(file.readAll('frame_num')) : undefined;
    for (let i = 0; i < imageShape[0]; i++) {
      const frame = file.readFrame('image', i);
      const maskFrame = file.readFrame('mask', i);
      const { width, height } = frame;
      const outline = new Uint8Array(width * height);
      for (let p = 0; p < outline.length; p++) if (maskFrame.values[p] !== 0) outline[p] = 1;
      const frameNumber = frameNumbers?.[i] ?? i;
      yield {
        image: { data: Uint8Array.from(frame.values), width, height, channels: 1 },
        patient: ids[i],
        index: frameNumber,
        sourceFile: `${FILE}#${i}`,
        masks: [{ category: 'thyroid_nodule', mask: fillHoles(outline, width, height) }],
        labels: { clip: ids[i], frame: frameNumber },
      };
    }
  } finally {
    file.close();
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'ThyroidUSCineclip',
    aliases: ['Thyroid US Cineclip', 'thyroidultrasoundcineclip', 'thyroid_cineclip'],
    anatomy: 'thyroid (nodule)',
    structures: ['thyroid_nodule'],
    modality: 'B-mode ultrasound cine clips (HDF5 frames)',
    url: 'https://stanfordaimi.azurewebsites.net/datasets/a72f2b02-7b53-4c5d-963c-d7253220bfd5',
    licence: 'Stanford University Dataset Research Use Agreement',
    citation: 'Stanford AIMI. Thyroid Ultrasound Cine-clip dataset (2021), doi:10.71718/7m5n-rh16.',
    layout: 'dataset.hdf5: image (N, H, W) uint8, mask (N, H, W) 0/255, annot_id (N), frame_num (N); every frame, masks hole-filled; annot_id used as patient.',
    imageLabels: ['patient', 'clip', 'frame'],
  },
  convert,
};
