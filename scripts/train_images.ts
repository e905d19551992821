// The exact list of a training run's images, for a model card: one line per image with at least
// one (non-crowd) instance, "<dataset>/<file_name>\t<source_file>", sorted in C (byte) order, and
// its sha256 on stderr.
//   npx tsx scripts/train_images.ts <run.json> > list.txt
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';

interface Coco {
  images: { id: number; file_name: string; source_file?: string }[];
  annotations: { image_id: number; iscrowd?: number }[];
}

const [configPath] = process.argv.slice(2);
if (!configPath) {
  console.error('usage: npx tsx scripts/train_images.ts <run.json>');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8')) as { data: { coco: string; images?: string }[] };
const lines: string[] = [];
for (const source of config.data) {
  const coco = JSON.parse(readFileSync(source.coco, 'utf8')) as Coco;
  const dataset = basename(source.images ?? dirname(source.coco));
  const withInstances = new Set(coco.annotations.filter((a) => !a.iscrowd).map((a) => a.image_id));
  for (const im of coco.images) if (withInstances.has(im.id)) lines.push(`${dataset}/${im.file_name}\t${im.source_file ?? ''}`);
}
lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const text = lines.join('\n') + '\n';
process.stdout.write(text);
console.error(`${lines.length} images, sha256 ${createHash('sha256').update(text).digest('hex')}`);
