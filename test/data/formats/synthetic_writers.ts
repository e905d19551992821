/**
 * Tiny writers for the medical formats the tests build by hand: NIfTI-1, MetaImage (.mha / .mhd),
 * NumPy .npy, a stored (uncompressed) RAR 4 archive, and videos through ffmpeg when it is installed.
 * They follow the published specifications, independently of the readers under test.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';

export type TestVoxelType = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

const NIFTI_CODES: Record<TestVoxelType, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};
const BYTES: Record<TestVoxelType, number> = { uint8: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 };

/** Encodes numbers as `type` in the given byte order. */
export function encodeValues(values: ArrayLike<number>, type: TestVoxelType, littleEndian = true): Buffer {
  const size = BYTES[type];
  const out = Buffer.alloc(values.length * size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const o = i * size;
    switch (type) {
      case 'uint8':
        view.setUint8(o, v);
        break;
      case 'int8':
        view.setInt8(o, v);
        break;
      case 'int16':
        view.setInt16(o, v, littleEndian);
        break;
      case 'uint16':
        view.setUint16(o, v, littleEndian);
        break;
      case 'int32':
        view.setInt32(o, v, littleEndian);
        break;
      case 'uint32':
        view.setUint32(o, v, littleEndian);
        break;
      case 'float32':
        view.setFloat32(o, v, littleEndian);
        break;
      case 'float64':
        view.setFloat64(o, v, littleEndian);
        break;
    }
  }
  return out;
}

export interface NiftiSpec {
  /** dim[1..] (x fastest). */
  dims: number[];
  type: TestVoxelType;
  /** Voxels in storage order (x fastest). */
  values: ArrayLike<number>;
  pixdim?: number[];
  /** xyzt_units (2 = mm, 1 = m, 3 = micron; + 8 seconds). */
  units?: number;
  slope?: number;
  intercept?: number;
  gzip?: boolean;
  littleEndian?: boolean;
}

/** A single-file NIfTI-1 image (.nii or, gzipped, .nii.gz). */
export function niftiBytes(spec: NiftiSpec): Buffer {
  const le = spec.littleEndian ?? true;
  const header = Buffer.alloc(352);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  view.setInt32(0, 348, le);
  view.setInt16(40, spec.dims.length, le);
  spec.dims.forEach((d, i) => view.setInt16(40 + 2 * (i + 1), d, le));
  for (let i = spec.dims.length + 1; i < 8; i++) view.setInt16(40 + 2 * i, 1, le);
  view.setInt16(70, NIFTI_CODES[spec.type], le);
  view.setInt16(72, BYTES[spec.type] * 8, le);
  view.setFloat32(76, 1, le); // qfac
  (spec.pixdim ?? spec.dims.map(() => 1)).forEach((p, i) => view.setFloat32(76 + 4 * (i + 1), p, le));
  view.setFloat32(108, 352, le); // vox_offset
  view.setFloat32(112, spec.slope ?? 1, le);
  view.setFloat32(116, spec.intercept ?? 0, le);
  header.writeUInt8(spec.units ?? 2, 123);
  header.write('n+1\0', 344, 'latin1');
  const data = Buffer.concat([header, encodeValues(spec.values, spec.type, le)]);
  return spec.gzip ? gzipSync(data) : data;
}

export async function writeNifti(path: string, spec: NiftiSpec): Promise<void> {
  await writeFile(path, niftiBytes({ gzip: path.endsWith('.gz'), ...spec }));
}

const MET_TYPES: Record<TestVoxelType, string> = {
  uint8: 'MET_UCHAR',
  int8: 'MET_CHAR',
  int16: 'MET_SHORT',
  uint16: 'MET_USHORT',
  int32: 'MET_INT',
  uint32: 'MET_UINT',
  float32: 'MET_FLOAT',
  float64: 'MET_DOUBLE',
};

export interface MetaImageSpec {
  dims: number[];
  type: TestVoxelType;
  values: ArrayLike<number>;
  spacing?: number[];
  channels?: number;
  compressed?: boolean;
  bigEndian?: boolean;
}

/**
 * Writes a MetaImage: `path` ending in .mha gets the data inline (ElementDataFile = LOCAL); ending in
 * .mhd, the data goes to a sibling .raw (or .zraw when compressed).
 */
export async function writeMetaImage(path: string, spec: MetaImageSpec): Promise<void> {
  let data = encodeValues(spec.values, spec.type, !spec.bigEndian);
  if (spec.compressed) data = deflateSync(data);
  const detached = path.endsWith('.mhd');
  const dataName = basename(path).replace(/\.mhd$/, spec.compressed ? '.zraw' : '.raw');
  const lines = [
    'ObjectType = Image',
    `NDims = ${spec.dims.length}`,
    'BinaryData = True',
    `BinaryDataByteOrderMSB = ${spec.bigEndian ? 'True' : 'False'}`,
    `CompressedData = ${spec.compressed ? 'True' : 'False'}`,
    ...(spec.compressed ? [`CompressedDataSize = ${data.length}`] : []),
    `ElementSpacing = ${(spec.spacing ?? spec.dims.map(() => 1)).join(' ')}`,
    `DimSize = ${spec.dims.join(' ')}`,
    ...(spec.channels && spec.channels > 1 ? [`ElementNumberOfChannels = ${spec.channels}`] : []),
    `ElementType = ${MET_TYPES[spec.type]}`,
    `ElementDataFile = ${detached ? dataName : 'LOCAL'}`,
  ];
  const header = Buffer.from(lines.join('\n') + '\n', 'latin1');
  if (detached) {
    await writeFile(path, header);
    await writeFile(path.replace(/[^/]+$/, dataName), data);
  } else {
    await writeFile(path, Buffer.concat([header, data]));
  }
}

const NPY_DESCR: Partial<Record<TestVoxelType, string>> = {
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  float32: '<f4',
  float64: '<f8',
};

/** A NumPy .npy (format 1.0, C order). */
export function npyBytes(shape: number[], type: TestVoxelType, values: ArrayLike<number>): Buffer {
  const descr = NPY_DESCR[type];
  if (!descr) throw new Error(`no npy descr for ${type}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), encodeValues(values, type)]);
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A RAR 4.x block: HEAD_CRC (low 16 bits of the CRC-32 of the rest), then the header bytes. */
function rarBlock(typeAndRest: Buffer): Buffer {
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc32(typeAndRest) & 0xffff);
  return Buffer.concat([crc, typeAndRest]);
}

/** A RAR 4.x archive holding `files` stored without compression (method 0x30), as `rar a -m0` writes. */
export function rarBytes(files: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00])];
  const main = Buffer.alloc(11);
  main.writeUInt8(0x73, 0); // MAIN_HEAD
  main.writeUInt16LE(0, 1);
  main.writeUInt16LE(13, 3);
  parts.push(rarBlock(main));
  for (const file of files) {
    const name = Buffer.from(file.name.replace(/\//g, '\\'), 'latin1');
    const head = Buffer.alloc(30 + name.length);
    head.writeUInt8(0x74, 0); // FILE_HEAD
    head.writeUInt16LE(0x8000, 1); // LONG_BLOCK: data follows
    head.writeUInt16LE(32 + name.length, 3);
    head.writeUInt32LE(file.data.length, 5); // PACK_SIZE
    head.writeUInt32LE(file.data.length, 9); // UNP_SIZE
    head.writeUInt8(3, 13); // HOST_OS unix
    head.writeUInt32LE(crc32(file.data), 14);
    head.writeUInt32LE(0x5a210000, 18); // FTIME (2025-01-01, DOS format)
    head.writeUInt8(29, 22); // UNP_VER 2.9
    head.writeUInt8(0x30, 23); // METHOD store
    head.writeUInt16LE(name.length, 24);
    head.writeUInt32LE(0o100644 << 0, 26); // ATTR (unix mode)
    name.copy(head, 30);
    parts.push(rarBlock(head), file.data);
  }
  const end = Buffer.alloc(5);
  end.writeUInt8(0x7b, 0); // ENDARC_HEAD
  end.writeUInt16LE(0x4000, 1);
  end.writeUInt16LE(7, 3);
  parts.push(rarBlock(end));
  return Buffer.concat(parts);
}

/** Encodes RGB frames into a video with ffmpeg (lossless codec chosen from the extension). */
export function writeVideo(ffmpeg: string, path: string, frames: Uint8Array[], width: number, height: number): Promise<void> {
  const codec = path.endsWith('.avi') ? ['-c:v', 'ffv1'] : ['-c:v', 'libx264rgb', '-qp', '0', '-preset', 'ultrafast'];
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, ['-hide_banner', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', '25', '-i', 'pipe:0', ...codec, path], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exit ${code}: ${stderr}`))));
    for (const frame of frames) child.stdin.write(frame);
    child.stdin.end();
  });
}

/** A Python value for the pickle writer: str, dict (Map), or a uint8 numpy array. */
export type PyValue = string | Map<string, PyValue> | { shape: number[]; uint8: Uint8Array };

/**
 * A .npy holding a pickled object (np.save(path, obj) with allow_pickle): protocol 3, numpy arrays
 * rebuilt through numpy.core.multiarray._reconstruct as numpy itself pickles them.
 */
export function pickledNpy(value: PyValue): Buffer {
  const out: number[] = [];
  const bytes = (b: ArrayLike<number>) => {
    for (let i = 0; i < b.length; i++) out.push(b[i]);
  };
  const op = (c: string) => out.push(c.charCodeAt(0));
  const u32 = (n: number) => bytes([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
  const global = (module: string, name: string) => {
    op('c');
    bytes(Buffer.from(`${module}\n${name}\n`, 'latin1'));
  };
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    op('X');
    u32(b.length);
    bytes(b);
  };
  const int = (n: number) => {
    if (n >= 0 && n < 256) {
      op('K');
      out.push(n);
    } else {
      op('J');
      u32(n >>> 0);
    }
  };
  const binBytes = (b: Uint8Array) => {
    op('B');
    u32(b.length);
    bytes(b);
  };
  const dtype = (code: string, flags: number) => {
    global('numpy', 'dtype');
    str(code);
    out.push(0x89, 0x88, 0x87); // False, True, TUPLE3
    op('R');
    op('(');
    int(3);
    str('|');
    op('N');
    op('N');
    op('N');
    int(-1);
    int(-1);
    int(flags);
    op('t');
    op('b');
  };
  const array = (shape: number[], writeDtype: () => void, writeData: () => void) => {
    global('numpy.core.multiarray', '_reconstruct');
    global('numpy', 'ndarray');
    int(0);
    out.push(0x85); // TUPLE1
    binBytes(Buffer.from('b'));
    out.push(0x87);
    op('R');
    op('(');
    int(1);
    op('(');
    for (const d of shape) int(d);
    op('t');
    writeDtype();
    out.push(0x89); // not Fortran order
    writeData();
    op('t');
    op('b');
  };
  const write = (v: PyValue): void => {
    if (typeof v === 'string') {
      str(v);
    } else if (v instanceof Map) {
      op('}');
      for (const [k, item] of v) {
        str(k);
        write(item);
        op('s');
      }
    } else {
      array(
        v.shape,
        () => dtype('u1', 0),
        () => binBytes(v.uint8),
      );
    }
  };
  out.push(0x80, 3);
  // np.save wraps the object in a 0-d object array.
  array(
    [],
    () => dtype('O8', 63),
    () => {
      op(']');
      write(value);
      op('a');
    },
  );
  op('.');
  let dict = "{'descr': '|O', 'fortran_order': False, 'shape': (), }";
  dict += ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), Buffer.from(out)]);
}
