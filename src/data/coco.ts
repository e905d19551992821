/** The corpus's COCO format: types, reading, and a streaming writer. */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import type { Rle } from './rle.js';

export interface CocoImage {
  id: number;
  /** Relative to the dataset folder (`images/<name>__...png`), or to the corpus root in merged files. */
  file_name: string;
  width: number;
  height: number;
  dataset?: string;
  patient?: string;
  source_file?: string;
  /** Millimetres per pixel [x, y], when known. */
  pixel_spacing?: [number, number];
  labels?: Record<string, string | number>;
  official_split?: 'train' | 'val' | 'test';
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: Rle;
  area: number;
  bbox: [number, number, number, number];
  iscrowd: 0 | 1;
  /** Canonical structure (structures.ts), kept in merged files (in agnostic ones every category is `object`). */
  structure?: string;
  /** The dataset's own category name, kept in merged files beside `structure`. */
  category?: string;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
}

export interface CocoFile {
  info: Record<string, unknown>;
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** Reads a COCO file, with a clear error when it is not one. */
export async function readCoco(path: string): Promise<CocoFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read COCO file ${path}: ${(error as Error).message}`);
  }
  const coco = parsed as Partial<CocoFile>;
  for (const key of ['images', 'annotations', 'categories'] as const) {
    if (!Array.isArray(coco[key])) throw new Error(`${path} is not a COCO file: "${key}" is not an array`);
  }
  return { info: coco.info ?? {}, images: coco.images!, annotations: coco.annotations!, categories: coco.categories! };
}

/**
 * Writes a COCO file one record per line through a stream, so that a large corpus never becomes one
 * giant string (and the file stays grep-friendly). The two arrays may come in either order, each
 * once: the corpus writer streams annotations as they are made and the image records at the end.
 */
export class CocoStreamWriter {
  private readonly stream;
  private readonly done = new Set<'images' | 'annotations'>();
  private section: 'images' | 'annotations' | undefined;
  private firstInSection = true;
  private closed = false;

  /** Categories may be given here or, when only known at the end (merging), to `close`. */
  constructor(
    readonly path: string,
    info: Record<string, unknown>,
    private readonly categories?: CocoCategory[],
  ) {
    this.stream = createWriteStream(path);
    this.stream.write(`{"info":${JSON.stringify(info)}`);
    if (categories) this.stream.write(`,\n"categories":${JSON.stringify(categories)}`);
  }

  image(image: CocoImage): Promise<void> {
    return this.add('images', image);
  }

  annotation(annotation: CocoAnnotation): Promise<void> {
    return this.add('annotations', annotation);
  }

  async close(categories?: CocoCategory[]): Promise<void> {
    if (this.closed) throw new Error(`CocoStreamWriter ${this.path}: already closed`);
    if (!this.categories && !categories) throw new Error(`CocoStreamWriter ${this.path}: no categories given`);
    if (this.categories && categories) throw new Error(`CocoStreamWriter ${this.path}: categories given twice`);
    this.endSection();
    for (const section of ['images', 'annotations'] as const) {
      if (!this.done.has(section)) this.stream.write(`,\n"${section}":[]`);
    }
    if (categories) this.stream.write(`,\n"categories":${JSON.stringify(categories)}`);
    this.closed = true;
    this.stream.end('}\n');
    await once(this.stream, 'finish');
  }

  /** Stops writing without finishing the JSON (the caller deletes the file). */
  async abort(): Promise<void> {
    this.closed = true;
    if (this.stream.closed) return;
    // Writes still queued fail once the stream is destroyed: those errors are expected here.
    this.stream.on('error', () => {});
    const closed = new Promise<void>((resolve) => this.stream.once('close', () => resolve()));
    this.stream.destroy();
    await closed;
  }

  private async add(section: 'images' | 'annotations', value: unknown): Promise<void> {
    if (this.closed) throw new Error(`CocoStreamWriter ${this.path}: already closed`);
    if (this.section !== section) {
      if (this.done.has(section)) throw new Error(`CocoStreamWriter ${this.path}: "${section}" was already written`);
      this.endSection();
      this.stream.write(`,\n"${section}":[`);
      this.section = section;
      this.firstInSection = true;
    }
    const ok = this.stream.write(`${this.firstInSection ? '\n' : ',\n'}${JSON.stringify(value)}`);
    this.firstInSection = false;
    if (!ok) await once(this.stream, 'drain'); // back-pressure: never buffer the whole file
  }

  private endSection(): void {
    if (this.section === undefined) return;
    this.stream.write('\n]');
    this.done.add(this.section);
    this.section = undefined;
  }
}

/** Writes a whole in-memory COCO file through the streaming writer. */
export async function writeCoco(path: string, coco: CocoFile): Promise<void> {
  const writer = new CocoStreamWriter(path, coco.info, coco.categories);
  for (const image of coco.images) await writer.image(image);
  for (const annotation of coco.annotations) await writer.annotation(annotation);
  await writer.close();
}
