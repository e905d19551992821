/**
 * Finding a raw dataset's files: sorted listings relative to the raw folder (forward slashes, so
 * `sourceFile` reads the same on every platform), extension filters and file-name stems.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ListOptions {
  /** Lower-case extensions with the dot ('.png'); compared case-insensitively. All files when absent. */
  extensions?: string[];
  /** Descend into sub-folders (default true). */
  recursive?: boolean;
  /** Only file names (not paths) this matches. */
  match?: RegExp;
}

/**
 * Natural order ('2.png' before '10.png'), so samples come out in the order a person reads the
 * folder, whatever the platform's directory order; ties broken by plain code-point order.
 */
export function naturalCompare(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    // split() with a capture group puts digit runs at odd indices.
    if (i % 2 === 1) {
      const diff = Number(pa[i]) - Number(pb[i]);
      if (diff !== 0) return diff;
    }
    return pa[i] < pb[i] ? -1 : 1;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The file name's extension in lower case ('.nii.gz' counts as one), '' when there is none. */
export function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (name.endsWith('.nii.gz')) return '.nii.gz';
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** The file name without folders and extension: 'a/b/case 1.png' → 'case 1'. */
export function stemOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const extension = extensionOf(name);
  return extension === '' ? name : name.slice(0, name.length - extension.length);
}

/** The folder part of a relative path ('' at the top). */
export function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/**
 * Files under `root`, as sorted paths relative to it with '/' separators. Hidden entries are
 * skipped. A symbolic link to a regular file counts as that file (raw copies are often assembled
 * from links); links to folders are not followed (no cycles).
 */
export async function listFiles(root: string, options: ListOptions = {}): Promise<string[]> {
  const extensions = options.extensions?.map((e) => e.toLowerCase());
  const recursive = options.recursive ?? true;
  const wanted = (name: string) => (!extensions || extensions.includes(extensionOf(name))) && (!options.match || options.match.test(name));
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const folder = relative === '' ? root : join(root, relative);
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // .DS_Store, ._ resource forks, partial downloads
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (recursive) await walk(path);
      } else if (wanted(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && (await isFile(join(folder, entry.name)))))) {
        found.push(path);
      }
    }
  };
  await walk('');
  return found.sort(naturalCompare);
}

/** True when the path exists and is a folder. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** True when the path exists and is a file. */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The first of `candidates` (paths relative to `root`) that is a folder, or an error naming them
 * all: a raw copy unpacked one level too deep or too shallow is the usual mistake.
 */
export async function requireDirectory(root: string, candidates: string[], what: string): Promise<string> {
  for (const candidate of candidates) {
    if (await isDirectory(join(root, candidate))) return candidate;
  }
  throw new Error(`${root}: no ${what} folder found (looked for ${candidates.map((c) => `'${c === '' ? '.' : c}'`).join(', ')})`);
}
