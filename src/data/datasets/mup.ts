/**
 * MUP, Micro-Ultrasound Prostate (the MicroSegNet data as the UltraSam reference converts it a
 * second time, keeping the publishers' train/test split): prostate in micro-ultrasound volumes.
 * Raw layout: as MicroSeg (microseg.ts) — `microUS_{train,test}_<n>.nii.gz` scans with
 * `expert_annotation_{train,test}_<n>.nii.gz` labels, anywhere under the raw folder.
 *
 * Rules from the reference: every slice (along the third axis) is kept, with or without prostate;
 * label voxels are dropped where the scan is background, a voxel being background when the whole
 * line through it along any of the three axes is 0; slices are flipped upside down. Patients are
 * named `<split><n>` because scan numbers repeat between train and test; test scans are the
 * official test split.
 */
import { join } from 'node:path';
import { streamNiftiFrames } from '../formats/nifti.js';
import { flipRows, zipStreams } from '../formats/frame_ops.js';
import { frameLabels, frameToImage } from '../formats/volume.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { casePair, findMicroUsCases } from './microseg.js';
import { reportProblem } from './support/problems.js';

/** Per (x, y): 1 when some slice has a non-zero scan voxel there (a first pass over the volume). */
async function nonZeroAlongSlices(path: string): Promise<{ any: Uint8Array; width: number; height: number }> {
  let any: Uint8Array | undefined;
  let width = 0;
  let height = 0;
  for await (const frame of streamNiftiFrames(path)) {
    const grey = frameToImage(frame).data;
    if (!any) {
      ({ width, height } = frame);
      any = new Uint8Array(width * height);
    }
    for (let i = 0; i < any.length; i++) if (grey[i] !== 0) any[i] = 1;
  }
  if (!any) throw new Error(`${path}: no slices`);
  return { any, width, height };
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  for (const entry of await findMicroUsCases(rawDir, 'MUP')) {
    const pair = casePair(entry, options);
    if (!pair) continue;
    const patient = `${entry.split}${entry.number}`;
    try {
      const alongSlices = await nonZeroAlongSlices(join(rawDir, pair.scan));
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
        const grey = image.data;
        const rowAny = new Uint8Array(height);
        const columnAny = new Uint8Array(width);
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            if (grey[y * width + x] !== 0) {
              rowAny[y] = 1;
              columnAny[x] = 1;
            }
          }
        }
        const labels = frameLabels(maskFrame);
        const mask = new Uint8Array(labels.length);
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const i = y * width + x;
            if (labels[i] !== 0 && rowAny[y] && columnAny[x] && alongSlices.any[i]) mask[i] = 1;
          }
        }
        image.data = flipRows(grey, width, height, image.channels);
        const sample: ConvertedSample = {
          image,
          patient,
          index: frame.index,
          sourceFile: pair.scan,
          masks: [{ category: 'prostate', mask: flipRows(mask, width, height) }],
          labels: { slice: frame.index },
        };
        if (entry.split === 'test') sample.officialSplit = 'test';
        yield sample;
      }
    } catch (error) {
      if (options.strict) throw error;
      reportProblem(options, pair.scan, `unreadable scan: ${(error as Error).message}`);
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'MUP',
    aliases: ['mup', 'Micro_Ultrasound_Prostate'],
    anatomy: 'prostate',
    structures: ['prostate'],
    modality: 'transrectal micro-ultrasound (29 MHz) volumes',
    url: 'https://zenodo.org/records/10475293',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Jiang H, Imran M, Muralidharan P, et al. MicroSegNet: A deep learning approach for prostate segmentation on micro-ultrasound images. Comput Med Imaging Graph 112:102326 (2024).',
    layout:
      'microUS_{train,test}_<n>.nii.gz + expert_annotation_{train,test}_<n>.nii.gz (anywhere below); every slice kept, labels on background lines dropped, slices flipped upside down; test scans = official test split.',
    imageLabels: ['patient', 'pixel_spacing', 'slice', 'official_split'],
  },
  convert,
};
