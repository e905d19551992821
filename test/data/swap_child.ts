// Child process of corpus_failures.test.ts: converts the one-image dataset `Swap` into <out> with
// --force, and SIGKILLs itself at a chosen point of the swap that replaces the finished copy. The
// kill is real: fs.promises is wrapped before the corpus writer is loaded, so the writer runs as it
// always does and simply dies there.
import fs, { existsSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

export type KillPoint = 'after-aside' | 'after-swap' | 'during-cleanup' | 'none';

const [outDir, rawDir, tag, killAt] = process.argv.slice(2) as [string, string, string, KillPoint];
const finalDir = join(outDir, 'Swap');
const die = () => process.kill(process.pid, 'SIGKILL');
const { rename, rm } = fs.promises;
fs.promises.rename = async (from, to) => {
  await rename(from, to);
  if (killAt === 'after-aside' && String(from) === finalDir) die(); // old copy aside, new not yet in place
  if (killAt === 'after-swap' && String(to) === finalDir && String(from).includes('.partial-')) die(); // new in place, old not yet deleted
};
fs.promises.rm = async (path, options) => {
  if (killAt === 'during-cleanup' && String(path).endsWith('.replaced') && existsSync(String(path))) {
    await rm(join(String(path), 'DONE.json')); // half deleted
    die();
  }
  return rm(path, options);
};
syncBuiltinESMExports();

const { writeDataset } = await import('../../src/data/corpus.js');
const { fakeDataset, syntheticSample } = await import('./helpers.js');
const module = fakeDataset('Swap', ['lesion'], async function* () {
  yield syntheticSample(8, 8, { lesion: [[1, 1, 3, 3]] }, { index: 1, labels: { tag } });
});
await writeDataset(module, rawDir, outDir, { force: true });
