// Runs a command group in-process, the way the shell would reach it: a fresh commander program with
// the group registered, stdout captured line by line, stderr silenced, the exit code read back.
import { Command } from 'commander';

export interface CliRun {
  /** What the command printed with console.log, one entry per call. */
  lines: string[];
  /** The same, joined with newlines. */
  out: string;
  /** process.exitCode as the command left it (0 when it set none); reset afterwards. */
  code: number;
}

/** `ultrasam <args>` with only the commands `register` adds. Errors (commander's included) propagate. */
export async function runCli(register: (program: Command) => void, args: readonly string[]): Promise<CliRun> {
  const program = new Command('ultrasam').exitOverride().configureOutput({ writeErr: () => {} });
  register(program);
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  console.error = () => {};
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'ultrasam', ...args]);
  } finally {
    console.log = log;
    console.error = error;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { lines, out: lines.join('\n'), code };
}
