/**
 * Reads exact-size records from a byte stream (a file, possibly through gunzip / inflate), so that a
 * volume can be cut into frames while it is decompressed, holding one frame in memory at a time.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';

export class ByteReader {
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private done = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly onClose?: () => void,
  ) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or fewer only at the end of the stream (an empty buffer once it is exhausted). */
  async read(n: number): Promise<Buffer> {
    while (this.pendingBytes < n && !this.done) {
      const next = await this.chunks.next();
      if (next.done) {
        this.done = true;
      } else if (next.value.length > 0) {
        this.pending.push(next.value);
        this.pendingBytes += next.value.length;
      }
    }
    const take = Math.min(n, this.pendingBytes);
    const joined = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    const out = joined.subarray(0, take);
    const rest = joined.subarray(take);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    this.position += take;
    return out;
  }

  /** Exactly `n` bytes, or an error naming `what` when the stream ends first. */
  async readExactly(n: number, what: string): Promise<Buffer> {
    const out = await this.read(n);
    if (out.length !== n) {
      throw new Error(`${what}: expected ${n} bytes at offset ${this.position - out.length}, the data ends after ${out.length}`);
    }
    return out;
  }

  /** Skips `n` bytes (an error when the stream ends first). */
  async skip(n: number, what: string): Promise<void> {
    let left = n;
    while (left > 0) {
      const step = Math.min(left, 1 << 20);
      await this.readExactly(step, what);
      left -= step;
    }
  }

  /** Stops reading and releases the file. */
  close(): void {
    this.done = true;
    this.pending = [];
    void this.chunks.return?.();
    this.onClose?.();
  }
}

/** Compression of a byte stream. */
export type StreamCompression = 'none' | 'gzip' | 'zlib';

/** True when the file starts with the gzip magic bytes (1f 8b). */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** A reader over the bytes of `path` from byte `start`, decompressed as asked. */
export function openByteReader(path: string, compression: StreamCompression, start = 0): ByteReader {
  const file = createReadStream(path, { start, highWaterMark: 1 << 20 });
  let stream: Readable = file;
  if (compression === 'gzip') stream = file.pipe(createGunzip());
  else if (compression === 'zlib') stream = file.pipe(createInflate());
  const forwardError = (error: Error) => stream.destroy(error);
  if (stream !== file) file.on('error', forwardError);
  return new ByteReader(stream as AsyncIterable<Buffer>, () => {
    file.destroy();
    stream.destroy();
  });
}
