/**
 * CardiacUDC (Kaggle, Xu et al.): multi-centre echocardiography sequences with chamber labels.
 * Raw layout (`cardiacUDC_dataset`, unpacked; the Kaggle download is a zip named
 * `.change2zip`): `<Site>/<patient>_image.nii.gz` with `<Site>/<patient>_label*.nii.gz` (2D+t,
 * frames along the third axis). Labels: 1 left ventricle, 2 left atrium, 3 right atrium,
 * 4 right ventricle, 5 epicardium. Label 6, present in a few volumes and named by nobody (the
 * reference kept it as "left_ventricle2"), is not converted.
 *
 * Rules from the UltraSam reference: "label_all_frame" volumes mark only the outlines of the
 * structures, so each label is hole-filled per frame; frames whose filled foreground covers under
 * 2.5 % of the image are stray marks and skipped; frames are rotated by 180° (stored upside down).
 * Patients without a label volume (site R has some) are skipped with a warning.
 */
import { join } from 'node:path';
import { fillHoles } from '../components.js';
import { streamNiftiFrames } from '../formats/nifti.js';
import { rotate180, zipStreams } from '../formats/frame_ops.js';
import { frameLabels, frameToImage } from '../formats/volume.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { folderOf, listFiles } from './support/files.js';
import { reportProblem } from './support/problems.js';

const CATEGORIES: [number, string][] = [
  [1, 'left_ventricle'],
  [2, 'left_atrium'],
  [3, 'right_atrium'],
  [4, 'right_ventricle'],
  [5, 'epicardium'],
];
/** Minimum share of labelled pixels (after hole filling) for a frame to be kept. */
const MIN_FOREGROUND = 0.025;

interface Case {
  site: string;
  patient: string;
  image?: string;
  labels: string[];
}

function findCases(files: string[]): Case[] {
  const cases = new Map<string, Case>();
  for (const file of files) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    const match = /^([^_]+)_(image|label[^.]*)\.nii\.gz$/i.exec(name);
    if (!match) continue;
    const folder = folderOf(file);
    const site = folder.slice(folder.lastIndexOf('/') + 1) || 'site';
    const key = `${folder}/${match[1]}`;
    const entry = cases.get(key) ?? { site, patient: match[1], labels: [] };
    if (match[2].toLowerCase() === 'image') entry.image = file;
    else entry.labels.push(file);
    cases.set(key, entry);
  }
  return [...cases.values()];
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const cases = findCases(await listFiles(rawDir, { extensions: ['.nii.gz'] }));
  if (cases.length === 0) throw new Error(`CardiacUDC: no <Site>/<patient>_image.nii.gz volumes under ${rawDir}`);
  for (const entry of cases) {
    if (!entry.image) {
      reportProblem(options, entry.labels[0], 'missing image: no <patient>_image.nii.gz beside this label volume');
      continue;
    }
    if (entry.labels.length !== 1) {
      reportProblem(options, entry.image, entry.labels.length === 0 ? 'missing mask: no <patient>_label*.nii.gz' : `several label volumes: ${entry.labels.join(', ')}`);
      continue;
    }
    const source = entry.image;
    const maskSource = entry.labels[0];
    const patient = `${entry.site}_${entry.patient}`;
    try {
      const pairs = zipStreams(streamNiftiFrames(join(rawDir, source)), streamNiftiFrames(join(rawDir, maskSource)), (shorter, n) =>
        reportProblem(options, maskSource, `${shorter === 'first' ? 'image' : 'label'} volume has fewer frames (stopped after ${n}): size mismatch`),
      );
      for await (const [frame, maskFrame] of pairs) {
        const { width, height } = frame;
        if (maskFrame.width !== width || maskFrame.height !== height) {
          reportProblem(options, maskSource, `size mismatch: labels are ${maskFrame.width}×${maskFrame.height}, image ${width}×${height}`);
          break;
        }
        const labels = frameLabels(maskFrame);
        let foreground = 0;
        const masks = CATEGORIES.map(([value, category]) => {
          const outline = new Uint8Array(labels.length);
          let any = false;
          for (let i = 0; i < labels.length; i++) {
            if (labels[i] === value) {
              outline[i] = 1;
              any = true;
            }
          }
          const filled = any ? fillHoles(outline, width, height) : outline;
          return { category, mask: filled };
        });
        // The share is measured on the union, as the reference measures its filled label map.
        const union = new Uint8Array(labels.length);
        for (const { mask } of masks) for (let i = 0; i < mask.length; i++) if (mask[i]) union[i] = 1;
        for (let i = 0; i < union.length; i++) foreground += union[i];
        if (foreground === 0 || foreground / union.length < MIN_FOREGROUND) continue;
        const image = frameToImage(frame);
        image.data = rotate180(image.data, width, height, image.channels);
        yield {
          image,
          patient,
          index: frame.index,
          sourceFile: source,
          masks: masks.map(({ category, mask }) => ({ category, mask: rotate180(mask, width, height) })),
          labels: { site: entry.site, frame: frame.index },
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
    name: 'CardiacUDC',
    aliases: ['cardiacUDC', 'cardiacudc', 'cardiacUDC_dataset'],
    anatomy: 'heart (four chambers and epicardium)',
    structures: CATEGORIES.map(([, name]) => name),
    modality: 'transthoracic echocardiography, 2D+t sequences from several sites',
    url: 'https://www.kaggle.com/datasets/xiaoweixumedicalai/cardiacudc-dataset',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Xu X, et al. GraphEcho: Graph-Driven Unsupervised Domain Adaptation for Echocardiogram Video Segmentation. ICCV 2023 (CardiacUDC dataset).',
    layout:
      '<Site>/<patient>_image.nii.gz + <Site>/<patient>_label*.nii.gz (1 LV, 2 LA, 3 RA, 4 RV, 5 epicardium; 6 not converted). Outline labels are hole-filled; frames with < 2.5 % foreground skipped; frames rotated 180°.',
    imageLabels: ['patient', 'pixel_spacing', 'site', 'frame'],
  },
  convert,
};
