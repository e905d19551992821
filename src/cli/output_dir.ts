// An output folder that appears whole or not at all: files are written into a temporary sibling
// folder, which is renamed into place once everything is written (a failure removes it), so a
// crash never leaves a half-written result where the user looks for one.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Runs `write(partialDir)` and moves its folder to `outDir`. An existing non-empty `outDir` is an
 * error unless `force`, which replaces it.
 */
export async function writeOutputDir<T>(outDir: string, force: boolean, write: (dir: string) => Promise<T>): Promise<T> {
  const out = resolve(outDir);
  const occupied = existsSync(out) && readdirSync(out).length > 0;
  if (occupied && !force) throw new Error(`${out} exists and is not empty (use --force to replace it)`);
  const partial = `${out}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    const result = await write(partial);
    await mkdir(dirname(out), { recursive: true });
    await rm(out, { recursive: true, force: true });
    await rename(partial, out);
    return result;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}
