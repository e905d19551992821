/**
 * Finding and running the system programs some raw formats need (ffmpeg for videos, unrar & co for
 * RAR archives). They are optional: a dataset that needs one reports a clear, actionable error.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** A system program needed to convert a dataset is not installed. */
export class MissingToolError extends Error {
  override name = 'MissingToolError';
  constructor(
    readonly tools: string[],
    message: string,
  ) {
    super(message);
  }
}

/** Where to look for programs: the PATH by default; tests pass their own list. */
export interface ToolSearch {
  /** Directories searched, in order (defaults to the PATH environment variable). */
  searchPath?: string[];
}

/** The full path of the first executable `name` on the search path, or undefined. */
export async function findExecutable(name: string, search: ToolSearch = {}): Promise<string | undefined> {
  const dirs = search.searchPath ?? (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const suffixes = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of dirs) {
    for (const suffix of suffixes) {
      const candidate = join(dir, name + suffix);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here: keep looking
      }
    }
  }
  return undefined;
}

/** Runs a program to completion and collects its exit code and output, whatever the exit code. */
export function captureTool(program: string, args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new Error(`cannot run ${program}: ${error.message}`)));
    child.on('close', (code) => resolvePromise({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Runs a program to completion; rejects with the end of its stderr when it fails. */
export async function runTool(program: string, args: string[]): Promise<{ stdout: Buffer; stderr: string }> {
  const { code, stdout, stderr } = await captureTool(program, args);
  if (code !== 0) throw new Error(`${program} ${args.join(' ')} failed (exit ${code}): ${stderr.trim().slice(-2000)}`);
  return { stdout, stderr };
}
