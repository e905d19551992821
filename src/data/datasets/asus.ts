/**
 * ASUS (Ungi et al., IEEE TBME 2020): spine (vertebral surfaces) in tracked spine ultrasound, from
 * the publishers' `DataArrays.zip`, unpacked.
 * Raw layout: NumPy arrays `<case>_<anything>.npy` per scan: the ultrasound frames (N, H, W, 1 or 3)
 * as floats in 0..1 (or uint8 0..255) and, in a file whose name contains `segmentation`, the
 * matching (N, H, W[, 1]) masks. Files are paired by the part of the name before the first `_`
 * (the reference converter's rule), anywhere under the raw folder.
 *
 * As in the reference, frames without spine pixels are skipped and both image and mask are rotated
 * by 180° (the arrays are stored upside down and mirrored).
 */
import { join } from 'node:path';
import type { NpyArray } from '../../weights/npy.js';
import { rotate180 } from '../formats/frame_ops.js';
import { npyFrame, npyFrameCount, readNpyArray } from '../formats/npy_dict.js';
import type { ConvertOptions, ConvertedSample, DatasetModule } from '../types.js';
import { listFiles, stemOf } from './support/files.js';
import { reportProblem } from './support/problems.js';

interface Scan {
  image?: string;
  mask?: string;
}

function pairScans(files: string[]): Map<string, Scan> {
  const scans = new Map<string, Scan>();
  for (const file of files) {
    const key = stemOf(file).split('_')[0];
    const scan = scans.get(key) ?? {};
    if (/segmentation/i.test(file.slice(file.lastIndexOf('/') + 1))) scan.mask = file;
    else scan.image = file;
    scans.set(key, scan);
  }
  return scans;
}

/**
 * Ultrasound values to 0..255: float frames within 0..1 are scaled by 255 (the reference multiplies
 * by 255); other values are clamped.
 */
function toUint8(values: ArrayLike<number>, float: boolean): Uint8Array {
  let max = -Infinity;
  if (float) for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  const scaleUnit = float && max <= 1;
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = scaleUnit ? values[i] * 255 : values[i];
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return out;
}

function isFloat(array: NpyArray): boolean {
  return array.dtype === 'float32' || array.dtype === 'float64';
}

async function* convert(rawDir: string, options: ConvertOptions): AsyncIterable<ConvertedSample> {
  const files = await listFiles(rawDir, { extensions: ['.npy'] });
  if (files.length === 0) throw new Error(`ASUS: no .npy arrays under ${rawDir} (unpack DataArrays.zip there)`);
  for (const [key, scan] of pairScans(files)) {
    if (!scan.image || !scan.mask) {
      reportProblem(options, scan.image ?? scan.mask!, scan.image ? `missing mask: no ${key}_*segmentation*.npy` : `missing image: no ultrasound array for ${key}`);
      continue;
    }
    let images: NpyArray;
    let masks: NpyArray;
    let count: number;
    try {
      images = readNpyArray(join(rawDir, scan.image));
      masks = readNpyArray(join(rawDir, scan.mask));
      count = npyFrameCount(images, scan.image);
      const maskCount = npyFrameCount(masks, scan.mask);
      const maskShape = masks.shape.length === 4 && masks.shape[3] === 1 ? masks.shape.slice(0, 3) : masks.shape;
      if (maskCount !== count || maskShape[1] !== images.shape[1] || maskShape[2] !== images.shape[2] || maskShape.length !== 3) {
        reportProblem(options, scan.mask, `size mismatch: masks (${masks.shape.join(', ')}) do not match images (${images.shape.join(', ')})`);
        continue;
      }
    } catch (error) {
      if (options.strict) throw error;
      reportProblem(options, scan.image, `unreadable array: ${(error as Error).message}`);
      continue;
    }
    const scale = isFloat(images);
    for (let k = 0; k < count; k++) {
      const maskFrame = npyFrame(masks, k, scan.mask);
      const mask = new Uint8Array(maskFrame.width * maskFrame.height);
      let any = false;
      for (let i = 0; i < mask.length; i++) {
        if (maskFrame.values[i * maskFrame.channels] !== 0) {
          mask[i] = 1;
          any = true;
        }
      }
      if (!any) continue;
      const frame = npyFrame(images, k, scan.image);
      const { width, height, channels } = frame;
      yield {
        image: { data: rotate180(toUint8(frame.values, scale), width, height, channels), width, height, channels },
        patient: key,
        index: k,
        sourceFile: scan.image,
        masks: [{ category: 'spine', mask: rotate180(mask, width, height) }],
      };
    }
  }
}

export const dataset: DatasetModule = {
  info: {
    name: 'ASUS',
    anatomy: 'spine',
    structures: ['spine'],
    modality: 'tracked B-mode ultrasound of the spine, frame sequences (NumPy arrays)',
    url: 'https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7654705/',
    licence: "not verified: see the publisher's page (url)",
    citation: 'Ungi T, Greer H, Sunderland KR, et al. Automatic Spine Ultrasound Segmentation for Scoliosis Visualization and Measurement. IEEE Trans Biomed Eng 67(11):3234-3241 (2020).',
    layout:
      'DataArrays.zip unpacked: <case>_*.npy ultrasound frames (N, H, W, C) in 0..1 with <case>_*segmentation*.npy masks (N, H, W[, 1]); paired by the name before the first "_". Frames without spine are skipped; frames are rotated 180°.',
    imageLabels: ['patient'],
  },
  convert,
};
