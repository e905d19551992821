// One check for every command that writes files, run before any work is done: an output must not
// be one of the command's inputs (`segment a.jpg --out a.jpg` replaced the scan with its mask), two
// outputs must not be one file (`--out m.png --overlay m.png`), a file output must not be a folder
// and a folder output must not be a file (those failed late, with EISDIR / EEXIST and a temporary
// file's name), and no folder on the way may be a file.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface OutputPath {
  /** How the user gave it: '--out', '<out>', … */
  flag: string;
  path: string;
  kind: 'file' | 'folder';
  /** The command deletes what is there (e.g. `--force` on a folder): no input may lie inside it. */
  replaced?: boolean;
}

export interface InputPath {
  flag: string;
  path: string;
}

/** The path with every existing part resolved (symbolic links, `..`), so two spellings of one file compare equal. */
function canonical(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute)) return realpathSync(absolute);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : join(canonical(parent), basename(absolute));
}

/** True when both name one existing file, also through a hard link. */
function sameFile(a: string, b: string): boolean {
  if (canonical(a) === canonical(b)) return true;
  if (!existsSync(a) || !existsSync(b)) return false;
  const sa = statSync(a);
  const sb = statSync(b);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

function inside(path: string, folder: string): boolean {
  const rel = relative(canonical(folder), canonical(path));
  return rel === '' || !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

/** The nearest folder on the way to `path` that exists as a file, if any. */
function fileOnTheWay(path: string): string | undefined {
  for (let at = dirname(resolve(path)); ; at = dirname(at)) {
    if (existsSync(at)) return statSync(at).isDirectory() ? undefined : at;
    if (dirname(at) === at) return undefined;
  }
}

/** Throws an Error naming the flag and path of the first problem; returns when every output is safe to write. */
export function checkOutputPaths(outputs: readonly OutputPath[], inputs: readonly InputPath[] = []): void {
  for (const out of outputs) {
    const where = `${out.flag} ${out.path}`;
    const blocker = fileOnTheWay(out.path);
    if (blocker) throw new Error(`${where}: ${blocker} is a file, not a folder`);
    if (existsSync(out.path)) {
      const isFolder = statSync(out.path).isDirectory();
      if (out.kind === 'file' && isFolder) throw new Error(`${where} is a folder; give the name of the file to write`);
      if (out.kind === 'folder' && !isFolder) throw new Error(`${where} is a file; give a folder (it is created when missing)`);
    }
    for (const input of inputs) {
      if (sameFile(out.path, input.path)) {
        throw new Error(`${where} is the input ${input.flag} ${input.path}: refusing to overwrite it; choose another output`);
      }
      if (out.kind === 'folder' && out.replaced && inside(input.path, out.path)) {
        throw new Error(`${where} would be replaced, and the input ${input.flag} ${input.path} lies inside it; choose another output`);
      }
    }
  }
  const files = outputs.filter((o) => o.kind === 'file');
  for (let i = 0; i < files.length; i++) {
    for (let j = i + 1; j < files.length; j++) {
      if (sameFile(files[i].path, files[j].path)) {
        throw new Error(`${files[i].flag} ${files[i].path} and ${files[j].flag} ${files[j].path} are the same file: each output needs its own`);
      }
    }
  }
}
