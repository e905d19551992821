import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ImageReadError } from './errors.js';
import { checkPixelCount, maxImagePixels } from './limits.js';
import type { RawImage } from './types.js';

/**
 * PNG, JPEG, TIFF, WebP and GIF through sharp (libvips), keeping what the file holds: 1 channel for
 * grey, 2 for grey+alpha, 3 RGB, 4 RGBA, and 16-bit samples as a Uint16Array. An EXIF orientation
 * is applied, so pixels are upright as every viewer and browser shows them (and as OpenCV's imread,
 * used by SAM's own scripts, returns them): prompts clicked on the displayed image then land on the
 * same pixels. Multi-page files give their first page.
 */
export async function decodeWithSharp(bytes: Uint8Array, name: string, format: string): Promise<RawImage> {
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { autoOrient: true }).metadata();
  } catch (thrown) {
    throw decodeError(name, format, thrown);
  }
  const { depth, channels, space } = metadata;
  if (!metadata.width || !metadata.height) throw new ImageReadError(name, 'empty', `${format.toUpperCase()} has zero size`);
  // From the header alone, before libvips decodes (and is held to the same cap while it does).
  checkPixelCount(name, format.toUpperCase(), [metadata.width, metadata.height]);
  const sixteenBit = depth === 'ushort' || depth === 'short';
  if (!sixteenBit && depth !== 'uchar') {
    throw new ImageReadError(name, 'unsupported', `${format.toUpperCase()} with ${depth} samples is not supported (only 8- and 16-bit integers)`);
  }
  const grey = channels <= 2 && space !== 'cmyk';
  let pipeline = sharp(bytes, { autoOrient: true, limitInputPixels: maxImagePixels() });
  // libvips would otherwise convert everything to 8-bit sRGB on output: name the space we want kept.
  if (sixteenBit) pipeline = pipeline.toColourspace(grey ? 'grey16' : 'rgb16');
  else if (grey && channels === 1) pipeline = pipeline.toColourspace('b-w');
  else pipeline = pipeline.toColourspace('srgb'); // also turns CMYK JPEGs into RGB
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await pipeline.raw({ depth: sixteenBit ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (thrown) {
    throw decodeError(name, format, thrown);
  }
  const { width, height } = raw.info;
  let outChannels = raw.info.channels;
  let data: Uint8Array | Uint16Array = sixteenBit
    ? new Uint16Array(raw.data.buffer.slice(raw.data.byteOffset, raw.data.byteOffset + raw.data.byteLength))
    : new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  // 8-bit grey+alpha only comes out of libvips as RGBA; fold it back to two channels.
  if (!sixteenBit && grey && channels === 2 && outChannels === 4) {
    const folded = new Uint8Array(width * height * 2);
    for (let i = 0; i < width * height; i++) {
      folded[2 * i] = data[4 * i];
      folded[2 * i + 1] = data[4 * i + 3];
    }
    data = folded;
    outChannels = 2;
  }
  if (data.length !== width * height * outChannels) {
    throw new ImageReadError(name, 'corrupt', `decoder returned ${data.length} samples for ${width}×${height}×${outChannels}`);
  }
  return { data, width, height, channels: outChannels };
}

function decodeError(name: string, format: string, thrown: unknown): ImageReadError {
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const kind = /premature end|truncat|read error|unexpected end|not enough data|short read/i.test(message) ? 'truncated' : /pixel limit|too large/i.test(message) ? 'too-large' : 'corrupt';
  const what = kind === 'truncated' ? 'truncated or damaged' : kind === 'too-large' ? 'too large' : 'corrupt';
  return new ImageReadError(name, kind, `${what} ${format.toUpperCase()} (decoder: ${message.trim()})`, { cause: thrown });
}
