/**
 * RAR archives, extracted with whichever system tool is installed: unrar, unar, 7z (p7zip) or
 * bsdtar (libarchive) — RAR has no maintained JavaScript extractor for every variant (RAR5, solid).
 */
import { mkdir, readdir } from 'node:fs/promises';
import { findExecutable, MissingToolError, runTool, type ToolSearch } from './system_tool.js';

interface Extractor {
  program: string;
  args(archive: string, destination: string): string[];
}

const EXTRACTORS: Extractor[] = [
  // x: keep paths; -o+: overwrite; -idq: quiet
  { program: 'unrar', args: (archive, destination) => ['x', '-o+', '-idq', archive, `${destination}/`] },
  { program: 'unar', args: (archive, destination) => ['-quiet', '-force-overwrite', '-no-directory', '-output-directory', destination, archive] },
  { program: '7z', args: (archive, destination) => ['x', '-y', '-bd', `-o${destination}`, archive] },
  { program: '7zz', args: (archive, destination) => ['x', '-y', '-bd', `-o${destination}`, archive] },
  { program: 'bsdtar', args: (archive, destination) => ['-x', '-f', archive, '-C', destination] },
];

/** The first RAR extractor found on the search path. */
export async function findRarExtractor(search: ToolSearch = {}): Promise<{ program: string; path: string } | undefined> {
  for (const extractor of EXTRACTORS) {
    const path = await findExecutable(extractor.program, search);
    if (path) return { program: extractor.program, path };
  }
  return undefined;
}

/** The first RAR extractor found, or a MissingToolError that says how to install one. */
export async function requireRarExtractor(datasetName: string, search: ToolSearch = {}): Promise<{ program: string; path: string }> {
  const found = await findRarExtractor(search);
  if (!found) {
    const names = EXTRACTORS.map((e) => e.program);
    throw new MissingToolError(names, `no RAR extractor found (looked for ${names.join(', ')}): install one (apt-get install unar) to convert ${datasetName}`);
  }
  return found;
}

/** Extracts `archive` into `destination` (created if needed), keeping the archive's folders. */
export async function extractRar(archive: string, destination: string, datasetName: string, search: ToolSearch = {}): Promise<string> {
  const found = await requireRarExtractor(datasetName, search);
  const extractor = EXTRACTORS.find((e) => e.program === found.program)!;
  await mkdir(destination, { recursive: true });
  await runTool(found.path, extractor.args(archive, destination)).catch((error: Error) => {
    throw new Error(`cannot extract ${archive} with ${found.program}: ${error.message}`);
  });
  // Some tools exit 0 on an archive they cannot read: an empty destination means nothing came out.
  if ((await readdir(destination)).length === 0) {
    throw new Error(`cannot extract ${archive} with ${found.program}: nothing was extracted (not a RAR archive, or damaged)`);
  }
  return found.program;
}
