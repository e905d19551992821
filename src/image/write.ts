import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { renderOverlay, type OverlayMask, type OverlayOptions } from './overlay.js';
import type { RawImage } from './types.js';

export { toRgb8 } from './convert.js';

/**
 * Write `bytes` to `path` so that readers never see a half-written file: write a temporary file in
 * the same directory (same file system, so rename is atomic), then rename it over the target.
 * The parent directory is created when missing.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** PNG bytes of any RawImage: 8- or 16-bit, 1 to 4 channels, kept as they are. */
export async function encodePng(image: RawImage): Promise<Uint8Array> {
  const { data, width, height, channels } = image;
  if (![1, 2, 3, 4].includes(channels)) throw new RangeError(`encodePng: images have 1 to 4 channels, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new RangeError(`encodePng: data has ${data.length} values, expected ${width}×${height}×${channels}`);
  }
  const sixteen = data instanceof Uint16Array;
  // Without an explicit colour space libvips writes 1- and 2-channel input as RGB(A) and 16-bit as 8-bit.
  const space = channels <= 2 ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
  const png = await sharp(data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } })
    .toColourspace(space)
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** Save a binary mask (row-major width×height, non-zero = object) as a grey PNG of 0 and 255. */
export async function writeMaskPng(path: string, mask: Uint8Array, width: number, height: number): Promise<void> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`writeMaskPng(${path}): size must be positive integers, got ${width}×${height}`);
  }
  if (mask.length !== width * height) {
    throw new RangeError(`writeMaskPng(${path}): mask has ${mask.length} pixels, expected ${width}×${height} = ${width * height}`);
  }
  const grey = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) grey[i] = mask[i] ? 255 : 0;
  await writeFileAtomic(path, await encodePng({ data: grey, width, height, channels: 1 }));
}

/** Save the image (as 8-bit RGB, see toRgb8) with the masks drawn on it (see renderOverlay). */
export async function writeOverlayPng(path: string, image: RawImage, masks: OverlayMask[], options: OverlayOptions = {}): Promise<void> {
  await writeFileAtomic(path, await encodePng(renderOverlay(image, masks, options)));
}
