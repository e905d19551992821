// Inference pieces shared by training (features for linear probing, held-out evaluation) and the
// predict commands: the encoder over prepared images, and a head over embeddings.
import { Graph } from '../graph/graph.js';
import { serialize } from '../graph/onnx.js';
import { Runtime } from '../graph/runtime.js';
import type { SamConfig } from '../model/config.js';
import { buildEncoderGraph } from '../model/sam.js';
import { type HeadSpec, buildHead } from './heads.js';
import { type PreparedImage, fillBatch } from './prepare.js';

export interface RunOptions {
  /** onnxruntime intra-op threads (default: its choice). */
  threads?: number;
}

/** Side and channels of the embedding grid. */
export function embeddingShape(config: SamConfig): [number, number, number] {
  const g = config.imageEncoder.imgSize / config.imageEncoder.patchSize;
  return [config.imageEncoder.outChans, g, g];
}

/** The encoder's embedding [C, g, g] of every image, `batch` images per run. */
export async function embedImages(config: SamConfig, values: ReadonlyMap<string, Float32Array>, images: readonly PreparedImage[], batch = 4, options: RunOptions = {}): Promise<Float32Array[]> {
  const b = Math.max(1, Math.min(batch, images.length));
  const rt = await Runtime.create(serialize(buildEncoderGraph(config, b), { params: 'initializers', values }), { threads: options.threads });
  const s = config.imageEncoder.imgSize;
  const input = new Float32Array(b * 3 * s * s);
  const size = embeddingShape(config).reduce((a, d) => a * d, 1);
  const out: Float32Array[] = [];
  try {
    for (let start = 0; start < images.length; start += b) {
      for (let i = 0; i < b; i++) fillBatch(input, i, images[start + i], config);
      const emb = (await rt.run({ image: input })).embedding.data as Float32Array;
      for (let i = 0; i < b && start + i < images.length; i++) out.push(emb.slice(i * size, (i + 1) * size));
    }
  } finally {
    await rt.release();
  }
  return out;
}

/** Runs the head over embeddings: logits per image ([K] or [K, S, S] flattened). */
export async function runHead(spec: HeadSpec, config: SamConfig, values: ReadonlyMap<string, Float32Array>, embeddings: readonly Float32Array[], options: RunOptions = {}): Promise<Float32Array[]> {
  const g = new Graph();
  const [c, gh, gw] = embeddingShape(config);
  g.output('logits', buildHead(g, g.input('embedding', [1, c, gh, gw]), spec, config));
  const rt = await Runtime.create(serialize(g, { params: 'initializers', values }), { threads: options.threads });
  const out: Float32Array[] = [];
  try {
    for (const e of embeddings) out.push(Float32Array.from((await rt.run({ embedding: e })).logits.data as Float32Array));
  } finally {
    await rt.release();
  }
  return out;
}

export function argmax(values: ArrayLike<number>, offset = 0, count = values.length, stride = 1): number {
  let best = 0;
  for (let k = 1; k < count; k++) if (values[offset + k * stride] > values[offset + best * stride]) best = k;
  return best;
}

export function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const exps = Array.from(logits, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
