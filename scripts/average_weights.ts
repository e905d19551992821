// The element-wise mean of checkpoints of one model (a "model soup": runs from the same start
// average into one model that is often better than either; stage 11 of ultrasam-tiny is one, see
// its model card). Every file must hold the same tensors with the same shapes; the result keeps the
// first file's metadata (configuration, training record, decoding records) and is float32.
//   npx tsx scripts/average_weights.ts <out.safetensors> <a.safetensors> <b.safetensors> [more.safetensors …]
import { existsSync } from 'node:fs';
import type { WeightTensor } from '../src/weights/types.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../src/weights/index.js';

const [output, ...inputs] = process.argv.slice(2);
if (!output || inputs.length < 2) {
  console.error('usage: npx tsx scripts/average_weights.ts <out.safetensors> <a.safetensors> <b.safetensors> [more.safetensors …]');
  process.exit(2);
}
if (existsSync(output)) throw new Error(`${output} exists; not overwriting it`);
const files = inputs.map((path) => ({ path, file: readSafetensorsFile(path) }));
const [first, ...rest] = files;
// Each file's share (value / n) is added into a float32 sum, in file order.
const share = (v: number) => v / files.length;
const sum = new Map<string, { shape: number[]; data: Float32Array }>();
for (const [key, t] of first.file.tensors) sum.set(key, { shape: [...t.shape], data: Float32Array.from(t.data as ArrayLike<number>, share) });
for (const { path, file } of rest) {
  for (const key of sum.keys()) if (!file.tensors.has(key)) throw new Error(`${path}: no tensor '${key}' (${first.path} has it)`);
  for (const [key, t] of file.tensors) {
    const into = sum.get(key);
    if (!into) throw new Error(`${path}: tensor '${key}' is not in ${first.path}`);
    if (t.shape.join() !== into.shape.join()) throw new Error(`${path}: tensor '${key}' is [${t.shape}], ${first.path} has [${into.shape}]`);
    const data = t.data as ArrayLike<number>;
    for (let i = 0; i < data.length; i++) into.data[i] += share(data[i]);
  }
}
const mean = new Map<string, WeightTensor>();
for (const [key, { shape, data }] of sum) mean.set(key, { dtype: 'float32', shape, data });
writeSafetensorsFile(output, mean, { metadata: first.file.metadata });
console.log(`wrote ${output}: the mean of ${files.length} files, ${mean.size} tensors (metadata of ${first.path})`);
