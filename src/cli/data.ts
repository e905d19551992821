/** `ultrasam data ...`: the US-43d data room on the command line. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkOutputPaths } from './outputs.js';
import { decimal } from './parse.js';
import { buildCorpus, findRawDatasets } from '../data/build.js';
import { DONE_FILE, writeDataset } from '../data/corpus.js';
import { exportReference, REFERENCE_COMMIT, REFERENCE_REPOSITORY } from '../data/export_reference.js';
import { finishedDatasets, mergeCorpus } from '../data/merge.js';
import { drawPreview } from '../data/preview.js';
import { getDataset, listDatasets } from '../data/registry.js';
import { splitDataset, type SplitName } from '../data/split.js';
import { compositionTable, corpusStats, drawAreaHistogram, drawComposition, structureTable } from '../data/stats.js';
import { datasetTaxonomy } from '../data/structures.js';
import { verifyPath } from '../data/verify.js';

function integer(name: string) {
  return (value: string): number => {
    const n = decimal(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

function fractions(value: string): Record<SplitName, number> {
  const parts = value.split(',').map(decimal);
  if (parts.length !== 3 || parts.some((p) => !(p >= 0))) throw new Error(`--fractions must be three numbers train,val,test; got "${value}"`);
  return { train: parts[0], val: parts[1], test: parts[2] };
}

/** The registry's evaluation-only datasets, for the help texts. */
function evaluationOnlyNames(): string {
  return listDatasets()
    .filter((m) => m.info.evaluationOnly)
    .map((m) => m.info.name)
    .join(', ');
}

interface MergeFlags {
  mode: string;
  split?: string;
  datasets?: string[];
  excludeStructure?: string[];
  onlyStructure?: string[];
  allowEvaluationOnly?: boolean;
}

export function registerDataCommands(program: Command): Command {
  const data = program.command('data').description('US-43d: convert, split, merge and check the public ultrasound datasets');

  data
    .command('list')
    .description('the registered datasets, each category with its canonical structure (category → structure where they differ)')
    .option('--json', 'full registry entries as JSON, each with its taxonomy: { anatomy, structures: { category: canonical structure } }')
    .action((options: { json?: boolean }) => {
      const modules = listDatasets();
      if (options.json) {
        console.log(
          JSON.stringify(
            modules.map((m) => ({ ...m.info, taxonomy: datasetTaxonomy(m.info.name) ?? null })),
            null,
            2,
          ),
        );
        return;
      }
      for (const { info } of modules) {
        const flag = info.evaluationOnly ? ' [evaluation only]' : '';
        const taxonomy = datasetTaxonomy(info.name);
        const structures = info.structures.map((c) => {
          const canonical = taxonomy?.structures[c];
          return canonical === undefined ? `${c} → (unmapped)` : canonical === c ? c : `${c} → ${canonical}`;
        });
        console.log(`${info.name.padEnd(20)} ${taxonomy?.anatomy ?? info.anatomy}: ${structures.join(', ')}${flag}`);
        console.log(`${''.padEnd(20)} ${info.anatomy}; licence: ${info.licence}; ${info.url}`);
      }
    });

  data
    .command('convert <name> <raw-dir> <out-dir>')
    .description('convert one dataset into <out-dir>/<name>/ (atomic; DONE.json when finished)')
    .option('--strict', 'stop at the first malformed raw file; nothing is written')
    .option('--force', 'replace an existing conversion')
    .option('--allow-empty', 'record the dataset even when no image converts (otherwise an error, and nothing is written)')
    .action(async (name: string, rawDir: string, outDir: string, options: { strict?: boolean; force?: boolean; allowEmpty?: boolean }) => {
      const module = getDataset(name);
      checkOutputPaths(
        [
          { flag: '<out-dir>', path: outDir, kind: 'folder' },
          { flag: '<out-dir>/<name>', path: join(outDir, module.info.name), kind: 'folder', replaced: !!options.force },
        ],
        [{ flag: '<raw-dir>', path: rawDir }],
      );
      const done = await writeDataset(module, resolve(rawDir), resolve(outDir), {
        strict: options.strict,
        force: options.force,
        allowEmpty: options.allowEmpty,
        onWarning: (file, problem) => console.error(`warning: ${file}: ${problem}`),
      });
      console.log(
        `${done.dataset}: ${done.images} images, ${done.annotations} annotations, ${done.warnings.length} warnings, ` +
          `${done.seconds.toFixed(1)} s (${done.imagesPerSecond.toFixed(1)} images/s) → ${join(resolve(outDir), done.dataset)}`,
      );
    });

  data
    .command('build <raw-root> <out-dir>')
    .description('convert every registered dataset found under <raw-root> (by folder name), in parallel')
    .option('--workers <n>', 'worker processes (default min(2, CPUs))', integer('--workers'))
    .option('--force', 'convert again datasets that are already finished')
    .option('--strict', 'stop a dataset at its first malformed raw file')
    .option('--allow-empty', 'record a dataset that yields no image instead of failing it')
    .option('--only <names>', 'only these datasets (comma-separated, repeatable)', collect)
    .option('--allow-evaluation-only', `convert evaluation-only datasets too (${evaluationOnlyNames()}; refused otherwise)`)
    .action(async (rawRoot: string, outDir: string, options: { workers?: number; force?: boolean; strict?: boolean; allowEmpty?: boolean; only?: string[]; allowEvaluationOnly?: boolean }) => {
      const datasets = findRawDatasets(resolve(rawRoot)).found;
      checkOutputPaths(
        [{ flag: '<out-dir>', path: outDir, kind: 'folder' }, ...datasets.map((d) => ({ flag: '<out-dir>/<name>', path: join(outDir, d.name), kind: 'folder' as const, replaced: !!options.force }))],
        datasets.map((d) => ({ flag: '<raw-root>', path: d.rawDir })),
      );
      const report = await buildCorpus(resolve(rawRoot), resolve(outDir), {
        ...options,
        progressBar: true,
        onEvent: (event) => {
          if (event.type === 'warning') console.error(`warning: ${event.dataset}: ${event.file}: ${event.problem}`);
          else if (event.type === 'failed') console.error(`failed: ${event.dataset}: ${event.message}`);
          else if (event.type === 'skipped') console.error(`skipped: ${event.dataset} (already converted; --force to redo)`);
          else if (event.type === 'done' && !process.stderr.isTTY) console.error(`done: ${event.dataset}: ${event.done.images} images`);
        },
      });
      if (report.unknownFolders.length > 0) console.error(`not a registered dataset: ${report.unknownFolders.join(', ')}`);
      console.log(
        `converted ${report.converted.length}, skipped ${report.skipped.length}, failed ${report.failed.length}; ` +
          `${report.images} images in ${report.seconds.toFixed(1)} s = ${report.imagesPerSecond.toFixed(1)} images/s with ${report.workers} workers`,
      );
      if (report.failed.length > 0) process.exitCode = 1;
    });

  data
    .command('split <corpus-dir> [datasets...]')
    .description('seeded patient-level train/val/test split of converted datasets (default: all)')
    .option('--seed <n>', 'random seed', integer('--seed'), 0)
    .option('--fractions <train,val,test>', 'image shares', fractions)
    .action(async (corpusDir: string, datasets: string[], options: { seed: number; fractions?: Record<SplitName, number> }) => {
      const names = datasets.length > 0 ? datasets : await finishedDatasets(resolve(corpusDir));
      for (const name of names) {
        const report = await splitDataset(join(resolve(corpusDir), name), name, options);
        const c = report.counts;
        console.log(`${name}: train ${c.train.images} / val ${c.val.images} / test ${c.test.images} images ` + `(grouped by ${report.groupedBy}${report.officialTest ? ', official test kept' : ''})`);
        for (const note of report.notes) console.log(`  note: ${note}`);
      }
    });

  data
    .command('merge <corpus-dir> <output>')
    .description('merge converted datasets into one COCO file (agnostic: one category "object"; structure: one per canonical structure, see `data list`)')
    .option('--mode <mode>', 'agnostic | structure', 'agnostic')
    .option('--split <split>', 'merge the train, val or test files instead of the whole datasets')
    .option('--datasets <names>', 'only these dataset folders (comma-separated)', collect)
    .option('--exclude-structure <names>', 'drop every image showing these canonical structures (repeatable)', collect)
    .option('--only-structure <names>', 'keep only images showing these canonical structures, with only their annotations', collect)
    .option('--allow-evaluation-only', 'merge evaluation-only datasets too, for an evaluation set (refused otherwise)')
    .action(async (corpusDir: string, output: string, options: MergeFlags) => {
      if (options.mode !== 'agnostic' && options.mode !== 'structure') throw new Error(`--mode must be agnostic or structure, got "${options.mode}"`);
      if (options.split && !['train', 'val', 'test'].includes(options.split)) throw new Error(`--split must be train, val or test, got "${options.split}"`);
      const sources = (await finishedDatasets(resolve(corpusDir))).flatMap((name) =>
        [`${name}.coco.json`, `${name}.train.coco.json`, `${name}.val.coco.json`, `${name}.test.coco.json`].map((file) => ({ flag: '<corpus-dir>', path: join(corpusDir, name, file) })),
      );
      checkOutputPaths([{ flag: '<output>', path: output, kind: 'file' }], sources);
      const report = await mergeCorpus(resolve(corpusDir), resolve(output), {
        mode: options.mode,
        split: options.split as SplitName | undefined,
        datasets: options.datasets,
        excludeStructures: options.excludeStructure,
        onlyStructures: options.onlyStructure,
        allowEvaluationOnly: options.allowEvaluationOnly,
      });
      console.log(`${report.output}: ${report.images} images, ${report.annotations} annotations, categories: ${report.categories.join(', ')}`);
    });

  data
    .command('export-reference <corpus-dir> <out-dir>')
    .description(
      `write split datasets in the layout the reference trainer's configs read (${REFERENCE_REPOSITORY} @ ${REFERENCE_COMMIT.slice(0, 7)}), ` + 'for multi-GPU training there (docs/scale-out.md)',
    )
    .option('--datasets <names>', 'only these dataset folders (comma-separated, repeatable)', collect)
    .option('--allow-evaluation-only', 'export and merge evaluation-only datasets like the others (default: their test file only, unmerged)')
    .option('--force', 'replace an earlier export at <out-dir>')
    .addHelpText(
      'after',
      `\nTargets ${REFERENCE_REPOSITORY} at commit ${REFERENCE_COMMIT}:\n` +
        '  configs/UltraSAM/UltraSAM_full/*.py read <DS>/images/, <DS>/annotations/{train,val,test}.agnostic.<DS>__coco.json\n' +
        '  and {train,val,test}.agnostic.noSmall.coco.json under their data_root (./UltraSAM_DATA/UltraSAM/).\n' +
        'Images are hard links to the corpus where possible, else copies. Run `data split` first.',
    )
    .action(async (corpusDir: string, outDir: string, options: { datasets?: string[]; allowEvaluationOnly?: boolean; force?: boolean }) => {
      const report = await exportReference(resolve(corpusDir), resolve(outDir), {
        ...options,
        onFile: (file) =>
          console.error(
            `${file.folder}/annotations ${file.split}: ${file.images} images, ${file.annotations} annotations` +
              `${file.droppedSmall ? ` (${file.droppedSmall} small dropped)` : ''}${file.merged ? '' : ' (evaluation only: not merged)'}`,
          ),
      });
      for (const split of ['train', 'val', 'test'] as const) {
        const m = report.merged[split];
        console.log(`${m.path}: ${m.images} images, ${m.annotations} annotations`);
      }
      const unmerged = report.datasets.filter((d) => !d.merged).map((d) => d.folder);
      if (unmerged.length > 0) console.log(`evaluation only (test file, not merged): ${unmerged.join(', ')}`);
      console.log(
        `${report.datasets.length} datasets, ${report.files.length} dataset files; images ${report.imagesLinked} linked, ` +
          `${report.imagesCopied} copied; ${report.seconds.toFixed(1)} s → ${report.output}`,
      );
    });

  data
    .command('stats <corpus-dir>')
    .description('the US-43d composition of a built corpus (datasets, anatomies, canonical structures, images, instances) as tables and a PNG, ' + 'and a mask-area histogram PNG')
    .option('--json', 'print JSON (per dataset, category and structure) instead of the tables')
    .option('--plot <png>', 'where to draw the composition', 'composition.png')
    .option('--histogram <png>', 'where to draw the area histogram', 'area-histogram.png')
    .action(async (corpusDir: string, options: { json?: boolean; plot: string; histogram: string }) => {
      checkOutputPaths([
        { flag: '--plot', path: options.plot, kind: 'file' },
        { flag: '--histogram', path: options.histogram, kind: 'file' },
      ]);
      const stats = await corpusStats(resolve(corpusDir));
      if (stats.datasets.length === 0) throw new Error(`no converted datasets (folders with ${DONE_FILE}) in ${resolve(corpusDir)}`);
      await drawComposition(stats, resolve(options.plot));
      await drawAreaHistogram(stats.areaHistogram, resolve(options.histogram));
      console.log(options.json ? JSON.stringify(stats, null, 2) : `${compositionTable(stats)}\n\n${structureTable(stats)}`);
      console.error(`composition: ${resolve(options.plot)}\narea histogram: ${resolve(options.histogram)}`);
    });

  data
    .command('verify <path>')
    .description('check a COCO file, a dataset folder or a whole corpus; exit code 1 on any problem')
    .option('--images-root <dir>', "folder the image file names are relative to (default: the COCO file's)")
    .option('--skip-images', 'check the JSON only')
    .action(async (path: string, options: { imagesRoot?: string; skipImages?: boolean }) => {
      const reports = await verifyPath(resolve(path), { imagesRoot: options.imagesRoot && resolve(options.imagesRoot), skipImages: options.skipImages });
      for (const report of reports) {
        const total = report.problems.length + report.moreProblems;
        console.log(`${report.ok ? 'ok' : 'FAIL'} ${report.file}: ${report.images} images, ${report.annotations} annotations${total ? `, ${total} problems` : ''}`);
        for (const problem of report.problems.slice(0, 20)) console.log(`  ${problem.kind}: ${problem.message}`);
        if (total > 20) console.log(`  ... ${total - 20} more`);
      }
      if (reports.some((r) => !r.ok)) process.exitCode = 1;
    });

  data
    .command('preview <coco-file> <output-png>')
    .description('contact sheet of seeded random images with their masks drawn')
    .option('--count <n>', 'images', integer('--count'), 16)
    .option('--seed <n>', 'random seed', integer('--seed'), 0)
    .option('--tile <px>', 'tile size', integer('--tile'), 256)
    .option('--images-root <dir>', 'folder the image file names are relative to')
    .action(async (cocoFile: string, outputPng: string, options: { count: number; seed: number; tile: number; imagesRoot?: string }) => {
      checkOutputPaths([{ flag: '<output-png>', path: outputPng, kind: 'file' }], [{ flag: '<coco-file>', path: cocoFile }]);
      const shown = await drawPreview(resolve(cocoFile), resolve(outputPng), { ...options, imagesRoot: options.imagesRoot && resolve(options.imagesRoot) });
      console.log(`${resolve(outputPng)}: ${shown.length} images`);
    });

  return data;
}
