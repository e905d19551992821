// A minimal stored-entry zip writer for tests (what torch.save produces, minus zip64 and alignment).
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** Overrides the CRC-32 written in both headers (to build a corrupt archive). */
  crc?: number;
  /** Store the entry deflated (method 8) instead of stored. */
  deflate?: boolean;
  /**
   * A deflate stream written as it is (method 8) with the uncompressed size it declares, true or not:
   * for decompression bombs, whose inflated bytes never need to exist. `data` is then ignored.
   */
  deflated?: { stream: Uint8Array; declaredSize: number; crc: number };
}

/** `zip64` writes every size and offset in zip64 records (as writers do past 4 GiB). */
export function writeZip(entries: ZipInput[], options: { zip64?: boolean } = {}): Uint8Array {
  const zip64 = options.zip64 ?? false;
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = new TextEncoder().encode(entry.name);
    const crc = entry.crc ?? entry.deflated?.crc ?? crc32(entry.data) >>> 0;
    const stored = entry.deflated?.stream ?? (entry.deflate ? new Uint8Array(deflateRawSync(entry.data)) : entry.data);
    const method = entry.deflate || entry.deflated ? 8 : 0;
    const size = entry.deflated?.declaredSize ?? entry.data.length;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, stored.length, true);
    lv.setUint32(22, size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const extra = zip64 ? 4 + 24 : 0;
    const record = new Uint8Array(46 + name.length + extra);
    const cv = new DataView(record.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 45, true);
    cv.setUint16(6, 45, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, zip64 ? 0xffffffff : stored.length, true);
    cv.setUint32(24, zip64 ? 0xffffffff : size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, extra, true);
    cv.setUint32(42, zip64 ? 0xffffffff : offset, true);
    record.set(name, 46);
    if (zip64) {
      const at = 46 + name.length;
      cv.setUint16(at, 0x0001, true);
      cv.setUint16(at + 2, 24, true);
      cv.setBigUint64(at + 4, BigInt(size), true); // uncompressed size
      cv.setBigUint64(at + 12, BigInt(stored.length), true); // compressed size
      cv.setBigUint64(at + 20, BigInt(offset), true); // local header offset
    }
    chunks.push(local, stored);
    central.push(record);
    offset += local.length + stored.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, zip64 ? 0xffff : entries.length, true);
  ev.setUint16(10, zip64 ? 0xffff : entries.length, true);
  ev.setUint32(12, zip64 ? 0xffffffff : cdSize, true);
  ev.setUint32(16, zip64 ? 0xffffffff : offset, true);
  const tail: Uint8Array[] = [];
  if (zip64) {
    const record = new Uint8Array(56);
    const rv = new DataView(record.buffer);
    rv.setUint32(0, 0x06064b50, true);
    rv.setBigUint64(4, 44n, true);
    rv.setUint16(12, 45, true);
    rv.setUint16(14, 45, true);
    rv.setBigUint64(24, BigInt(entries.length), true);
    rv.setBigUint64(32, BigInt(entries.length), true);
    rv.setBigUint64(40, BigInt(cdSize), true);
    rv.setBigUint64(48, BigInt(offset), true);
    const locator = new Uint8Array(20);
    const lv = new DataView(locator.buffer);
    lv.setUint32(0, 0x07064b50, true);
    lv.setBigUint64(8, BigInt(offset + cdSize), true);
    lv.setUint32(16, 1, true);
    tail.push(record, locator);
  }
  const all = [...chunks, ...central, ...tail, end];
  const out = new Uint8Array(all.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of all) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A torch-style checkpoint archive: `<prefix>/data.pkl`, `<prefix>/data/<key>` storages, version. */
export function torchZip(pickle: Uint8Array, storages: Record<string, Uint8Array>, prefix = 'archive', options: { zip64?: boolean } = {}): Uint8Array {
  return writeZip(
    [
      { name: `${prefix}/data.pkl`, data: pickle },
      { name: `${prefix}/byteorder`, data: new TextEncoder().encode('little') },
      ...Object.entries(storages).map(([key, data]) => ({ name: `${prefix}/data/${key}`, data })),
      { name: `${prefix}/version`, data: new TextEncoder().encode('3\n') },
    ],
    options,
  );
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

export function u16Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Uint16Array(values).buffer);
}
