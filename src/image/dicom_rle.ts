import { ImageReadError } from './errors.js';

/**
 * DICOM RLE Lossless (PS3.5 annex G) frame → uncompressed little-endian bytes with interleaved
 * samples, ready for decodeNativeFrame with planar configuration 0.
 *
 * A frame starts with a 64-byte header: the segment count and up to 15 segment offsets. There is one
 * PackBits-coded segment per byte of each sample, most significant byte first (a 16-bit RGB frame has
 * six: R high, R low, G high, ...).
 */
export function decodeRleFrame(frame: Uint8Array, pixels: number, samplesPerPixel: number, bitsAllocated: number, name: string): Uint8Array {
  const corrupt = (detail: string): never => {
    throw new ImageReadError(name, 'corrupt', `RLE frame: ${detail}`);
  };
  if (frame.length < 64) corrupt(`only ${frame.length} bytes, shorter than its 64-byte header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const bytesPerSample = bitsAllocated / 8;
  const segmentCount = view.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (segmentCount !== expected) corrupt(`${segmentCount} segments, expected ${expected}`);
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segmentCount; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segmentCount ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || end > frame.length || end < start) corrupt(`segment ${s} spans bytes ${start}..${end} of ${frame.length}`);
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // segments go MSB first, output is LE
    const firstByte = sample * bytesPerSample + byteInSample;
    let pixel = 0;
    let at = start;
    while (pixel < pixels && at < end) {
      const header = frame[at++];
      if (header < 128) {
        // Literal run of header + 1 bytes.
        const count = header + 1;
        if (at + count > end) corrupt(`segment ${s} literal run overruns the segment`);
        for (let k = 0; k < count && pixel < pixels; k++) out[pixel++ * expected + firstByte] = frame[at + k];
        at += count;
      } else if (header > 128) {
        // Replicate run: the next byte 257 − header times.
        const count = 257 - header;
        if (at >= end) corrupt(`segment ${s} replicate run overruns the segment`);
        const value = frame[at++];
        for (let k = 0; k < count && pixel < pixels; k++) out[pixel++ * expected + firstByte] = value;
      }
      // 128 is a no-op.
    }
    if (pixel < pixels) corrupt(`segment ${s} decodes to ${pixel} of ${pixels} bytes`);
  }
  return out;
}
