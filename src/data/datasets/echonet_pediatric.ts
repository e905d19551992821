/**
 * EchoNet-Pediatric (Reddy et al., J Am Soc Echocardiogr 2023): left ventricle in paediatric
 * echocardiography videos, apical-4-chamber (A4C) and parasternal short-axis (PSAX) views.
 * Raw layout (as released): `pediatric_echo_avi/pediatric_echo_avi/{A4C,PSAX}/Videos/<FileName>.avi`
 * with `{A4C,PSAX}/VolumeTracings.csv` (FileName, X, Y, Frame: the outline's points; rows whose
 * Frame is "No Systolic" / "No Diastolic" have none) and `{A4C,PSAX}/FileList.csv`.
 *
 * Only traced frames become images. The UltraSam reference reads frame `Frame - 1`, i.e. it takes
 * the pediatric frame numbers as 1-based; that is kept here. The view is an image label and part of
 * the image index; the FileList's ten cross-validation folds are not an official test split.
 */
import { join } from 'node:path';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { isDirectory } from './support/files.js';
import { convertTracedVideos } from './echonet_dynamic.js';

const VIEWS = ['A4C', 'PSAX'];
const ROOTS = ['pediatric_echo_avi/pediatric_echo_avi', 'pediatric_echo_avi', ''];

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  let root: string | undefined;
  for (const candidate of ROOTS) {
    if (root === undefined && (await Promise.all(VIEWS.map((v) => isDirectory(join(rawDir, candidate, v))))).some(Boolean)) root = candidate;
  }
  if (root === undefined) throw new Error(`EchoNet-Pediatric: no A4C/ or PSAX/ folder under ${rawDir} (nor under ${ROOTS.slice(0, 2).join(', ')})`);
  for (const view of VIEWS) {
    const folder = root === '' ? view : `${root}/${view}`;
    if (!(await isDirectory(join(rawDir, folder)))) continue;
    yield* convertTracedVideos(rawDir, { dataset: 'EchoNet-Pediatric', folder, frameOffset: -1, labels: { view }, indexPrefix: `${view}_` }, options);
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'EchoNet-Pediatric',
    aliases: ['echonet-pediatric', 'echonet_pediatric', 'pediatric_echo_avi'],
    anatomy: 'heart (left ventricle), children',
    structures: ['left_ventricle'],
    modality: 'transthoracic echocardiography, A4C and PSAX videos (AVI)',
    url: 'https://echonet.github.io/pediatric/',
    licence: 'Stanford University School of Medicine EchoNet-Pediatric Dataset Research Use Agreement',
    citation:
      'Reddy CD, Lopez L, Ouyang D, Zou JY, He B. Video-Based Deep Learning for Automated Assessment of Left Ventricular Ejection Fraction in Pediatric Patients. J Am Soc Echocardiogr 36(5):482-489 (2023).',
    layout: '[pediatric_echo_avi/pediatric_echo_avi/]{A4C,PSAX}/Videos/<FileName>.avi + {A4C,PSAX}/VolumeTracings.csv (FileName,X,Y,Frame, 1-based frames); traced frames only (needs ffmpeg).',
    imageLabels: ['patient', 'view', 'frame'],
  },
  convert,
};
