/**
 * PSFHS (Bai et al., Sci Data 2024): pubic symphysis and fetal head in intrapartum transperineal
 * ultrasound — the FH-PS-AOP challenge's data under its published name.
 * Raw layout: `image_mha/<id>.mha` (MetaImage, 256×256×3: three identical grey planes, the first is
 * used) and `label_mha/<id>.mha` (256×256, labels 0 background, 1, 2).
 *
 * Which label is which is not written in the files; it follows from anatomy. Label 1 is the small
 * structure (median 1,885 px, 1,057–3,198 on the 100 shared images) in the upper part of the image
 * (median row 40 of 256), where the bony pubic symphysis sits just under the transperineal probe;
 * label 2 is always the larger (median 15,641 px, 11,533–21,313), round, deeper structure (median row
 * 138): the fetal head. The UltraSam reference converter (FH-PS-AOP) uses the same ids.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labelEquals } from '../components.js';
import { readMetaImage } from '../formats/mha.js';
import { frameLabels, frameToImage, volumeFrame } from '../formats/volume.js';
import { isDirectory, listFiles } from './support/files.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  if (!(await isDirectory(join(rawDir, 'image_mha')))) throw new Error(`PSFHS: no image_mha/ folder under ${rawDir}`);
  for (const file of await listFiles(join(rawDir, 'image_mha'), { recursive: false, match: /\.mha$/i })) {
    const source = `image_mha/${file}`;
    const labelSource = `label_mha/${file}`;
    if (!existsSync(join(rawDir, labelSource))) {
      options.warn(source, `missing label ${labelSource}`);
      continue;
    }
    let sample: ConvertedSample;
    try {
      const imageVolume = await readMetaImage(join(rawDir, source));
      const labelVolume = await readMetaImage(join(rawDir, labelSource));
      const image = frameToImage(volumeFrame(imageVolume, 0));
      // ElementSpacing is "1 1" in every file: ITK's default, not a calibration, so it is not kept.
      delete image.pixelSpacingMm;
      const labelFrame = volumeFrame(labelVolume, 0);
      if (labelFrame.width !== image.width || labelFrame.height !== image.height) {
        options.warn(labelSource, `label is ${labelFrame.width}×${labelFrame.height}, image ${image.width}×${image.height} (size mismatch)`);
        continue;
      }
      const labels = frameLabels(labelFrame);
      sample = {
        image,
        index: file.replace(/\.mha$/i, ''),
        sourceFile: source,
        masks: [
          { category: 'pubic_symphysis', mask: labelEquals(labels, 1) },
          { category: 'fetal_head', mask: labelEquals(labels, 2) },
        ],
      };
    } catch (error) {
      options.warn(source, `unreadable MetaImage pair: ${(error as Error).message}`);
      continue;
    }
    yield sample;
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'PSFHS',
    aliases: ['psfhs_dataset'],
    anatomy: 'intrapartum pelvis: pubic symphysis and fetal head',
    structures: ['pubic_symphysis', 'fetal_head'],
    modality: 'transperineal B-mode ultrasound, 2D images',
    url: 'https://zenodo.org/records/10969427',
    licence: 'not stated in the copy (see the Zenodo record)',
    citation: 'Bai J, et al. PSFHS: intrapartum ultrasound image dataset for AI-based segmentation of pubic symphysis and fetal head. Scientific Data (2024).',
    layout: 'image_mha/<id>.mha (256×256×3 MetaImage) + label_mha/<id>.mha (256×256, 1 pubic symphysis, 2 fetal head)',
    imageLabels: [],
  },
  convert,
};
