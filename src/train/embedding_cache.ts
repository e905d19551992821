// The fast path of fine-tuning: with the image encoder frozen, every image's embedding (and its
// mirror image's, for flip augmentation) is computed once and stored on disk; training then runs
// only the prompt encoder and mask decoder. A manifest names what the embeddings were computed
// from (config, encoder weights, image list), so a resumed run reuses them and a changed one
// recomputes them.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { serialize } from '../graph/onnx.js';
import { Runtime } from '../graph/runtime.js';
import { readImage } from '../image/read.js';
import { type SamConfig, embeddingGrid } from '../model/config.js';
import { preprocessImage } from '../model/preprocess.js';
import { buildEncoderGraph } from '../model/sam.js';
import type { TrainingSet } from './dataset.js';
import { flipInput } from './sample.js';

export interface EmbeddingCacheOptions {
  dir: string;
  config: SamConfig;
  /** Model weights by canonical key (only the image encoder's are used). */
  values: ReadonlyMap<string, Float32Array>;
  /** Also store the embedding of each mirrored image. */
  flips: boolean;
  threads?: number;
  /** Called after each image with (done, total). */
  progress?: (done: number, total: number) => void;
}

export class EmbeddingCache {
  private constructor(
    readonly dir: string,
    /** Floats of one embedding, C·h·w. */
    readonly size: number,
    readonly flips: boolean,
  ) {}

  /** Opens the cache in `dir`, computing whatever it lacks or whatever was made from other inputs. */
  static async open(set: TrainingSet, o: EmbeddingCacheOptions): Promise<EmbeddingCache> {
    const side = embeddingGrid(o.config);
    const size = o.config.maskDecoder.transformerDim * side * side;
    const key = cacheKey(set, o);
    const manifestPath = join(o.dir, 'manifest.json');
    mkdirSync(o.dir, { recursive: true });
    let done = 0;
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { key?: string; done?: number };
      if (manifest.key === key && Number.isInteger(manifest.done)) done = manifest.done!;
    }
    const cache = new EmbeddingCache(o.dir, size, o.flips);
    if (done < set.images.length) await cache.compute(set, o, key, done, manifestPath);
    return cache;
  }

  private async compute(set: TrainingSet, o: EmbeddingCacheOptions, key: string, from: number, manifestPath: string): Promise<void> {
    const s = o.config.imageEncoder.imgSize;
    const rt = await Runtime.create(serialize(buildEncoderGraph(o.config), { params: 'initializers', values: o.values as Map<string, Float32Array> }), {
      threads: o.threads,
    });
    try {
      for (let i = from; i < set.images.length; i++) {
        const item = set.images[i];
        const pre = preprocessImage(await readImage(item.path), o.config);
        const out = new Float32Array(this.size * (this.flips ? 2 : 1));
        out.set((await rt.run({ image: pre.tensor })).embedding.data as Float32Array, 0);
        if (this.flips) {
          flipInput(pre.tensor, s, pre.inputSize[0], pre.inputSize[1]);
          out.set((await rt.run({ image: pre.tensor })).embedding.data as Float32Array, this.size);
        }
        writeAtomic(this.file(i), new Uint8Array(out.buffer));
        // The manifest advances every image, so an interrupted build resumes where it stopped.
        writeAtomic(manifestPath, new TextEncoder().encode(JSON.stringify({ key, done: i + 1, images: set.images.length })));
        o.progress?.(i + 1, set.images.length);
      }
    } finally {
      await rt.release();
    }
  }

  private file(index: number): string {
    return join(this.dir, `${index}.f32`);
  }

  /** The embedding [C, h, w] of image `index` of the training set, or of its mirror image. */
  get(index: number, flipped: boolean): Float32Array {
    if (flipped && !this.flips) throw new Error('embedding cache: built without mirrored images');
    const bytes = readFileSync(this.file(index));
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const expected = this.size * (this.flips ? 2 : 1);
    if (all.length !== expected) throw new Error(`embedding cache: ${this.file(index)} holds ${all.length} floats, expected ${expected}`);
    return all.subarray(flipped ? this.size : 0, flipped ? 2 * this.size : this.size);
  }
}

function cacheKey(set: TrainingSet, o: EmbeddingCacheOptions): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(o.config));
  hash.update(`${set.hash}|flips=${o.flips}`);
  for (const name of [...o.values.keys()].filter((k) => k.startsWith('image_encoder.')).sort()) {
    const v = o.values.get(name)!;
    hash.update(name);
    hash.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return hash.digest('hex');
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}
