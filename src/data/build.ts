/**
 * `data build <raw-root> <out-dir>`: finds every registered dataset under the raw root by its folder
 * name (corpus name or alias, any case), converts them in parallel worker processes (one dataset
 * per worker), skips finished ones (DONE.json) unless forced, and measures the throughput.
 */
import { fork } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { DONE_FILE, type DoneRecord, recoverInterruptedSwap } from './corpus.js';
import { ALLOW_EVALUATION_ONLY_FLAG, evaluationOnlyAmong, evaluationOnlyRefusal, findDataset } from './registry.js';
import type { WorkerJob, WorkerMessage } from './build_worker.js';

export interface FoundDataset {
  name: string;
  rawDir: string;
}

export interface BuildOptions {
  workers?: number;
  force?: boolean;
  strict?: boolean;
  /** Record a dataset that yields no image instead of failing it. */
  allowEmpty?: boolean;
  /** Only these datasets (names or aliases). */
  only?: string[];
  /** Convert evaluation-only datasets too (refused otherwise, before anything is converted). */
  allowEvaluationOnly?: boolean;
  /** Show a cli-progress bar on stderr (when it is a terminal). */
  progressBar?: boolean;
  /** Told about each event: a dataset started, finished, failed, skipped, or a raw file warning. */
  onEvent?(event: BuildEvent): void;
}

export type BuildEvent =
  | { type: 'skipped'; dataset: string }
  | { type: 'started'; dataset: string; rawDir: string }
  | { type: 'warning'; dataset: string; file: string; problem: string }
  | { type: 'done'; dataset: string; done: DoneRecord }
  | { type: 'failed'; dataset: string; message: string };

export interface BuildReport {
  found: FoundDataset[];
  /** Folders under the raw root that name no registered dataset. */
  unknownFolders: string[];
  skipped: string[];
  converted: DoneRecord[];
  failed: { dataset: string; message: string }[];
  images: number;
  seconds: number;
  imagesPerSecond: number;
  workers: number;
}

/** True when the path is a folder or a link to one (a raw root is often assembled from links to copies kept elsewhere). */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a dangling link
  }
}

/** Registered datasets among the raw root's sub-folders (or links to folders), and the folders that match none. */
export function findRawDatasets(rawRoot: string): { found: FoundDataset[]; unknownFolders: string[] } {
  if (!existsSync(rawRoot)) throw new Error(`raw root ${rawRoot} does not exist`);
  const found: FoundDataset[] = [];
  const unknownFolders: string[] = [];
  const seen = new Map<string, string>();
  for (const entry of readdirSync(rawRoot, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || !(entry.isDirectory() || (entry.isSymbolicLink() && isFolder(join(rawRoot, entry.name))))) continue;
    const module = findDataset(entry.name);
    if (!module) {
      unknownFolders.push(entry.name);
      continue;
    }
    const other = seen.get(module.info.name);
    if (other) throw new Error(`raw root has two folders for ${module.info.name}: ${other} and ${entry.name}`);
    seen.set(module.info.name, entry.name);
    found.push({ name: module.info.name, rawDir: join(rawRoot, entry.name) });
  }
  return { found, unknownFolders };
}

/** The worker script beside this file; under tsx (a .ts file) the child needs tsx's loader too. */
function workerCommand(): { path: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  const typescript = self.endsWith('.ts');
  const path = join(self, '..', typescript ? 'build_worker.ts' : 'build_worker.js');
  return { path, execArgv: typescript ? ['--import', import.meta.resolve('tsx')] : [] };
}

function runWorker(job: WorkerJob, onMessage: (message: WorkerMessage) => void): Promise<void> {
  const { path, execArgv } = workerCommand();
  return new Promise((resolve) => {
    const child = fork(path, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let finished = false;
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'done' || message.type === 'error') finished = true;
      onMessage(message);
    });
    child.on('exit', (code, signal) => {
      if (!finished) onMessage({ type: 'error', dataset: job.dataset, message: `worker exited (${signal ?? `code ${code}`}) before finishing` });
      resolve();
    });
    child.send(job);
  });
}

export async function buildCorpus(rawRoot: string, outDir: string, options: BuildOptions = {}): Promise<BuildReport> {
  const started = Date.now();
  const raw = findRawDatasets(rawRoot);
  const { unknownFolders } = raw;
  let { found } = raw;
  if (options.only) {
    const wanted = new Set(options.only.map((name) => findDataset(name)?.info.name ?? name));
    found = found.filter((f) => wanted.has(f.name));
  }
  const evaluationOnly = evaluationOnlyAmong(found.map((f) => f.name));
  if (evaluationOnly.length > 0 && !options.allowEvaluationOnly) {
    throw evaluationOnlyRefusal(evaluationOnly, `convert (found under ${rawRoot})`, `pass ${ALLOW_EVALUATION_ONLY_FLAG} to convert them anyway, or --only to pick the other datasets`);
  }
  const workers = Math.max(1, options.workers ?? Math.min(2, cpus().length));
  const report: BuildReport = { found, unknownFolders, skipped: [], converted: [], failed: [], images: 0, seconds: 0, imagesPerSecond: 0, workers };
  const queue: FoundDataset[] = [];
  for (const item of found) {
    await recoverInterruptedSwap(outDir, item.name);
    if (!options.force && existsSync(join(outDir, item.name, DONE_FILE))) {
      report.skipped.push(item.name);
      options.onEvent?.({ type: 'skipped', dataset: item.name });
    } else {
      queue.push(item);
    }
  }

  const bar =
    options.progressBar && process.stderr.isTTY
      ? new cliProgress.SingleBar({ format: 'data build |{bar}| {value}/{total} datasets | {images} images | {rate} img/s | {active}', hideCursor: true }, cliProgress.Presets.shades_classic)
      : undefined;
  const progress = new Map<string, number>();
  const imagesSoFar = () => [...progress.values()].reduce((a, b) => a + b, 0);
  const updateBar = () => {
    const seconds = (Date.now() - started) / 1000;
    const images = imagesSoFar();
    bar?.update(report.converted.length + report.failed.length, {
      images,
      rate: seconds > 0 ? (images / seconds).toFixed(1) : '0',
      active: [...active].join(', '),
    });
  };
  const active = new Set<string>();
  bar?.start(queue.length, 0, { images: 0, rate: '0', active: '' });

  const next = async (): Promise<void> => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const { name, rawDir } = item;
      active.add(name);
      options.onEvent?.({ type: 'started', dataset: name, rawDir });
      updateBar();
      const job: WorkerJob = { dataset: name, rawDir, outDir, strict: options.strict ?? false, force: options.force ?? false, allowEmpty: options.allowEmpty ?? false };
      await runWorker(job, (message) => {
        if (message.type === 'progress') progress.set(name, message.images);
        else if (message.type === 'warning') options.onEvent?.({ type: 'warning', dataset: name, file: message.file, problem: message.problem });
        else if (message.type === 'done') {
          progress.set(name, message.done.images);
          report.converted.push(message.done);
          options.onEvent?.({ type: 'done', dataset: name, done: message.done });
        } else {
          report.failed.push({ dataset: name, message: message.message });
          options.onEvent?.({ type: 'failed', dataset: name, message: message.message });
        }
        updateBar();
      });
      active.delete(name);
      updateBar();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(workers, Math.max(queue.length, 1)) }, next));
  } finally {
    bar?.stop();
  }
  report.seconds = (Date.now() - started) / 1000;
  report.images = report.converted.reduce((sum, d) => sum + d.images, 0);
  report.imagesPerSecond = report.seconds > 0 ? report.images / report.seconds : 0;
  return report;
}
