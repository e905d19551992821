/**
 * MicroSeg (Jiang et al., Comput Med Imaging Graph 2024, "MicroSegNet"): prostate in transrectal
 * micro-ultrasound volumes.
 * Raw layout (Zenodo record 10475293, `Micro_Ultrasound_Prostate_Segmentation_Dataset/`, unpacked):
 * `{train,test}/micro_ultrasound_scans/microUS_{train,test}_<n>.nii.gz` with the expert labels
 * `{train,test}/expert_annotations/expert_annotation_{train,test}_<n>.nii.gz` (0/1); the
 * non-expert annotations are not used. Files are found anywhere under the raw folder by name.
 *
 * Rules from the UltraSam reference: frames (slices along the third axis) without prostate are
 * skipped; label pixels where the image is 0 (outside the scan) are dropped; frames are rotated by
 * 180°. The same scans form MUP (mup.ts), which keeps the official test split.
 */
import { join } from 'node:path';
import { streamNiftiFrames } from '../formats/nifti.js';
import { rotate180, zipStreams } from '../formats/frame_ops.js';
import { frameLabels, frameToImage } from '../formats/volume.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles } from './support/files.js';
import { reportProblem } from './support/problems.js';

/** One micro-ultrasound scan with its expert annotation. */
export interface MicroUsCase {
  split: 'train' | 'test';
  /** Scan number as written ('01'). */
  number: string;
  scan?: string;
  annotation?: string;
}

/** Pairs microUS_<split>_<n>.nii.gz scans with expert_annotation_<split>_<n>.nii.gz labels. */
export async function findMicroUsCases(rawDir: string, dataset: string): Promise<MicroUsCase[]> {
  const cases = new Map<string, MicroUsCase>();
  for (const file of await listFiles(rawDir, { extensions: ['.nii.gz'] })) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    const scan = /^microUS_(train|test)_(\d+)\.nii\.gz$/i.exec(name);
    const annotation = /^expert_annotations?_(train|test)_(\d+)\.nii\.gz$/i.exec(name);
    const match = scan ?? annotation;
    if (!match) continue;
    const split = match[1].toLowerCase() as 'train' | 'test';
    const key = `${split}_${Number(match[2])}`;
    const entry = cases.get(key) ?? { split, number: match[2] };
    if (scan) entry.scan = file;
    else entry.annotation = file;
    cases.set(key, entry);
  }
  if (cases.size === 0) throw new Error(`${dataset}: no microUS_{train,test}_<n>.nii.gz scans under ${rawDir}`);
  return [...cases.values()].sort((a, b) => a.split.localeCompare(b.split) || Number(a.number) - Number(b.number));
}

/** The scan and annotation of a case, or undefined after reporting the one missing. */
export function casePair(entry: MicroUsCase, options: ConvertOptions): { scan: string; annotation: string } | undefined {
  if (!entry.scan) {
    reportProblem(options, entry.annotation!, `missing image: no microUS_${entry.split}_${entry.number}.nii.gz`);
    return undefined;
  }
  if (!entry.annotation) {
    reportProblem(options, entry.scan, `missing mask: no expert_annotation_${entry.split}_${entry.number}.nii.gz`);
    return undefined;
  }
  return { scan: entry.scan, annotation: entry.annotation };
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  for (const entry of await findMicroUsCases(rawDir, 'MicroSeg')) {
    const pair = casePair(entry, options);
    if (!pair) continue;
    const patient = `${entry.split}${entry.number}`;
    try {
      const frames = zipStreams(streamNiftiFrames(join(rawDir, pair.scan)), streamNiftiFrames(join(rawDir, pair.annotation)), (shorter, n) =>
        reportProblem(options, pair.annotation, `${shorter === 'first' ? 'scan' : 'annotation'} has fewer slices (stopped after ${n}): size mismatch`),
      );
      for await (const [frame, maskFrame] of frames) {
        const { width, height } = frame;
        if (maskFrame.width !== width || maskFrame.height !== height) {
          reportProblem(options, pair.annotation, `size mismatch: annotation slices are ${maskFrame.width}×${maskFrame.height}, scan ${width}×${height}`);
          break;
        }
        const image = frameToImage(frame);
        const labels = frameLabels(maskFrame);
        // The reference tests for an empty label before dropping out-of-scan pixels.
        if (!labels.some((v) => v !== 0)) continue;
        const mask = new Uint8Array(labels.length);
        for (let i = 0; i < labels.length; i++) if (labels[i] !== 0 && image.data[i] !== 0) mask[i] = 1;
        image.data = rotate180(image.data, width, height, image.channels);
        yield {
          image,
          patient,
          index: frame.index,
          sourceFile: pair.scan,
          masks: [{ category: 'prostate', mask: rotate180(mask, width, height) }],
          labels: { slice: frame.index },
        };
      }
    } catch (error) {
      if (options.strict) throw error;
      reportProblem(options, pair.scan, `unreadable scan: ${(error as Error).message}`);
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'MicroSeg',
    aliases: ['microseg', 'Micro_Ultrasound_Prostate_Segmentation_Dataset'],
    anatomy: 'prostate',
    structures: ['prostate'],
    modality: 'transrectal micro-ultrasound (29 MHz) volumes',
    url: 'https://zenodo.org/records/10475293',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Jiang H, Imran M, Muralidharan P, et al. MicroSegNet: A deep learning approach for prostate segmentation on micro-ultrasound images. Comput Med Imaging Graph 112:102326 (2024).',
    layout:
      '{train,test}/micro_ultrasound_scans/microUS_<split>_<n>.nii.gz + {train,test}/expert_annotations/expert_annotation_<split>_<n>.nii.gz; slices with prostate kept, labels outside the scan dropped, slices rotated 180°.',
    imageLabels: ['patient', 'pixel_spacing', 'slice'],
  },
  convert,
};
