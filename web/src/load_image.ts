// Opening a dropped or picked file: PNG and JPEG through the browser's decoder (colour management off,
// so the pixels are the file's own, as the command line reads them), DICOM through src/image/dicom.ts.
import { readDicom, readDicomInfo } from '../../src/image/dicom.js';
import type { RawImage } from '../../src/image/types.js';
import { declaredSize, sizeProblem, sniffFormat } from './image_format.js';

export interface OpenedImage {
  name: string;
  /** Name, size and date of the file: the key of its embeddings in the model worker's cache. */
  identity: string;
  width: number;
  height: number;
  frames: number;
  /** mm per pixel [x, y] from the DICOM calibration, when present. */
  pixelSpacingMm?: [number, number];
  /** Time of each frame from the first (ms), for multi-frame DICOM files that give it. */
  frameTimesMs?: number[];
  /** Decodes frame `index` (from 0). */
  frame(index: number): Promise<RawImage>;
}

async function decodeBitmap(blob: Blob, name: string): Promise<RawImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new Error(`${name}: the browser could not decode this image (the file is corrupt, truncated, or too large for the browser's memory)`);
  }
  try {
    const tooLarge = sizeProblem(name, bitmap.width, bitmap.height);
    if (tooLarge) throw new Error(tooLarge);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error(`${name}: the browser gave no canvas to read the pixels (out of memory?)`);
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: bitmap.width, height: bitmap.height, channels: 4 };
  } finally {
    bitmap.close();
  }
}

function describe(error: unknown): string {
  if (error instanceof RangeError) return `not enough memory to decode it (${error.message})`;
  return error instanceof Error ? error.message : String(error);
}

export async function openImageFile(file: File): Promise<OpenedImage> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (error) {
    throw new Error(`${file.name}: could not read the file (${(file.size / 1e6).toFixed(0)} MB) into the browser's memory: ${describe(error)}`);
  }
  const identity = `${file.name}|${file.size}|${file.lastModified}`;
  const format = sniffFormat(bytes);
  if (!format) {
    const what = bytes.length === 0 ? 'the file is empty' : 'this is not a PNG, JPEG or DICOM file';
    throw new Error(`${file.name}: ${what}; open a PNG, JPEG or DICOM ultrasound image`);
  }
  if (format === 'dicom') {
    let info;
    try {
      info = readDicomInfo(bytes, file.name);
    } catch (error) {
      throw new Error(describe(error));
    }
    const tooLarge = sizeProblem(file.name, info.width, info.height, info.frames);
    if (tooLarge) throw new Error(tooLarge);
    const decodeJpeg = (jpeg: Uint8Array) => decodeBitmap(new Blob([jpeg.slice()], { type: 'image/jpeg' }), file.name);
    return {
      name: file.name,
      identity,
      width: info.width,
      height: info.height,
      frames: info.frames,
      pixelSpacingMm: info.pixelSpacingMm,
      frameTimesMs: info.frameTimesMs,
      frame: async (index) => {
        try {
          return await readDicom(bytes, { frame: index, name: file.name, decodeJpeg });
        } catch (error) {
          throw new Error(describe(error));
        }
      },
    };
  }
  const declared = declaredSize(bytes, format);
  const tooLarge = declared && sizeProblem(file.name, declared.width, declared.height);
  if (tooLarge) throw new Error(tooLarge);
  const image = await decodeBitmap(new Blob([bytes], { type: `image/${format}` }), file.name);
  return { name: file.name, identity, width: image.width, height: image.height, frames: 1, frame: async () => image };
}
