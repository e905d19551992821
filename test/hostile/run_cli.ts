// Runs `ultrasam` as a user would, in a child process whose JavaScript heap is capped at 512 MB,
// and reports its exit code, its output and its peak resident memory (read by peak_rss.mjs as the
// child exits), so that a test can require "exit 1, a clear message, nothing written, memory bounded".
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/ultrasam.js', import.meta.url));
const PEAK_RSS = fileURLToPath(new URL('./peak_rss.mjs', import.meta.url));
const RSS_LINE = /^ultrasam-test-peak-rss-kb (\d+)$/m;

/** The heap cap every hostile run gets. */
export const HEAP_LIMIT_MB = 512;

export interface CliResult {
  /** Exit code; null when a signal ended the process (e.g. SIGABRT on heap exhaustion). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stderr without the peak-memory line. */
  stderr: string;
  /** Peak resident set size in MiB. */
  peakRssMb: number;
}

export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MB}`, '--import', PEAK_RSS, BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const rss = RSS_LINE.exec(stderr);
      resolve({ code, signal, stdout, stderr: stderr.replace(RSS_LINE, '').trim(), peakRssMb: rss ? Number(rss[1]) / 1024 : NaN });
    });
  });
}
