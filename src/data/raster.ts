/**
 * The few raster reads and writes the data room needs: decode a raw dataset image (PNG, JPEG, BMP
 * via sharp... whatever sharp reads), write a corpus PNG, and read a PNG's size from its header.
 */
import { open } from 'node:fs/promises';
import sharp from 'sharp';
import type { RawImage } from '../image/types.js';

/** Decodes an image file or buffer to raw pixels; 16-bit PNG/TIFF stay 16-bit. */
export async function readRaster(source: string | Buffer): Promise<RawImage> {
  const name = typeof source === 'string' ? source : 'image buffer';
  try {
    const input = sharp(source, { limitInputPixels: false });
    const meta = await input.metadata();
    const sixteenBit = meta.depth === 'ushort';
    const grey = (meta.channels ?? 3) <= 2;
    // Without an explicit colour space sharp hands back grey images as RGB and 16-bit as 8-bit.
    const space = sixteenBit ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb';
    const { data, info } = await input
      .toColourspace(space)
      .raw({ depth: sixteenBit ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const values = sixteenBit
      ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2).slice()
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { data: values, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw new Error(`cannot decode image ${name}: ${(error as Error).message}`);
  }
}

/** Writes raw pixels as a PNG (8- or 16-bit as the data is). */
export async function writePng(path: string, image: RawImage): Promise<void> {
  const { data, width, height, channels } = image;
  if (channels < 1 || channels > 4) throw new Error(`cannot write ${path}: ${channels} channels`);
  if (data.length !== width * height * channels) {
    throw new Error(`cannot write ${path}: ${data.length} values for ${width}×${height}×${channels}`);
  }
  const sixteenBit = data instanceof Uint16Array;
  // sharp takes the raw sample depth from the typed array: Uint16Array → 16-bit.
  const png = sharp(data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  // Lossless; level 6 keeps writes quick (the corpus is written once, read many times).
  await png
    .toColourspace(sixteenBit ? (channels >= 3 ? 'rgb16' : 'grey16') : channels >= 3 ? 'srgb' : 'b-w')
    .png({ compressionLevel: 6 })
    .toFile(path);
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
