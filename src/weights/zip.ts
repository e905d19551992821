// A minimal zip reader for PyTorch checkpoints: reads the central directory (zip64 included) and then
// each entry on demand at its file offset, so a multi-gigabyte checkpoint is never held twice.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as zlib from 'node:zlib';

export type ZipErrorCode = 'not-a-zip' | 'truncated' | 'corrupt-zip' | 'bad-crc' | 'unsupported-zip' | 'too-large';

export class ZipError extends Error {
  override name = 'ZipError';
  constructor(
    readonly code: ZipErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Random access to the bytes of a file or of a buffer. */
export interface ByteSource {
  readonly size: number;
  readonly label: string;
  /** Reads exactly `length` bytes at `position` into a fresh, 8-byte aligned array. */
  read(position: number, length: number): Uint8Array;
  close(): void;
}

export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    size,
    label: path,
    read(position, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, Math.min(length - done, 1 << 30), position + done);
        if (n === 0) throw new ZipError('truncated', `${path}: unexpected end of file at byte ${position + done}`);
        done += n;
      }
      return out;
    },
    close() {
      closeSync(fd);
    },
  };
}

export function bufferSource(bytes: Uint8Array, label = '<buffer>'): ByteSource {
  return {
    size: bytes.length,
    label,
    read(position, length) {
      if (position + length > bytes.length) {
        throw new ZipError('truncated', `${label}: unexpected end of data at byte ${bytes.length}`);
      }
      return new Uint8Array(bytes.subarray(position, position + length)); // a copy, aligned
    },
    close() {},
  };
}

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const U32_MAX = 0xffffffff;

function u64(view: DataView, at: number): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('corrupt-zip', `64-bit field ${value} is too large`);
  return Number(value);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as zip uses it (node's native one when available). */
export function crc32(bytes: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
  if (native) return native(bytes) >>> 0;
  let c = U32_MAX;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ U32_MAX) >>> 0;
}

export class ZipReader {
  private constructor(
    readonly source: ByteSource,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  /** Reads the central directory. Throws ZipError('not-a-zip') when no end record exists and the data does not start like a zip. */
  static open(source: ByteSource): ZipReader {
    const label = source.label;
    const tailLength = Math.min(source.size, 22 + 0xffff);
    const tail = source.read(source.size - tailLength, tailLength);
    const tailView = new DataView(tail.buffer);
    let eocd = -1;
    for (let i = tailLength - 22; i >= 0; i--) {
      if (tailView.getUint32(i, true) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      const head = source.read(0, Math.min(4, source.size));
      const startsLikeZip = head.length === 4 && new DataView(head.buffer).getUint32(0, true) === LOCAL_SIG;
      throw startsLikeZip ? new ZipError('truncated', `${label}: zip archive is truncated (no end-of-central-directory record)`) : new ZipError('not-a-zip', `${label}: not a zip archive`);
    }
    let count = tailView.getUint16(eocd + 10, true);
    let cdSize = tailView.getUint32(eocd + 12, true);
    let cdOffset = tailView.getUint32(eocd + 16, true);
    const eocdPosition = source.size - tailLength + eocd;
    if (count === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
      const locatorAt = eocd - 20;
      if (locatorAt < 0 || tailView.getUint32(locatorAt, true) !== ZIP64_LOCATOR_SIG) {
        throw new ZipError('corrupt-zip', `${label}: zip64 fields without a zip64 locator`);
      }
      const zip64At = u64(tailView, locatorAt + 8);
      if (zip64At + 56 > source.size) throw new ZipError('truncated', `${label}: zip64 end record lies past the end of the file`);
      const record = new DataView(source.read(zip64At, 56).buffer);
      if (record.getUint32(0, true) !== ZIP64_EOCD_SIG) throw new ZipError('corrupt-zip', `${label}: bad zip64 end record`);
      count = u64(record, 32);
      cdSize = u64(record, 40);
      cdOffset = u64(record, 48);
    }
    if (cdOffset + cdSize > eocdPosition) {
      throw new ZipError('truncated', `${label}: central directory (${cdSize} bytes at ${cdOffset}) runs past its end record`);
    }
    const cd = source.read(cdOffset, cdSize);
    const view = new DataView(cd.buffer);
    const decoder = new TextDecoder();
    const entries = new Map<string, ZipEntry>();
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (at + 46 > cdSize || view.getUint32(at, true) !== CENTRAL_SIG) {
        throw new ZipError('corrupt-zip', `${label}: central directory entry ${i} is damaged`);
      }
      const flags = view.getUint16(at + 8, true);
      const method = view.getUint16(at + 10, true);
      const crc = view.getUint32(at + 16, true);
      let compressedSize = view.getUint32(at + 20, true);
      let size = view.getUint32(at + 24, true);
      const nameLength = view.getUint16(at + 28, true);
      const extraLength = view.getUint16(at + 30, true);
      const commentLength = view.getUint16(at + 32, true);
      let localHeaderOffset = view.getUint32(at + 42, true);
      const name = decoder.decode(cd.subarray(at + 46, at + 46 + nameLength));
      if (flags & 1) throw new ZipError('unsupported-zip', `${label}: entry ${name} is encrypted`);
      // Zip64 extra field: the 64-bit values of whichever 32-bit fields are saturated, in this order.
      let extraAt = at + 46 + nameLength;
      const extraEnd = extraAt + extraLength;
      while (extraAt + 4 <= extraEnd) {
        const id = view.getUint16(extraAt, true);
        const length = view.getUint16(extraAt + 2, true);
        if (extraAt + 4 + length > extraEnd) throw new ZipError('corrupt-zip', `${label}: entry ${name} has a damaged extra field`);
        if (id === 0x0001) {
          let field = extraAt + 4;
          const saturated = [size, compressedSize, localHeaderOffset].filter((v) => v === U32_MAX).length;
          if (length < 8 * saturated) throw new ZipError('corrupt-zip', `${label}: entry ${name} has a short zip64 field`);
          if (size === U32_MAX) {
            size = u64(view, field);
            field += 8;
          }
          if (compressedSize === U32_MAX) {
            compressedSize = u64(view, field);
            field += 8;
          }
          if (localHeaderOffset === U32_MAX) localHeaderOffset = u64(view, field);
        }
        extraAt += 4 + length;
      }
      entries.set(name, { name, method, crc32: crc, compressedSize, size, localHeaderOffset });
      at = extraEnd + commentLength;
    }
    return new ZipReader(source, entries);
  }

  /**
   * The entry's bytes, CRC-checked. Stored entries are read straight into their own buffer. The
   * declared size is checked against `maxBytes` before anything is read, and a deflated entry is
   * inflated with its declared size as a hard cap, so a zip bomb costs at most what it declares.
   */
  read(entry: ZipEntry, options: { verifyCrc?: boolean; maxBytes?: number; what?: string } = {}): Uint8Array {
    const label = `${this.source.label}: entry ${entry.name}`;
    if (options.maxBytes !== undefined && entry.size > options.maxBytes) {
      throw new ZipError(
        'too-large',
        `${label}: declares ${entry.size.toLocaleString('en-US')} bytes, more than the ${options.maxBytes.toLocaleString('en-US')} allowed for ${options.what ?? 'this entry'}`,
      );
    }
    if (entry.localHeaderOffset + 30 > this.source.size) throw new ZipError('truncated', `${label}: local header lies past the end of the file`);
    const header = new DataView(this.source.read(entry.localHeaderOffset, 30).buffer);
    if (header.getUint32(0, true) !== LOCAL_SIG) throw new ZipError('corrupt-zip', `${label}: bad local header`);
    const dataAt = entry.localHeaderOffset + 30 + header.getUint16(26, true) + header.getUint16(28, true);
    if (dataAt + entry.compressedSize > this.source.size) {
      throw new ZipError('truncated', `${label}: needs ${entry.compressedSize} bytes at ${dataAt}, the file has ${this.source.size}`);
    }
    let data: Uint8Array;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) throw new ZipError('corrupt-zip', `${label}: stored entry with differing sizes`);
      data = this.source.read(dataAt, entry.size);
    } else if (entry.method === 8) {
      data = inflateCapped(this.source.read(dataAt, entry.compressedSize), entry.size, label);
    } else {
      throw new ZipError('unsupported-zip', `${label}: compression method ${entry.method} is not supported`);
    }
    if (options.verifyCrc !== false) {
      const actual = crc32(data);
      if (actual !== entry.crc32) {
        throw new ZipError('bad-crc', `${label}: CRC-32 mismatch (stored ${hex(entry.crc32)}, computed ${hex(actual)})`);
      }
    }
    return data;
  }
}

/**
 * Inflates a raw deflate stream that must come to exactly `size` bytes. zlib stops as soon as the
 * output passes the cap (it inflates in chunks), so a stream that lies about its size is refused
 * after at most `size` bytes plus one chunk, never inflated whole.
 */
export function inflateCapped(compressed: Uint8Array, size: number, label: string): Uint8Array {
  let inflated: Buffer;
  try {
    inflated = zlib.inflateRawSync(compressed, { maxOutputLength: Math.max(size, 1) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ZipError('corrupt-zip', `${label}: inflates to more than the ${size.toLocaleString('en-US')} bytes it declares (a decompression bomb or a damaged entry)`);
    }
    throw new ZipError('corrupt-zip', `${label}: cannot inflate (${(error as Error).message})`);
  }
  if (inflated.length !== size) throw new ZipError('corrupt-zip', `${label}: inflated to ${inflated.length} bytes, expected ${size}`);
  // Typed views of tensors need an 8-byte aligned buffer of their own; zlib's is one unless pooled.
  if (inflated.byteOffset === 0 && inflated.buffer.byteLength === inflated.length) return new Uint8Array(inflated.buffer);
  return new Uint8Array(inflated);
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
