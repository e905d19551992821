/**
 * EchoCP: contrast transthoracic echocardiography sequences for patent foramen ovale diagnosis,
 * as NIfTI volumes with a label volume of the heart chambers per case ('<case>_<kind>.nii.gz',
 * the label file's name containing 'label'). Frames are read one at a time from both volumes;
 * frames whose label is empty are skipped, and frames are transposed (the reference's diagonal
 * flip) so the image stands as displayed.
 */
import { join } from 'node:path';
import type { RawImage } from '../../image/types.js';
import { readNiftiHeader, streamNiftiFrames } from '../formats/nifti.js';
import { frameLabels, frameToImage, type VolumeFrame } from '../formats/volume.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles } from './support/files.js';
import { reportProblem } from './support/problems.js';

const CATEGORY = 'chamber';

/** The case a file belongs to: its name without '.nii.gz' and without the last '_' part ('p01_image' → 'p01'). */
function caseOf(file: string): string {
  const stem = file.slice(file.lastIndexOf('/') + 1).replace(/\.nii(\.gz)?$/i, '');
  const underscore = stem.lastIndexOf('_');
  return underscore > 0 ? stem.slice(0, underscore) : stem;
}

/** Swaps rows and columns of a single-channel row-major raster. */
function transpose<T extends Uint8Array | Int32Array>(values: T, width: number, height: number): T {
  const out = new (values.constructor as new (n: number) => T)(values.length);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[x * height + y] = values[y * width + x];
  return out;
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncGenerator<ConvertedSample> {
  const files = await listFiles(rawDir, { extensions: ['.nii.gz', '.nii'] });
  const cases = new Map<string, { image?: string; label?: string }>();
  for (const file of files) {
    const key = `${file.slice(0, file.lastIndexOf('/') + 1)}${caseOf(file)}`;
    const entry = cases.get(key) ?? {};
    const name = file.slice(file.lastIndexOf('/') + 1);
    if (/label/i.test(name)) entry.label = file;
    else entry.image = file;
    cases.set(key, entry);
  }
  if (cases.size === 0) throw new Error(`${rawDir}: no EchoCP NIfTI files (*.nii.gz) found`);
  for (const [key, { image: imageFile, label: labelFile }] of cases) {
    if (!imageFile) {
      reportProblem(options, labelFile!, 'label volume without an image volume of the same case');
      continue;
    }
    if (!labelFile) {
      reportProblem(options, imageFile, 'missing mask: no label volume of the same case');
      continue;
    }
    let imageDims: number[];
    let labelDims: number[];
    try {
      imageDims = (await readNiftiHeader(join(rawDir, imageFile))).dims;
      labelDims = (await readNiftiHeader(join(rawDir, labelFile))).dims;
    } catch (error) {
      reportProblem(options, imageFile, `unreadable volume: ${(error as Error).message}`);
      continue;
    }
    const size = (dims: number[]) => dims.join('×');
    const frames = (dims: number[]) => dims.slice(2).reduce((a, b) => a * b, 1);
    if (imageDims[0] !== labelDims[0] || imageDims[1] !== labelDims[1] || frames(imageDims) !== frames(labelDims)) {
      reportProblem(options, labelFile, `size mismatch: label volume is ${size(labelDims)} but image volume ${imageFile} is ${size(imageDims)}`);
      continue;
    }
    const patient = key.slice(key.lastIndexOf('/') + 1);
    const labelFrames = streamNiftiFrames(join(rawDir, labelFile));
    try {
      for await (const imageFrame of streamNiftiFrames(join(rawDir, imageFile))) {
        const next = await labelFrames.next();
        if (next.done) break;
        const sample = frameSample(imageFrame, next.value);
        if (sample) yield { ...sample, patient, index: imageFrame.index, sourceFile: imageFile };
      }
    } catch (error) {
      reportProblem(options, imageFile, `unreadable volume: ${(error as Error).message}`);
    } finally {
      await labelFrames.return(undefined);
    }
  }
}

/** The transposed image and chamber mask of one frame, or undefined when the frame has no label. */
function frameSample(imageFrame: VolumeFrame, labelFrame: VolumeFrame): Pick<ConvertedSample, 'image' | 'masks'> | undefined {
  const labels = frameLabels(labelFrame);
  let any = false;
  const mask = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] > 0) {
      mask[i] = 1;
      any = true;
    }
  }
  if (!any) return undefined;
  const { width, height } = imageFrame;
  const grey = frameToImage({ ...imageFrame, channels: 1, values: imageFrame.channels === 1 ? imageFrame.values : firstChannel(imageFrame) });
  const image: RawImage = { data: transpose(grey.data as Uint8Array, width, height), width: height, height: width, channels: 1 };
  if (grey.pixelSpacingMm) image.pixelSpacingMm = [grey.pixelSpacingMm[1], grey.pixelSpacingMm[0]];
  return { image, masks: [{ category: CATEGORY, mask: transpose(mask, width, height) }] };
}

function firstChannel(frame: VolumeFrame): VolumeFrame['values'] {
  const { values, channels } = frame;
  const out = new (values.constructor as new (n: number) => VolumeFrame['values'])(values.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = values[i * channels];
  return out;
}

export const dataset: DatasetModule = {
  info: {
    name: 'EchoCP',
    aliases: ['echoCP', 'EchoCP_dataset'],
    anatomy: 'heart',
    structures: [CATEGORY],
    modality: 'contrast transthoracic echocardiography',
    url: 'https://www.kaggle.com/datasets/xiaoweixumedicalai/echocp',
    licence: 'not stated',
    citation:
      'Wang T, Li Z, Huang M, Zhuang J, Bi S, Zhang J, Shi Y, Fei H, Xu X. EchoCP: An echocardiography dataset in contrast ' +
      'transthoracic echocardiography for patent foramen ovale diagnosis. MICCAI 2021.',
    layout:
      '<any folders>/<case>_<kind>.nii.gz image volumes with label volumes <case>_<kind>.nii.gz whose name contains ' +
      "'label' (0 background, >0 chamber), same folder and case. Frames with an empty label are skipped; the case is the patient.",
    imageLabels: ['patient', 'pixel_spacing'],
  },
  convert,
};
