/**
 * The few raster reads and writes the data room needs: decode a raw dataset image (through the
 * project's image reader), write a corpus PNG, and read a PNG's size from its header.
 */
import { open, writeFile } from 'node:fs/promises';
import { readImage } from '../image/read.js';
import { encodePng } from '../image/write.js';
import type { RawImage } from '../image/types.js';

/**
 * Decodes an image file or buffer to raw pixels (PNG, JPEG, BMP, TIFF, DICOM... see src/image/read.ts);
 * 16-bit stays 16-bit, grey stays one channel. Errors name the file.
 */
export async function readRaster(source: string | Uint8Array): Promise<RawImage> {
  const name = typeof source === 'string' ? source : 'image buffer';
  try {
    return await readImage(source);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.includes(name) ? message : `cannot decode image ${name}: ${message}`, { cause: error });
  }
}

/** Writes raw pixels as a PNG (8- or 16-bit, 1 to 4 channels, as the data is). */
export async function writePng(path: string, image: RawImage): Promise<void> {
  let png: Uint8Array;
  try {
    png = await encodePng(image);
  } catch (error) {
    throw new Error(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
  // No temporary file: corpus images are written inside a partial folder that is renamed as a whole.
  await writeFile(path, png);
}

/** Width and height from a PNG's IHDR chunk, reading only its first 24 bytes. */
export async function readPngSize(path: string): Promise<{ width: number; height: number }> {
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(24);
    const { bytesRead } = await handle.read(header, 0, 24, 0);
    const signature = '89504e470d0a1a0a';
    if (bytesRead < 24 || header.subarray(0, 8).toString('hex') !== signature || header.toString('ascii', 12, 16) !== 'IHDR') {
      throw new Error(`${path} is not a PNG file (no PNG signature and IHDR chunk)`);
    }
    return { width: header.readUInt32BE(16), height: header.readUInt32BE(20) };
  } finally {
    await handle.close();
  }
}
