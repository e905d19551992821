/**
 * Merges converted datasets into one COCO file at the corpus root:
 * - `agnostic`: one category, `object`;
 * - `structure`: one category per canonical structure (structures.ts), shared across datasets
 *   (BUID's `breast_nodule`, S1's `malignant_tumour` and BUS-UCLM's `benign_breast_lesion` are all
 *   `breast_lesion`), ids in alphabetical order of the names.
 * Every annotation keeps its canonical structure in `structure` and its dataset's own category name
 * in `category`. A dataset folder or category the taxonomy does not map stops the merge, naming it.
 * Image paths get the dataset folder in front (`DDTI/images/DDTI__12__1.png`, relative to the corpus
 * root); image and annotation ids are renumbered 1..N across the merge.
 *
 * Unseen-structure experiments (canonical names): `excludeStructures` drops every image that shows
 * one of the structures (not just its annotations, so that the structure is never seen as
 * unlabelled background), and `onlyStructures` keeps only images showing one of them, with only
 * their annotations.
 *
 * Streaming: one dataset file is in memory at a time; it is read twice (images, then annotations).
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CocoStreamWriter, readCoco, type CocoCategory, type CocoFile } from './coco.js';
import { DONE_FILE } from './corpus.js';
import { ALLOW_EVALUATION_ONLY_FLAG, evaluationOnlyAmong, evaluationOnlyRefusal } from './registry.js';
import type { SplitName } from './split.js';
import { checkStructureNames, requireCanonicalStructure, type StructureName } from './structures.js';

export interface MergeOptions {
  /** Dataset folder names under the corpus root; default every folder with a DONE.json. */
  datasets?: string[];
  mode: 'agnostic' | 'structure';
  /** Merge `<name>.<split>.coco.json` files (made by `data split`); default the whole `<name>.coco.json`. */
  split?: SplitName;
  /** Canonical structure names (structures.ts). */
  excludeStructures?: string[];
  /** Canonical structure names (structures.ts). */
  onlyStructures?: string[];
  /** Merge evaluation-only datasets too (refused otherwise): for an evaluation set, never a training one. */
  allowEvaluationOnly?: boolean;
}

export interface MergeReport {
  output: string;
  mode: MergeOptions['mode'];
  datasets: { name: string; images: number; annotations: number; droppedImages: number }[];
  images: number;
  annotations: number;
  /** `object`, or the canonical structures present, in category id order. */
  categories: string[];
}

/** Dataset folders under the corpus root that hold a finished conversion. */
export async function finishedDatasets(corpusDir: string): Promise<string[]> {
  const entries = await readdir(corpusDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(join(corpusDir, e.name, DONE_FILE)))
    .map((e) => e.name)
    .sort();
}

function cocoPathOf(corpusDir: string, name: string, split?: SplitName): string {
  const path = join(corpusDir, name, split ? `${name}.${split}.coco.json` : `${name}.coco.json`);
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist${split ? ' (run `data split` first)' : ''}`);
  }
  return path;
}

/** The canonical structure of each category id of one dataset file (an error for one not mapped). */
function structuresOf(coco: CocoFile, dataset: string, path: string): Map<number, StructureName> {
  return new Map(coco.categories.map((c) => [c.id, requireCanonicalStructure(dataset, c.name, path)]));
}

/** Image ids of one dataset file that the structure filters keep. */
function keptImageIds(coco: CocoFile, structureOf: Map<number, StructureName>, options: MergeOptions): Set<number> {
  const exclude = new Set<string>(options.excludeStructures ?? []);
  const only = options.onlyStructures ? new Set<string>(options.onlyStructures) : undefined;
  const excluded = new Set<number>();
  const showsWanted = new Set<number>();
  for (const annotation of coco.annotations) {
    const structure = structureOf.get(annotation.category_id) ?? '';
    if (exclude.has(structure)) excluded.add(annotation.image_id);
    if (only?.has(structure)) showsWanted.add(annotation.image_id);
  }
  return new Set(coco.images.filter((i) => !excluded.has(i.id) && (!only || showsWanted.has(i.id))).map((i) => i.id));
}

/** Merges datasets of `corpusDir` into `output` (a COCO file, normally in corpusDir). */
export async function mergeCorpus(corpusDir: string, output: string, options: MergeOptions): Promise<MergeReport> {
  const names = options.datasets ?? (await finishedDatasets(corpusDir));
  if (names.length === 0) throw new Error(`no converted datasets (folders with ${DONE_FILE}) in ${corpusDir}`);
  const evaluationOnly = evaluationOnlyAmong(names);
  if (evaluationOnly.length > 0 && !options.allowEvaluationOnly) {
    throw evaluationOnlyRefusal(evaluationOnly, 'merge', `pass ${ALLOW_EVALUATION_ONLY_FLAG} to merge them anyway (an evaluation set), or --datasets to pick the others`);
  }
  checkStructureNames(options.excludeStructures ?? [], '--exclude-structure');
  checkStructureNames(options.onlyStructures ?? [], '--only-structure');
  const only = options.onlyStructures ? new Set<string>(options.onlyStructures) : undefined;
  const excluded = new Set<string>(options.excludeStructures ?? []);
  const info = {
    description: `US-43d merged corpus (${options.mode})`,
    datasets: names,
    split: options.split ?? 'all',
    structures: "canonical (ultrasam src/data/structures.ts); each annotation: structure (canonical), category (the dataset's own name)",
    exclude_structures: options.excludeStructures ?? [],
    only_structures: options.onlyStructures ?? [],
    date_created: new Date().toISOString(),
  };
  // Written under a temporary name and renamed at the end: an interrupted merge leaves no file that looks whole.
  const partial = `${output}.partial-${process.pid}`;
  const writer = new CocoStreamWriter(partial, info);
  const report: MergeReport = { output, mode: options.mode, datasets: [], images: 0, annotations: 0, categories: [] };
  const idMaps = new Map<string, Map<number, number>>();
  const structures = new Set<string>();
  try {
    // Pass 1: images (and the structure names, needed for category ids in pass 2).
    let nextImageId = 1;
    for (const name of names) {
      const path = cocoPathOf(corpusDir, name, options.split);
      const coco = await readCoco(path);
      const structureOf = structuresOf(coco, name, path);
      const kept = keptImageIds(coco, structureOf, options);
      const ids = new Map<number, number>();
      for (const image of coco.images) {
        if (!kept.has(image.id)) continue;
        ids.set(image.id, nextImageId);
        await writer.image({ ...image, id: nextImageId++, file_name: `${name}/${image.file_name}`, dataset: name });
      }
      idMaps.set(name, ids);
      for (const structure of structureOf.values()) {
        if ((!only || only.has(structure)) && !excluded.has(structure)) structures.add(structure);
      }
      report.datasets.push({ name, images: ids.size, annotations: 0, droppedImages: coco.images.length - ids.size });
    }
    const sortedStructures = [...structures].sort();
    const categoryIdOf = new Map(sortedStructures.map((name, i) => [name, i + 1]));
    // Pass 2: annotations.
    let nextAnnotationId = 1;
    for (const entry of report.datasets) {
      const path = cocoPathOf(corpusDir, entry.name, options.split);
      const coco = await readCoco(path);
      const nameOf = new Map(coco.categories.map((c) => [c.id, c.name]));
      const structureOf = structuresOf(coco, entry.name, path);
      const ids = idMaps.get(entry.name)!;
      for (const annotation of coco.annotations) {
        const imageId = ids.get(annotation.image_id);
        const structure = structureOf.get(annotation.category_id);
        if (imageId === undefined || structure === undefined || (only && !only.has(structure))) continue;
        const categoryId = options.mode === 'agnostic' ? 1 : categoryIdOf.get(structure)!;
        const category = nameOf.get(annotation.category_id)!;
        await writer.annotation({ ...annotation, id: nextAnnotationId++, image_id: imageId, category_id: categoryId, structure, category });
        entry.annotations++;
      }
    }
    const categories: CocoCategory[] =
      options.mode === 'agnostic' ? [{ id: 1, name: 'object', supercategory: 'object' }] : sortedStructures.map((name, i) => ({ id: i + 1, name, supercategory: name }));
    await writer.close(categories);
    await rename(partial, output);
    report.images = nextImageId - 1;
    report.annotations = nextAnnotationId - 1;
    report.categories = categories.map((c) => c.name);
    return report;
  } catch (error) {
    await writer.abort();
    await rm(partial, { force: true });
    throw error;
  }
}
