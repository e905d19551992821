/**
 * `data export-reference <corpus> <out>`: a split corpus in the layout that the reference's own
 * trainer reads (CAMMA-public/UltraSam: MMDetection on PyTorch DDP), so that training at the
 * paper's scale runs there on N GPUs and its checkpoint comes back through `convert-weights`.
 * The names come from the reference's configs and `datasets/tools/*.py` at REFERENCE_COMMIT;
 * docs/scale-out.md quotes the lines.
 *
 *   <out>/<DS>/images/<file>.png                            hard links to the corpus's PNGs (copies across file systems)
 *   <out>/<DS>/annotations/<split>.agnostic.<DS>__coco.json  file_name relative to <DS>/images (the configs' data_prefix)
 *   <out>/<split>.agnostic.noSmall.coco.json                every dataset merged, file_name "<DS>/images/<file>"
 *   <out>/EXPORT.json                                       what was exported, from where, for which reference commit
 *
 * - One category, `object` (id 1); each annotation keeps its structure name in `structure`.
 * - Ids: the reference draws 128-bit uuid4 integers, which JavaScript cannot hold exactly. Here the
 *   per-dataset files keep the corpus's ids, and the merged files number images and annotations
 *   from 1 on through train, val and test in turn, so that no id means two things across them: the
 *   reference's configs score val predictions against the *test* file's annotations, and overlapping
 *   ids would pair unrelated images without an error. Never 0, which COCOeval reads as "unmatched".
 * - "noSmall": the reference's merge tool, which writes these file names, drops nothing. Its one
 *   small-annotation rule (datasets/datasets/filter_anno.py) keeps, per image, the annotations of
 *   at least 0.95 × the image's largest area, and is run on MMOTU_2d's test file only; it is applied
 *   here exactly there (SMALL_ANNOTATION_RULE).
 * - Evaluation-only datasets (registry marker) get their test file only, for zero-shot evaluation
 *   (the reference's UltraSAM_full configs test on MMOTU_2d's), and stay out of all three merges:
 *   those configs pick the best checkpoint on the merged test file, so what is in it tunes the model.
 *   `allowEvaluationOnly` exports and merges them like the others.
 * - Atomic: everything is written to `<out>.partial-<pid>` and renamed into place at the end.
 */
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { CocoStreamWriter, readCoco, writeCoco, type CocoAnnotation, type CocoCategory, type CocoFile, type CocoImage } from './coco.js';
import { DONE_FILE } from './corpus.js';
import { finishedDatasets } from './merge.js';
import { findDataset } from './registry.js';
import { SPLITS, type SplitName } from './split.js';

export const REFERENCE_REPOSITORY = 'CAMMA-public/UltraSam';
/** The commit whose configs and tools the layout follows (read 2025-10-21's HEAD). */
export const REFERENCE_COMMIT = '458ec794a246460b92ea3263ca8a80c67c1ac20e';

/** Dataset folders the reference's configs name, by our corpus name; every other dataset keeps its corpus name. */
export const REFERENCE_FOLDERS: Readonly<Record<string, string>> = { 'MMOTU-2D': 'MMOTU_2d', 'BUS-BRA': 'BUSBRA' };

/** The reference's agnostic category (datasets/tools/create_agnostic_coco.py). */
export const OBJECT_CATEGORY: CocoCategory = { id: 1, name: 'object', supercategory: 'none' };

/** filter_anno.py's rule and the one file the reference runs it on. */
export const SMALL_ANNOTATION_RULE = { folder: 'MMOTU_2d', split: 'test' as SplitName, minShareOfLargest: 0.95 };

export const EXPORT_FILE = 'EXPORT.json';

export interface ExportReferenceOptions {
  /** Corpus dataset folders to export; default every finished one. */
  datasets?: string[];
  /** Export and merge evaluation-only datasets like the others. */
  allowEvaluationOnly?: boolean;
  /** Replace an existing `<out>`. */
  force?: boolean;
  /** Told after each dataset's split file is written. */
  onFile?(file: ExportedFile): void;
}

export interface ExportedFile {
  dataset: string;
  folder: string;
  split: SplitName;
  path: string;
  images: number;
  annotations: number;
  /** Annotations left out by the small-annotation rule. */
  droppedSmall: number;
  merged: boolean;
}

export interface ExportReferenceReport {
  output: string;
  reference: string;
  datasets: { name: string; folder: string; evaluationOnly: boolean; merged: boolean; splits: SplitName[] }[];
  files: ExportedFile[];
  merged: Record<SplitName, { path: string; images: number; annotations: number }>;
  imagesLinked: number;
  imagesCopied: number;
  seconds: number;
}

interface DatasetPlan {
  name: string;
  folder: string;
  evaluationOnly: boolean;
  merged: boolean;
  splits: SplitName[];
}

/** Per image, the annotations of at least `share` × the image's largest area (filter_anno.py's rule); order kept. */
export function keepLargeAnnotations<A extends { image_id: number; area: number }>(annotations: readonly A[], share: number): A[] {
  const largest = new Map<number, number>();
  for (const a of annotations) largest.set(a.image_id, Math.max(largest.get(a.image_id) ?? -Infinity, a.area));
  return annotations.filter((a) => a.area >= share * largest.get(a.image_id)!);
}

/** The reference's file names. */
export function datasetCocoName(folder: string, split: SplitName): string {
  return `${split}.agnostic.${folder}__coco.json`;
}

export function mergedCocoName(split: SplitName): string {
  return `${split}.agnostic.noSmall.coco.json`;
}

function splitFile(corpusDir: string, name: string, split: SplitName): string {
  return join(corpusDir, name, `${name}.${split}.coco.json`);
}

async function planExport(corpusDir: string, options: ExportReferenceOptions): Promise<DatasetPlan[]> {
  const names = options.datasets ?? (await finishedDatasets(corpusDir));
  if (names.length === 0) throw new Error(`no converted datasets (folders with ${DONE_FILE}) in ${corpusDir}`);
  const plans: DatasetPlan[] = [];
  const missing: string[] = [];
  const folders = new Map<string, string>();
  for (const name of names) {
    if (!existsSync(join(corpusDir, name, DONE_FILE))) throw new Error(`${join(corpusDir, name)} is not a converted dataset (no ${DONE_FILE})`);
    const module = findDataset(name);
    if (!module) throw new Error(`${name} (in ${corpusDir}) is not a registered dataset: cannot tell whether it is evaluation-only`);
    const folder = REFERENCE_FOLDERS[module.info.name] ?? name;
    const other = folders.get(folder);
    if (other !== undefined) throw new Error(`${other} and ${name} would both be exported as ${folder}/`);
    folders.set(folder, name);
    const evaluationOnly = module.info.evaluationOnly === true;
    const merged = !evaluationOnly || options.allowEvaluationOnly === true;
    const splits: SplitName[] = merged ? [...SPLITS] : ['test'];
    for (const split of splits) if (!existsSync(splitFile(corpusDir, name, split))) missing.push(splitFile(corpusDir, name, split));
    plans.push({ name, folder, evaluationOnly, merged, splits });
  }
  if (missing.length > 0) {
    throw new Error(`split files missing (run \`ultrasam data split ${corpusDir}\` first): ${missing.join(', ')}`);
  }
  return plans;
}

/** `images/<file>` of a corpus dataset file → `<file>`, refusing paths that leave the images folder. */
function imageRelativePath(image: CocoImage, source: string): string {
  const prefix = 'images/';
  const name = image.file_name;
  const inner = typeof name === 'string' && name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
  if (inner === undefined || inner === '' || isAbsolute(inner) || normalize(inner).split(sep).includes('..')) {
    throw new Error(`${source}: image ${image.id} has file_name ${JSON.stringify(name)}, expected "images/<file>" inside the dataset folder`);
  }
  return inner;
}

function checkId(value: unknown, what: string, source: string): void {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new Error(`${source}: ${what} has id ${JSON.stringify(value)}, expected a positive integer`);
  }
}

/** One corpus split file as the reference's per-dataset agnostic file (file names relative to `<DS>/images`). */
function toAgnostic(coco: CocoFile, plan: DatasetPlan, split: SplitName, source: string): { coco: CocoFile; droppedSmall: number; sources: Map<string, string> } {
  const sources = new Map<string, string>(); // exported file name → corpus image path, relative to the dataset folder
  const imageIds = new Set<number>();
  const images = coco.images.map((image) => {
    checkId(image.id, `image ${JSON.stringify(image.file_name)}`, source);
    if (imageIds.has(image.id)) throw new Error(`${source}: image id ${image.id} is used twice`);
    imageIds.add(image.id);
    const fileName = imageRelativePath(image, source);
    if (sources.has(fileName)) throw new Error(`${source}: image file ${image.file_name} is listed twice`);
    sources.set(fileName, image.file_name);
    return { ...image, file_name: fileName, dataset: plan.name };
  });
  const structureOf = new Map(coco.categories.map((c) => [c.id, c.name]));
  const annotationIds = new Set<number>();
  let annotations: CocoAnnotation[] = coco.annotations.map((annotation) => {
    checkId(annotation.id, 'an annotation', source);
    if (annotationIds.has(annotation.id)) throw new Error(`${source}: annotation id ${annotation.id} is used twice`);
    annotationIds.add(annotation.id);
    if (!imageIds.has(annotation.image_id)) throw new Error(`${source}: annotation ${annotation.id} refers to image ${annotation.image_id}, which is not in the file`);
    const structure = structureOf.get(annotation.category_id);
    if (structure === undefined) throw new Error(`${source}: annotation ${annotation.id} has category_id ${annotation.category_id}, not a category of the file`);
    return { ...annotation, category_id: OBJECT_CATEGORY.id, structure };
  });
  const info: Record<string, unknown> = {
    ...coco.info,
    description: `${plan.name} ${split}, class-agnostic, for ${REFERENCE_REPOSITORY}`,
    reference_commit: REFERENCE_COMMIT,
    corpus_dataset: plan.name,
    split,
    evaluation_only: plan.evaluationOnly,
  };
  let droppedSmall = 0;
  if (plan.folder === SMALL_ANNOTATION_RULE.folder && split === SMALL_ANNOTATION_RULE.split) {
    const kept = keepLargeAnnotations(annotations, SMALL_ANNOTATION_RULE.minShareOfLargest);
    droppedSmall = annotations.length - kept.length;
    annotations = kept;
    info.small_annotation_rule = `per image, area >= ${SMALL_ANNOTATION_RULE.minShareOfLargest} x the image's largest (datasets/datasets/filter_anno.py); ${droppedSmall} dropped`;
  }
  return { coco: { info, images, annotations, categories: [OBJECT_CATEGORY] }, droppedSmall, sources };
}

/** Hard links `from` at `to`, or copies it where a link cannot be made (another file system, no link support). */
class ImageLinker {
  linked = 0;
  copied = 0;
  private linksFail = false;

  async place(from: string, to: string): Promise<void> {
    if (!this.linksFail) {
      try {
        await link(from, to);
        this.linked++;
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new Error(`image ${from} does not exist`, { cause: error });
        if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS'].includes(code ?? '')) throw error;
        // EMLINK is per file; the others hold for the whole file system pair.
        if (code !== 'EMLINK') this.linksFail = true;
      }
    }
    try {
      await copyFile(from, to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`image ${from} does not exist`, { cause: error });
      throw error;
    }
    this.copied++;
  }
}

/** Runs `work` on every item, a few at a time (file system calls overlap well). */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Writes the reference layout of `corpusDir`'s split datasets into `outDir`. */
export async function exportReference(corpusDir: string, outDir: string, options: ExportReferenceOptions = {}): Promise<ExportReferenceReport> {
  const started = Date.now();
  if (!existsSync(corpusDir)) throw new Error(`corpus ${corpusDir} does not exist`);
  if (existsSync(outDir)) {
    if (!options.force) throw new Error(`${outDir} exists (use --force to replace it)`);
    // --force deletes the old folder: only ever an earlier export, never a folder that merely has the name.
    if (!existsSync(join(outDir, EXPORT_FILE))) throw new Error(`${outDir} exists and is not an export (no ${EXPORT_FILE}): not replacing it`);
  }
  const plans = await planExport(corpusDir, options);
  const partial = `${outDir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const linker = new ImageLinker();
  const files: ExportedFile[] = [];
  const merged = {} as ExportReferenceReport['merged'];
  const writers: CocoStreamWriter[] = [];
  let nextImageId = 1;
  let nextAnnotationId = 1;
  try {
    for (const plan of plans) {
      await mkdir(join(partial, plan.folder, 'images'), { recursive: true });
      await mkdir(join(partial, plan.folder, 'annotations'), { recursive: true });
    }
    for (const split of SPLITS) {
      const mergedPath = join(partial, mergedCocoName(split));
      const info = {
        description: `US-43d ${split}, class-agnostic, every exported dataset merged, for ${REFERENCE_REPOSITORY}`,
        reference_commit: REFERENCE_COMMIT,
        split,
        datasets: plans.filter((p) => p.merged).map((p) => p.name),
        date_created: new Date().toISOString(),
      };
      const writer = new CocoStreamWriter(mergedPath, info, [OBJECT_CATEGORY]);
      writers.push(writer);
      // Pass 1: per-dataset files, image links, and the merged file's image records.
      const idMaps = new Map<string, Map<number, number>>();
      const firstImageId = nextImageId;
      for (const plan of plans.filter((p) => p.splits.includes(split))) {
        const source = splitFile(corpusDir, plan.name, split);
        const exported = toAgnostic(await readCoco(source), plan, split, source);
        const path = join(partial, plan.folder, 'annotations', datasetCocoName(plan.folder, split));
        await writeCoco(path, exported.coco);
        await forEachLimited([...exported.sources], 8, async ([fileName, corpusName]) => {
          const target = join(partial, plan.folder, 'images', fileName);
          if (fileName.includes('/')) await mkdir(dirname(target), { recursive: true });
          await linker.place(join(corpusDir, plan.name, corpusName), target);
        });
        if (plan.merged) {
          const ids = new Map<number, number>();
          for (const image of exported.coco.images) {
            ids.set(image.id, nextImageId);
            await writer.image({ ...image, id: nextImageId++, file_name: `${plan.folder}/images/${image.file_name}` });
          }
          idMaps.set(plan.folder, ids);
        }
        const file: ExportedFile = {
          dataset: plan.name,
          folder: plan.folder,
          split,
          path: join(outDir, plan.folder, 'annotations', datasetCocoName(plan.folder, split)),
          images: exported.coco.images.length,
          annotations: exported.coco.annotations.length,
          droppedSmall: exported.droppedSmall,
          merged: plan.merged,
        };
        files.push(file);
        options.onFile?.(file);
      }
      // Pass 2: the merged file's annotations, read back from the per-dataset files just written.
      const firstAnnotationId = nextAnnotationId;
      for (const [folder, ids] of idMaps) {
        const coco = await readCoco(join(partial, folder, 'annotations', datasetCocoName(folder, split)));
        for (const annotation of coco.annotations) {
          await writer.annotation({ ...annotation, id: nextAnnotationId++, image_id: ids.get(annotation.image_id)! });
        }
      }
      await writer.close();
      merged[split] = {
        path: join(outDir, mergedCocoName(split)),
        images: nextImageId - firstImageId,
        annotations: nextAnnotationId - firstAnnotationId,
      };
    }
    const report: ExportReferenceReport = {
      output: outDir,
      reference: `${REFERENCE_REPOSITORY}@${REFERENCE_COMMIT}`,
      datasets: plans.map(({ name, folder, evaluationOnly, merged: isMerged, splits }) => ({ name, folder, evaluationOnly, merged: isMerged, splits })),
      files,
      merged,
      imagesLinked: linker.linked,
      imagesCopied: linker.copied,
      seconds: (Date.now() - started) / 1000,
    };
    const manifest = { ...report, corpus: corpusDir, small_annotation_rule: SMALL_ANNOTATION_RULE, date_created: new Date().toISOString() };
    await writeFile(join(partial, EXPORT_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
    await swapIntoPlace(partial, outDir);
    return report;
  } catch (error) {
    for (const writer of writers) await writer.abort();
    await rm(partial, { recursive: true, force: true });
    throw new Error(`export to ${outDir} failed, nothing written: ${(error as Error).message}`, { cause: error });
  }
}

/** Renames the finished partial folder to its final name, replacing an older export in one rename. */
async function swapIntoPlace(partial: string, outDir: string): Promise<void> {
  if (!existsSync(outDir)) {
    await rename(partial, outDir);
    return;
  }
  const aside = `${partial}.replaced`;
  await rename(outDir, aside);
  await rename(partial, outDir);
  await rm(aside, { recursive: true, force: true });
}
