/**
 * regPro (μ-RegPro, MICCAI 2023 challenge "MR to Ultrasound Registration for Prostate"): prostate in
 * transrectal ultrasound volumes; only the ultrasound half of the MR–TRUS pairs is used.
 * Raw layout (the challenge's train.zip / val.zip, unpacked): `{train,val}/us_images/<case>.nii.gz`
 * with `{train,val}/us_labels/<case>.nii.gz`, a 4-D label volume (x, y, z, 6): channel 0 is the
 * prostate gland, channels 1–5 are landmarks (not converted here). `mr_images/` and `mr_labels/`
 * are ignored. Files are paired by case name, anywhere under the raw folder.
 *
 * Rules from the UltraSam reference: the volumes are cut into sagittal slices (fixed x: width y,
 * height z — see volume.ts), slices without prostate are skipped, and slices are rotated by 180°.
 */
import { join } from 'node:path';
import { readNifti } from '../formats/nifti.js';
import { rotate180 } from '../formats/frame_ops.js';
import { frameLabels, frameToImage, sagittalSlice } from '../formats/volume.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, stemOf } from './support/files.js';
import { reportProblem } from './support/problems.js';

const PROSTATE_CHANNEL = 0;

interface Case {
  name: string;
  split: string;
  image?: string;
  label?: string;
}

function findCases(files: string[]): Case[] {
  const cases = new Map<string, Case>();
  for (const file of files) {
    const parts = file.split('/');
    const folder = parts[parts.length - 2] ?? '';
    const isImage = /^us_images$/i.test(folder);
    const isLabel = /^us_labels$/i.test(folder);
    if (!isImage && !isLabel) continue;
    const split = parts[parts.length - 3] ?? '';
    const key = `${split}/${stemOf(file)}`;
    const entry = cases.get(key) ?? { name: stemOf(file), split };
    if (isImage) entry.image = file;
    else entry.label = file;
    cases.set(key, entry);
  }
  return [...cases.values()];
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const cases = findCases(await listFiles(rawDir, { extensions: ['.nii.gz', '.nii'] }));
  if (cases.length === 0) throw new Error(`regPro: no us_images/<case>.nii.gz volumes under ${rawDir}`);
  for (const entry of cases) {
    if (!entry.image || !entry.label) {
      reportProblem(options, entry.image ?? entry.label!, entry.image ? `missing mask: no us_labels/${entry.name}.nii.gz` : `missing image: no us_images/${entry.name}.nii.gz`);
      continue;
    }
    try {
      // Sagittal slices need the whole volume; one case (about 80³ voxels × 7) is small.
      const volume = await readNifti(join(rawDir, entry.image));
      const labels = await readNifti(join(rawDir, entry.label));
      const [nx, ny, nz] = volume.dims;
      if (labels.dims[0] !== nx || labels.dims[1] !== ny || labels.dims[2] !== nz) {
        reportProblem(options, entry.label, `size mismatch: labels are ${labels.dims.slice(0, 3).join('×')}, image ${volume.dims.slice(0, 3).join('×')}`);
        continue;
      }
      const channels = labels.dims[3] ?? 1;
      if (channels <= PROSTATE_CHANNEL) {
        reportProblem(options, entry.label, `label volume has ${channels} channels, the prostate is channel ${PROSTATE_CHANNEL}`);
        continue;
      }
      for (let x = 0; x < nx; x++) {
        const prostate = frameLabels(sagittalSlice(labels, x, PROSTATE_CHANNEL));
        if (!prostate.some((v) => v !== 0)) continue;
        const slice = sagittalSlice(volume, x);
        const image = frameToImage(slice);
        const { width, height } = image;
        image.data = rotate180(image.data, width, height, image.channels);
        const mask = new Uint8Array(prostate.length);
        for (let i = 0; i < mask.length; i++) if (prostate[i] !== 0) mask[i] = 1;
        yield {
          image,
          patient: entry.name,
          index: `${entry.split}_${x}`,
          sourceFile: entry.image,
          masks: [{ category: 'prostate', mask: rotate180(mask, width, height) }],
          labels: { slice: x },
        };
      }
    } catch (error) {
      if (options.strict) throw error;
      reportProblem(options, entry.image, `unreadable volume: ${(error as Error).message}`);
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'regPro',
    aliases: ['regpro', 'muregpro', 'mu-RegPro'],
    anatomy: 'prostate',
    structures: ['prostate'],
    modality: 'transrectal B-mode ultrasound volumes (the MR half of the pairs is not used)',
    url: 'https://muregpro.github.io/data.html (data: https://zenodo.org/records/7870105)',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Baum ZMC, Saeed SU, Min Z, et al. MR to Ultrasound Registration for Prostate Challenge — Dataset. Zenodo (2023), doi:10.5281/zenodo.7870105.',
    layout: '{train,val}/us_images/<case>.nii.gz + {train,val}/us_labels/<case>.nii.gz (x, y, z, 6; channel 0 prostate); sagittal slices with prostate, rotated 180°.',
    imageLabels: ['patient', 'pixel_spacing', 'slice'],
  },
  convert,
};
