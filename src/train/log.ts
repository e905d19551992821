// The run's JSONL log: one object per step (step, loss and its parts, lr, gradient norm, timing).
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface LogEntry {
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
  /** Wall time of the step (data wait, click simulation and the training run), ms. */
  step_ms: number;
  /** Of which: waiting for the batch, and the training run (forward, backward, AdamW). */
  data_wait_ms: number;
  train_ms: number;
  images_per_s: number;
  /** Loss parts and metrics of the graph: focal, dice, iou_mse, true_iou (refine.* with refinement). */
  [metric: string]: number;
}

export class RunLog {
  constructor(readonly path: string) {}

  /**
   * Entries written so far. A last line without its newline that does not parse was cut by a kill
   * during append: it is dropped (the resumed run redoes that step). Any other bad line is an error.
   */
  read(): LogEntry[] {
    if (!existsSync(this.path)) return [];
    const lines = readFileSync(this.path, 'utf8').split('\n');
    const cut = lines.pop() ?? ''; // '' when the file ends with its newline
    const entries: LogEntry[] = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        entries.push(JSON.parse(line) as LogEntry);
      } catch {
        throw new Error(`${this.path}: line ${i + 1} is not JSON`);
      }
    });
    if (cut.trim()) {
      try {
        entries.push(JSON.parse(cut) as LogEntry);
      } catch {
        // the partial line of a killed append
      }
    }
    return entries;
  }

  /** Keeps only the entries before `step` (a resumed run redoes the steps after its checkpoint). */
  truncate(step: number): void {
    const kept = this.read().filter((e) => e.step < step);
    const temporary = `${this.path}.tmp-${process.pid}`;
    writeFileSync(temporary, kept.map((e) => JSON.stringify(e) + '\n').join(''));
    renameSync(temporary, this.path);
  }

  append(entry: LogEntry): void {
    appendFileSync(this.path, JSON.stringify(entry) + '\n');
  }
}
