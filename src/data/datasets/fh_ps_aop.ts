/**
 * FH-PS-AOP (Pubic Symphysis-Fetal Head Segmentation and Angle of Progression, MICCAI 2023
 * challenge, Lu et al.): pubic symphysis and fetal head in intrapartum transperineal ultrasound.
 * Raw layout (Zenodo record 10829116, unpacked): `Pubic Symphysis-Fetal Head Segmentation and Angle
 * of Progression/image_mha/<id>.mha` (3 identical grey planes of 256×256; the first is used) with
 * `label_mha/<id>.mha` (256×256: 1 pubic symphysis, 2 fetal head) — the same ids as PSFHS.
 *
 * As in the UltraSam reference, label pixels outside the ultrasound field of view are removed. The
 * field of view is estimated as the reference does: the largest non-zero region, opened by a 12×12
 * square (erode, keep the largest part, dilate) to cut off the colour bar and text, then its convex
 * hull. Unlike the reference, a label pixel is removed only where it is outside that hull AND the
 * image is 0 there: the hull alone cuts into dark parts of the sector (the reference marks this step
 * "NOTE issue here"). On the 100 PSFHS images in ../shared, the hull alone drops 3.6 % of the
 * fetal-head pixels of 32 images, nearly all over image content (grey 1–2); with the zero test,
 * 0.14 %, all over blank image.
 */
import { join } from 'node:path';
import { labelEquals } from '../components.js';
import { readMetaImage } from '../formats/mha.js';
import { convexHullMask, dilateSquare, erodeSquare, largestComponent } from '../formats/mask_morphology.js';
import { frameLabels, frameToImage, volumeFrame } from '../formats/volume.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, isFile, listFiles, stemOf } from './support/files.js';
import { reportProblem } from './support/problems.js';

const ROOTS = ['', 'Pubic Symphysis-Fetal Head Segmentation and Angle of Progression'];
const OPENING_SIZE = 12;

/** The ultrasound field of view of a grey image (1 inside), as described above. */
export function fieldOfView(grey: ArrayLike<number>, width: number, height: number): Uint8Array {
  const nonZero = new Uint8Array(width * height);
  for (let i = 0; i < nonZero.length; i++) if (grey[i] !== 0) nonZero[i] = 1;
  let fov = largestComponent(nonZero, width, height);
  fov = erodeSquare(fov, width, height, OPENING_SIZE);
  fov = largestComponent(fov, width, height);
  fov = dilateSquare(fov, width, height, OPENING_SIZE);
  return convexHullMask(fov, width, height);
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  let root: string | undefined;
  for (const candidate of ROOTS) if (await isDirectory(join(rawDir, candidate, 'image_mha'))) root = candidate;
  if (root === undefined) throw new Error(`FH-PS-AOP: no image_mha/ folder under ${rawDir} (nor under "${ROOTS[1]}/")`);
  const prefix = root === '' ? '' : `${root}/`;
  for (const file of await listFiles(join(rawDir, root, 'image_mha'), { extensions: ['.mha'] })) {
    const source = `${prefix}image_mha/${file}`;
    const maskSource = `${prefix}label_mha/${file}`;
    if (!(await isFile(join(rawDir, maskSource)))) {
      reportProblem(options, source, `missing mask: ${maskSource} not found`);
      continue;
    }
    let sample: ConvertedSample | undefined;
    try {
      const image = frameToImage(volumeFrame(await readMetaImage(join(rawDir, source)), 0));
      // ElementSpacing "1 1 1" is ITK's default, not a calibration.
      delete image.pixelSpacingMm;
      const labelFrame = volumeFrame(await readMetaImage(join(rawDir, maskSource)), 0);
      const { width, height } = image;
      if (labelFrame.width !== width || labelFrame.height !== height) {
        reportProblem(options, maskSource, `size mismatch: label is ${labelFrame.width}×${labelFrame.height}, image ${width}×${height}`);
        continue;
      }
      const labels = frameLabels(labelFrame);
      const fov = fieldOfView(image.data, width, height);
      for (let i = 0; i < labels.length; i++) if (!fov[i] && image.data[i] === 0) labels[i] = 0;
      sample = {
        image,
        index: stemOf(file),
        sourceFile: source,
        masks: [
          { category: 'pubic_symphysis', mask: labelEquals(labels, 1) },
          { category: 'fetal_head', mask: labelEquals(labels, 2) },
        ],
      };
    } catch (error) {
      if (options.strict) throw error;
      reportProblem(options, source, `unreadable MetaImage pair: ${(error as Error).message}`);
      continue;
    }
    yield sample;
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'FH-PS-AOP',
    aliases: ['fh_ps_aop', 'FH_PS_AOP', 'Pubic Symphysis-Fetal Head Segmentation and Angle of Progression'],
    anatomy: 'intrapartum pelvis: pubic symphysis and fetal head',
    structures: ['pubic_symphysis', 'fetal_head'],
    modality: 'transperineal B-mode ultrasound, 2D images',
    url: 'https://zenodo.org/records/10829116',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Lu Y, et al. The JNU-IFM dataset for segmenting pubic symphysis-fetal head. Data in Brief 41:107904 (2022); FH-PS-AOP challenge, MICCAI 2023.',
    layout:
      '[Pubic Symphysis-Fetal Head Segmentation and Angle of Progression/]image_mha/<id>.mha (3 planes, first used) + label_mha/<id>.mha (1 pubic symphysis, 2 fetal head); labels removed where the image is blank (0) outside the estimated field of view.',
    imageLabels: [],
  },
  convert,
};
