/**
 * CAMUS (Leclerc et al., IEEE TMI 2019): apical two- and four-chamber echocardiography sequences.
 * Raw layout (the 2023 NIfTI release, `CAMUS_public/database_nifti/`):
 * `patient0001/patient0001_2CH_half_sequence.nii.gz` (2D+t, frames from end-diastole to
 * end-systole) with `patient0001_2CH_half_sequence_gt.nii.gz`, and the same for 4CH. Labels:
 * 1 left-ventricle cavity (endocardium), 2 myocardium (epicardium), 3 left atrium.
 *
 * Category names and rules follow the UltraSam reference: `endocardium`, `epicardium`,
 * `atrium_wall` for labels 1, 2, 3; every frame of the half sequences is kept; label pixels where the
 * image is 0 (outside the ultrasound sector) are dropped. Frames are used as stored (volume.ts).
 */
import { join } from 'node:path';
import { streamNiftiFrames } from '../formats/nifti.js';
import { zipStreams } from '../formats/frame_ops.js';
import { frameLabels, frameToImage } from '../formats/volume.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory, isFile, listFiles } from './support/files.js';
import { reportProblem } from './support/problems.js';

const CATEGORIES: [number, string][] = [
  [1, 'endocardium'],
  [2, 'epicardium'],
  [3, 'atrium_wall'],
];
const VIEWS = ['2CH', '4CH'] as const;

/** Folder holding the patientNNNN folders: the raw dir itself or one of the release's sub-folders. */
async function databaseRoot(rawDir: string): Promise<string> {
  for (const candidate of ['', 'database_nifti', 'CAMUS_public/database_nifti']) {
    const dir = join(rawDir, candidate);
    if (!(await isDirectory(dir))) continue;
    const entries = await listFiles(dir, { recursive: true, extensions: ['.nii.gz'] });
    if (entries.some((e) => /^patient\d+\/patient\d+_(2|4)CH_half_sequence\.nii\.gz$/.test(e))) return candidate;
  }
  throw new Error(`CAMUS: no patientNNNN/patientNNNN_2CH_half_sequence.nii.gz under ${rawDir} (nor database_nifti/)`);
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const root = await databaseRoot(rawDir);
  const prefix = root === '' ? '' : `${root}/`;
  const files = await listFiles(join(rawDir, root), { extensions: ['.nii.gz'] });
  const patients = [...new Set(files.map((f) => /^(patient\d+)\//.exec(f)?.[1]).filter((p): p is string => p !== undefined))];
  for (const patient of patients) {
    for (const view of VIEWS) {
      const source = `${prefix}${patient}/${patient}_${view}_half_sequence.nii.gz`;
      const maskSource = `${prefix}${patient}/${patient}_${view}_half_sequence_gt.nii.gz`;
      if (!(await isFile(join(rawDir, source)))) {
        reportProblem(options, `${prefix}${patient}`, `missing ${view} sequence: ${source} not found`);
        continue;
      }
      if (!(await isFile(join(rawDir, maskSource)))) {
        reportProblem(options, source, `missing mask: ${maskSource} not found`);
        continue;
      }
      try {
        const pairs = zipStreams(streamNiftiFrames(join(rawDir, source)), streamNiftiFrames(join(rawDir, maskSource)), (shorter, n) =>
          reportProblem(options, maskSource, `${shorter === 'first' ? 'sequence' : 'ground truth'} has fewer frames (stopped after ${n}): size mismatch`),
        );
        for await (const [frame, maskFrame] of pairs) {
          if (maskFrame.width !== frame.width || maskFrame.height !== frame.height) {
            reportProblem(options, maskSource, `size mismatch: ground truth is ${maskFrame.width}×${maskFrame.height}, sequence ${frame.width}×${frame.height}`);
            break;
          }
          const image = frameToImage(frame);
          const labels = frameLabels(maskFrame);
          const masks = CATEGORIES.map(([value, category]) => {
            const mask = new Uint8Array(labels.length);
            // Outside the sector (image 0) a label is an annotation slip, as the reference notes.
            for (let i = 0; i < labels.length; i++) if (labels[i] === value && image.data[i] !== 0) mask[i] = 1;
            return { category, mask };
          });
          yield {
            image,
            patient,
            index: `${view}_${String(frame.index).padStart(2, '0')}`,
            sourceFile: source,
            masks,
            labels: { view, frame: frame.index },
          };
        }
      } catch (error) {
        if (options.strict) throw error;
        reportProblem(options, source, `unreadable sequence: ${(error as Error).message}`);
      }
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'CAMUS',
    aliases: ['camus_public', 'CAMUS_public', 'database_nifti'],
    anatomy: 'heart (left ventricle, myocardium, left atrium)',
    structures: CATEGORIES.map(([, name]) => name),
    modality: 'transthoracic echocardiography, apical 2- and 4-chamber 2D+t sequences',
    url: 'https://humanheart-project.creatis.insa-lyon.fr/database/#collection/6373703d73e9f0047faa1bc8',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Leclerc S, Smistad E, Pedrosa J, et al. Deep Learning for Segmentation Using an Open Large-Scale Dataset in 2D Echocardiography. IEEE Trans Med Imaging 38(9):2198-2210 (2019).',
    layout:
      '[CAMUS_public/database_nifti/]patientNNNN/patientNNNN_{2CH,4CH}_half_sequence.nii.gz + ..._half_sequence_gt.nii.gz (1 endocardium, 2 epicardium, 3 atrium_wall); every frame, labels outside the sector (image 0) dropped.',
    imageLabels: ['patient', 'pixel_spacing', 'view', 'frame'],
  },
  convert,
};
