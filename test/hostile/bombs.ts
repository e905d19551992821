// Decompression bombs built in memory from a few repeated deflate segments: a file of a few hundred
// kilobytes that claims (and, inflated, holds) hundreds of megabytes. Nothing large is ever allocated
// here, and nothing is committed: every hostile file is made by the test that uses it.
import { constants, crc32, deflateRawSync } from 'node:zlib';

const SEGMENT_BYTES = 1 << 20;

/**
 * A raw deflate stream whose output is `length` copies of `byte`. Each full-flushed segment is
 * independent and byte-aligned, so one compressed megabyte repeated gives any length.
 */
export function deflateRepeated(byte: number, length: number): Uint8Array {
  const whole = Math.floor(length / SEGMENT_BYTES);
  const rest = length % SEGMENT_BYTES;
  const flush = { finishFlush: constants.Z_FULL_FLUSH, level: 9 };
  const segment = deflateRawSync(Buffer.alloc(SEGMENT_BYTES, byte), flush);
  const parts: Uint8Array[] = new Array<Uint8Array>(whole).fill(segment);
  if (rest > 0) parts.push(deflateRawSync(Buffer.alloc(rest, byte), flush));
  parts.push(Uint8Array.of(0x03, 0x00)); // an empty final block with fixed codes
  return Buffer.concat(parts);
}

/** CRC-32 of `length` copies of `byte`, computed a megabyte at a time. */
export function crc32Repeated(byte: number, length: number): number {
  const chunk = Buffer.alloc(Math.min(SEGMENT_BYTES, length), byte);
  let crc = 0;
  for (let done = 0; done < length; done += chunk.length) crc = crc32(chunk.subarray(0, Math.min(chunk.length, length - done)), crc);
  return crc >>> 0;
}

/** zlib framing (header + raw deflate + Adler-32) around `length` zero bytes. */
export function zlibZeros(length: number): Uint8Array {
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((length % 65521) << 16) | 1) >>> 0); // a = 1 + Σ0, b = Σa = length·1
  return Buffer.concat([Uint8Array.of(0x78, 0xda), deflateRepeated(0, length), adler]);
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))) >>> 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid all-black 8-bit grey PNG of width×height whose file is tiny (every row filter 0, every pixel 0). */
export function blackPng(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pngChunk('IHDR', ihdr), pngChunk('IDAT', zlibZeros((width + 1) * height)), pngChunk('IEND', new Uint8Array())]);
}
