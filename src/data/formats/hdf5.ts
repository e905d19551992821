/**
 * HDF5 files through h5wasm (the HDF5 C library compiled to WebAssembly; in Node it reads the host
 * file system directly). Datasets are read lazily: one index of the first axis at a time (an HDF5
 * hyperslab), so that a 36 GB cine-clip file never has to fit in memory.
 *
 * Orientation: HDF5 arrays are C-ordered, so for a dataset of shape (N, H, W) the item `i` is a
 * frame of width W and height H, row-major (volume.ts's frame convention); a trailing axis of 3 or
 * 4 in a (N, H, W, C) dataset is taken as interleaved channels.
 */
import { open } from 'node:fs/promises';
import type { Dataset, Group, OutputData } from 'h5wasm';
import type { VolumeFrame, VoxelArray } from './volume.js';

type H5Module = typeof import('h5wasm');

let modulePromise: Promise<H5Module> | undefined;

/** Loads h5wasm's Node build once (WebAssembly start-up is slow). */
async function h5(): Promise<H5Module> {
  modulePromise ??= (async () => {
    const module = (await import('h5wasm/node')) as unknown as H5Module;
    await module.ready;
    return module;
  })();
  return modulePromise;
}

export interface Hdf5DatasetInfo {
  /** Path inside the file, without the leading slash ('image', 'group/data'). */
  path: string;
  shape: number[];
  /** h5wasm's dtype string ('<B' uint8, '<f' float32, 'S' string, ...). */
  dtype: string;
}

function isVoxelArray(value: unknown): value is VoxelArray {
  return (
    value instanceof Uint8Array ||
    value instanceof Int8Array ||
    value instanceof Int16Array ||
    value instanceof Uint16Array ||
    value instanceof Int32Array ||
    value instanceof Uint32Array ||
    value instanceof Float32Array ||
    value instanceof Float64Array
  );
}

function toVoxels(value: OutputData | null, what: string): VoxelArray {
  if (isVoxelArray(value)) return value;
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Float64Array.from(value, Number);
  throw new Error(`${what}: not a numeric array`);
}

function flattenStrings(value: OutputData | null, out: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) flattenStrings(v, out);
  } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    out.push(String(value));
  } else if (value !== null && ArrayBuffer.isView(value)) {
    const items = value as unknown as ArrayLike<number | bigint>;
    for (let i = 0; i < items.length; i++) out.push(String(items[i]));
  }
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The HDF5 superblock signature sits at byte 0, 512, 1024, 2048, ... (a user block may precede it). */
async function hasHdf5Signature(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new Error(`${path}: cannot open (${(error as Error).message})`);
  }
  try {
    const size = (await handle.stat()).size;
    const bytes = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      await handle.read(bytes, 0, 8, offset);
      if (bytes.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    await handle.close();
  }
}

/** An HDF5 file opened for reading. Call close() when done. */
export class Hdf5File {
  private constructor(
    readonly path: string,
    private readonly file: InstanceType<H5Module['File']>,
    private readonly module: H5Module,
  ) {}

  static async open(path: string): Promise<Hdf5File> {
    if (!(await hasHdf5Signature(path))) throw new Error(`${path}: cannot open as HDF5 (no HDF5 signature)`);
    const module = await h5();
    let file: InstanceType<H5Module['File']>;
    try {
      file = new module.File(path, 'r');
    } catch (error) {
      throw new Error(`${path}: cannot open as HDF5 (${(error as Error).message})`);
    }
    if (!file.file_id || file.file_id < 0n) throw new Error(`${path}: cannot open as HDF5`);
    return new Hdf5File(path, file, module);
  }

  /** Every dataset in the file, depth first, with its shape and dtype. */
  listDatasets(): Hdf5DatasetInfo[] {
    const out: Hdf5DatasetInfo[] = [];
    const walk = (group: Group, prefix: string) => {
      for (const key of group.keys()) {
        const entity = group.get(key);
        const path = prefix ? `${prefix}/${key}` : key;
        if (entity instanceof this.module.Dataset) {
          out.push({ path, shape: entity.shape ?? [], dtype: typeof entity.dtype === 'string' ? entity.dtype : JSON.stringify(entity.dtype) });
        } else if (entity instanceof this.module.Group) {
          walk(entity, path);
        }
      }
    };
    walk(this.file, '');
    return out;
  }

  private dataset(name: string): Dataset {
    const entity = this.file.get(name);
    if (!(entity instanceof this.module.Dataset)) {
      const known = this.listDatasets()
        .map((d) => d.path)
        .join(', ');
      throw new Error(`${this.path}: no dataset "${name}" (datasets: ${known || 'none'})`);
    }
    return entity;
  }

  shape(name: string): number[] {
    return this.dataset(name).shape ?? [];
  }

  /** Item `index` of the first axis, as a flat numeric array (C order). */
  readItem(name: string, index: number): VoxelArray {
    const dataset = this.dataset(name);
    const shape = dataset.shape ?? [];
    if (shape.length === 0) throw new Error(`${this.path}: dataset "${name}" is a scalar`);
    if (!Number.isInteger(index) || index < 0 || index >= shape[0]) {
      throw new RangeError(`${this.path}: index ${index} out of range for "${name}" of length ${shape[0]}`);
    }
    return toVoxels(dataset.slice([[index, index + 1]]), `${this.path}: dataset "${name}"`);
  }

  /** Item `index` of an (N, H, W) or (N, H, W, C) dataset as a frame (see the orientation above). */
  readFrame(name: string, index: number): VolumeFrame {
    const shape = this.shape(name);
    if (shape.length !== 3 && shape.length !== 4) {
      throw new Error(`${this.path}: dataset "${name}" has shape [${shape.join(', ')}], expected (N, H, W) or (N, H, W, C)`);
    }
    const values = this.readItem(name, index);
    return { index, height: shape[1], width: shape[2], channels: shape[3] ?? 1, values };
  }

  /** A whole small dataset as strings (names, ids): numbers are written in decimal. */
  readStrings(name: string): string[] {
    const out: string[] = [];
    flattenStrings(this.dataset(name).value, out);
    return out;
  }

  /** A whole numeric dataset, flat in C order. */
  readAll(name: string): VoxelArray {
    return toVoxels(this.dataset(name).value, `${this.path}: dataset "${name}"`);
  }

  close(): void {
    this.file.close();
  }
}

/** h5wasm's module, for writers (tests build HDF5 files with it). */
export async function loadH5wasm(): Promise<H5Module> {
  return h5();
}
