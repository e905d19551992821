// The evaluation report in a folder: report.json (the summary and the best/worst cases), report.md
// (the same as tables), instances.jsonl (one line of metrics per instance) and overlays/*.png.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApSummary } from './coco_ap.js';
import type { EvalResult } from './evaluate.js';
import { writeCaseOverlays, type OverlayCase } from './overlays.js';
import type { EvalSummary, GroupSummary } from './summary.js';

export interface ReportOptions {
  /** Best and worst cases drawn as overlays (default 5 each; 0 for none). */
  overlays?: number;
  /** The command line that produced the report, shown in it. */
  command?: string;
}

export interface ReportFiles {
  json: string;
  markdown: string;
  instances: string;
  overlays: string[];
}

function num(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

/** A Markdown table; cells are escaped for '|'. */
export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number) => String(v).replace(/\|/g, '\\|');
  return [`| ${headers.map(cell).join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

const STAT_HEADERS = ['n', 'Dice mean', 'Dice median', 'IoU mean', 'IoU median', 'AP', 'AP50', 'AP75'];

function statCells(s: GroupSummary | EvalSummary): (string | number)[] {
  return [s.n, num(s.dice_mean), num(s.dice_median), num(s.iou_mean), num(s.iou_median), num(s.ap.AP), num(s.ap.AP50), num(s.ap.AP75)];
}

function groupTable(groups: Record<string, GroupSummary>, label: string): string {
  return markdownTable(
    [label, ...STAT_HEADERS],
    Object.entries(groups).map(([name, g]) => [name, ...statCells(g)]),
  );
}

function clickTable(summary: EvalSummary): string {
  const k = summary.clicks!.clicks;
  const headers = ['', ...Array.from({ length: k }, (_, i) => `IoU@${i + 1}`), 'NoC@85', 'NoC@90', 'NoF@85', 'NoF@90'];
  const rows = [['all', summary.clicks!] as const, ...Object.entries(summary.per_dataset).map(([n, g]) => [n, g.clicks!] as const)].map(([name, c]) => [
    name,
    ...c.mean_iou_per_click.map((v) => num(v)),
    num(c.noc85, 2),
    num(c.noc90, 2),
    c.nof85,
    c.nof90,
  ]);
  return markdownTable(headers, rows);
}

function apDetail(ap: ApSummary): string {
  return markdownTable(['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR100'], [[ap.AP, ap.AP50, ap.AP75, ap.APs, ap.APm, ap.APl, ap.AR100].map((v) => num(v))]);
}

function casesTable(cases: OverlayCase[]): string {
  return markdownTable(
    ['#', 'annotation', 'image', 'dataset', 'structure', 'Dice', 'IoU', 'score', 'overlay'],
    cases.map((c) => [c.rank, c.annotation_id, c.image, c.dataset, c.category, num(c.dice), num(c.iou), num(c.score), `![](${c.overlay})`]),
  );
}

export function reportMarkdown(summary: EvalSummary, cases: { best: OverlayCase[]; worst: OverlayCase[] }, command?: string): string {
  const s = summary.skipped;
  const lines = [
    '# UltraSam evaluation',
    '',
    ...(command ? ['```', command, '```', ''] : []),
    `- COCO: \`${summary.coco}\`, images: \`${summary.images_dir}\``,
    ...(summary.weights ? [`- weights: \`${summary.weights}\``] : []),
    `- prompt: **${summary.prompt}**, seed ${summary.seed}, multimask ${summary.multimask}`,
    `- refinement: ${summary.refine ? "**on** (UltraSam's test-time refinement: each prompt decoded again with the box of its mask — the given box for box prompts — and the mask's low-resolution logits)" : 'off (one decoder pass per prompt)'}`,
    `- ${summary.n_images} images, ${summary.n_instances} instances, ${summary.seconds.toFixed(1)} s`,
    `- skipped: ${s.imagesWithoutInstances} images without instances, ${s.imagesBeyondLimit} beyond --limit, ${s.emptyMasks} empty masks; ${s.crowdAnnotations} crowd annotations (not prompted, kept in AP as crowd)`,
    ...(summary.centroid_outside_mask !== undefined ? [`- centroid prompts off the mask (used as they are, as the reference does): ${summary.centroid_outside_mask}`] : []),
    '',
    'Dice and IoU are per instance (one prompt each); AP is COCO mask AP (IoU .50:.05:.95, 101 recall points, maxDets 100) with the predicted IoU as the score.',
    '',
    '## Overall',
    '',
    markdownTable(STAT_HEADERS, [statCells(summary)]),
    '',
    apDetail(summary.ap),
    '',
    '## Per dataset',
    '',
    groupTable(summary.per_dataset, 'dataset'),
    '',
    '## Per structure',
    '',
    groupTable(summary.per_category, 'structure'),
    '',
  ];
  if (summary.clicks) {
    lines.push('## Clicks', '', 'Mean IoU after each click; NoC@τ: clicks to reach IoU ≥ τ (counted as K when never reached); NoF@τ: instances that never reach it.', '', clickTable(summary), '');
  }
  if (cases.best.length) lines.push('## Best cases (by Dice)', '', 'Green: ground truth; red: prediction; yellow: box or positive clicks; cyan: negative clicks.', '', casesTable(cases.best), '');
  if (cases.worst.length) lines.push('## Worst cases (by Dice)', '', casesTable(cases.worst), '');
  return lines.join('\n');
}

/** Writes the report into `outDir` (created if needed). */
export async function writeReport(result: EvalResult, summary: EvalSummary, outDir: string, options: ReportOptions = {}): Promise<ReportFiles> {
  const count = options.overlays ?? 5;
  if (!Number.isInteger(count) || count < 0) throw new Error(`overlays must be a non-negative integer, got ${count}`);
  await mkdir(outDir, { recursive: true });
  const cases = count > 0 ? await writeCaseOverlays(result, outDir, count) : { best: [], worst: [] };
  const files: ReportFiles = {
    json: join(outDir, 'report.json'),
    markdown: join(outDir, 'report.md'),
    instances: join(outDir, 'instances.jsonl'),
    overlays: [...cases.best, ...cases.worst].map((c) => join(outDir, c.overlay)),
  };
  await writeFile(files.json, `${JSON.stringify({ ...summary, ...(options.command ? { command: options.command } : {}), best: cases.best, worst: cases.worst }, null, 2)}\n`);
  await writeFile(files.markdown, reportMarkdown(summary, cases, options.command));
  await writeFile(files.instances, result.instances.map((i) => JSON.stringify({ ...i, imagePath: undefined })).join('\n') + '\n');
  return files;
}
