// `finetune compare`: the same fine-tune repeated over inits × modes × seeds, summarised as
// mean ± std per (init, mode), so "our init beats random init" is a measurement.
import { type ClassifyOptions, finetuneClassifier } from './classify.js';
import type { Mode } from './fit.js';
import { type SegmentOptions, finetuneSegmenter } from './segment.js';

export type CompareTask = { task: 'classify'; base: Omit<ClassifyOptions, 'init' | 'mode' | 'seed' | 'out'> } | { task: 'segment'; base: Omit<SegmentOptions, 'init' | 'mode' | 'seed' | 'out'> };

export interface CompareOptions {
  inits: string[];
  modes: Mode[];
  seeds: number[];
  /** Called after every run (progress). */
  onRun?: (run: RunRecord) => void;
}

export interface RunRecord {
  init: string;
  mode: Mode;
  seed: number;
  metrics: Record<string, number>;
  seconds_per_epoch: number;
  peak_rss_mb: number;
}

export interface Summary {
  init: string;
  mode: Mode;
  runs: number;
  /** metric → { mean, std } (std: sample standard deviation, 0 for a single run). */
  metrics: Record<string, { mean: number; std: number }>;
}

export interface CompareReport {
  task: 'classify' | 'segment';
  seeds: number[];
  runs: RunRecord[];
  summary: Summary[];
}

export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) throw new Error('meanStd: no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

export async function compareInits(job: CompareTask, o: CompareOptions): Promise<CompareReport> {
  if (!o.inits.length || !o.modes.length || !o.seeds.length) throw new Error('compare: give at least one init, one mode and one seed');
  const runs: RunRecord[] = [];
  for (const init of o.inits) {
    for (const mode of o.modes) {
      for (const seed of o.seeds) {
        let record: RunRecord;
        if (job.task === 'classify') {
          const r = await finetuneClassifier({ ...job.base, init, mode, seed });
          const perClass = Object.fromEntries(Object.entries(r.per_class).map(([c, v]) => [`f1_${c}`, v.f1]));
          record = { init, mode, seed, metrics: { macro_f1: r.macro_f1, accuracy: r.accuracy, ...perClass }, seconds_per_epoch: r.seconds_per_epoch, peak_rss_mb: r.peak_rss_mb };
        } else {
          const r = await finetuneSegmenter({ ...job.base, init, mode, seed });
          const perClass = Object.fromEntries(
            Object.entries(r.dice)
              .filter(([, v]) => v !== null)
              .map(([c, v]) => [`dice_${c}`, v as number]),
          );
          record = { init, mode, seed, metrics: { mean_dice: r.mean_dice, ...perClass }, seconds_per_epoch: r.seconds_per_epoch, peak_rss_mb: r.peak_rss_mb };
        }
        runs.push(record);
        o.onRun?.(record);
      }
    }
  }
  return { task: job.task, seeds: o.seeds, runs, summary: summarise(runs) };
}

export function summarise(runs: readonly RunRecord[]): Summary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) groups.set(`${r.init}\u0000${r.mode}`, [...(groups.get(`${r.init}\u0000${r.mode}`) ?? []), r]);
  return [...groups.values()].map((rs) => {
    const names = [...new Set(rs.flatMap((r) => Object.keys(r.metrics)))];
    const metrics = Object.fromEntries(names.map((n) => [n, meanStd(rs.filter((r) => n in r.metrics).map((r) => r.metrics[n]))]));
    return { init: rs[0].init, mode: rs[0].mode, runs: rs.length, metrics };
  });
}

/** A Markdown table: one row per (init, mode), the given metrics as mean ± std. */
export function formatTable(summary: readonly Summary[], metricNames: readonly string[]): string {
  const head = `| init | mode | runs | ${metricNames.join(' | ')} |`;
  const rule = `| --- | --- | ---: | ${metricNames.map(() => '---:').join(' | ')} |`;
  const rows = summary.map((s) => {
    const cells = metricNames.map((n) => (s.metrics[n] ? `${s.metrics[n].mean.toFixed(3)} ± ${s.metrics[n].std.toFixed(3)}` : '—'));
    return `| ${s.init} | ${s.mode} | ${s.runs} | ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}
