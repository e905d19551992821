/**
 * Checks a COCO file of the corpus: every RLE decodes to its image's size, areas and boxes match
 * the masks, no empty or duplicate annotations, ids unique JS-safe integers that reference what
 * exists, and every image file exists with the recorded size (from the PNG header only).
 */
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readCoco, type CocoFile } from './coco.js';
import { readPngSize } from './raster.js';
import { rleToBbox, stringToRuns } from './rle.js';

export type ProblemKind =
  'id' | 'duplicate-id' | 'reference' | 'image-missing' | 'image-size' | 'duplicate-file' | 'rle' | 'rle-size' | 'empty-annotation' | 'duplicate-annotation' | 'area' | 'bbox' | 'iscrowd' | 'empty';

export interface VerifyProblem {
  kind: ProblemKind;
  message: string;
}

export interface VerifyReport {
  file: string;
  images: number;
  annotations: number;
  categories: number;
  problems: VerifyProblem[];
  /** Problems beyond `maxProblems` are counted here, not listed. */
  moreProblems: number;
  ok: boolean;
}

export interface VerifyOptions {
  /** Folder that image file names are relative to; default: the COCO file's folder. */
  imagesRoot?: string;
  /** Skip the image files (checks the JSON only). */
  skipImages?: boolean;
  maxProblems?: number;
}

export class VerificationError extends Error {
  constructor(readonly report: VerifyReport) {
    const total = report.problems.length + report.moreProblems;
    const first = report.problems
      .slice(0, 5)
      .map((p) => `  ${p.kind}: ${p.message}`)
      .join('\n');
    super(`${report.file}: ${total} problem(s)\n${first}`);
    this.name = 'VerificationError';
  }
}

/** Throws a VerificationError listing the first problems when the report has any. */
export function assertVerified(report: VerifyReport): void {
  if (!report.ok) throw new VerificationError(report);
}

/** Checks an in-memory COCO file's JSON content (no file access). */
export function verifyCocoContent(coco: CocoFile, file: string, maxProblems = 1000): VerifyReport {
  const report: VerifyReport = {
    file,
    images: coco.images.length,
    annotations: coco.annotations.length,
    categories: coco.categories.length,
    problems: [],
    moreProblems: 0,
    ok: true,
  };
  const problem = (kind: ProblemKind, message: string) => {
    report.ok = false;
    if (report.problems.length < maxProblems) report.problems.push({ kind, message });
    else report.moreProblems++;
  };

  // A dataset or merged corpus without images is a failed conversion, as an empty folder is; only a
  // split file (info.split train, val or test) may be empty, e.g. val with a validation share of 0.
  const split = coco.info?.split;
  if (coco.images.length === 0 && (split === undefined || split === 'all')) {
    problem('empty', 'holds no images');
  }
  const categoryIds = new Set<number>();
  for (const category of coco.categories) {
    if (!Number.isSafeInteger(category.id)) problem('id', `category "${category.name}" has id ${JSON.stringify(category.id)}, not a safe integer`);
    if (categoryIds.has(category.id)) problem('duplicate-id', `category id ${category.id} is used twice`);
    categoryIds.add(category.id);
  }
  const images = new Map<number, { width: number; height: number; file_name: string }>();
  const fileNames = new Set<string>();
  for (const image of coco.images) {
    if (!Number.isSafeInteger(image.id)) problem('id', `image ${image.file_name} has id ${JSON.stringify(image.id)}, not a safe integer`);
    if (images.has(image.id)) problem('duplicate-id', `image id ${image.id} is used twice (${image.file_name})`);
    if (fileNames.has(image.file_name)) problem('duplicate-file', `image file ${image.file_name} is listed twice`);
    if (!(Number.isInteger(image.width) && image.width > 0 && Number.isInteger(image.height) && image.height > 0)) {
      problem('image-size', `image ${image.id} (${image.file_name}) has size ${image.width}×${image.height}`);
    }
    images.set(image.id, image);
    fileNames.add(image.file_name);
  }

  const annotationIds = new Set<number>();
  const seen = new Set<string>(); // image/category/counts of each annotation: duplicates
  for (const annotation of coco.annotations) {
    const where = `annotation ${annotation.id}`;
    if (!Number.isSafeInteger(annotation.id)) problem('id', `${where}: id is not a safe integer`);
    if (annotationIds.has(annotation.id)) problem('duplicate-id', `annotation id ${annotation.id} is used twice`);
    annotationIds.add(annotation.id);
    const image = images.get(annotation.image_id);
    if (!image) problem('reference', `${where}: image_id ${annotation.image_id} is not an image`);
    if (!categoryIds.has(annotation.category_id)) problem('reference', `${where}: category_id ${annotation.category_id} is not a category`);
    if (annotation.iscrowd !== 0) problem('iscrowd', `${where}: iscrowd is ${annotation.iscrowd}, expected 0`);
    const rle = annotation.segmentation;
    if (!rle || typeof rle.counts !== 'string' || !Array.isArray(rle.size) || rle.size.length !== 2) {
      problem('rle', `${where}: segmentation is not a compressed RLE {size, counts}`);
      continue;
    }
    const [height, width] = rle.size;
    if (image && (height !== image.height || width !== image.width)) {
      problem('rle-size', `${where}: RLE size [${height}, ${width}] but image ${image.file_name} is ${image.width}×${image.height}`);
    }
    let runs: number[];
    try {
      runs = stringToRuns(rle.counts);
    } catch (error) {
      problem('rle', `${where}: ${(error as Error).message}`);
      continue;
    }
    const covered = runs.reduce((sum, run) => sum + run, 0);
    if (covered !== height * width) {
      problem('rle', `${where}: runs cover ${covered} pixels, not ${height}×${width}`);
      continue;
    }
    if (runs.slice(1).some((run) => run === 0)) problem('rle', `${where}: RLE has an empty run after the first (not canonical)`);
    let area = 0;
    for (let i = 1; i < runs.length; i += 2) area += runs[i];
    if (area === 0) problem('empty-annotation', `${where} (image ${annotation.image_id}) has an empty mask`);
    if (annotation.area !== area) problem('area', `${where}: area ${annotation.area} but the mask has ${area} pixels`);
    const bbox = rleToBbox(rle);
    if (!Array.isArray(annotation.bbox) || annotation.bbox.length !== 4 || annotation.bbox.some((v, i) => Math.abs(v - bbox[i]) > 1e-6)) {
      problem('bbox', `${where}: bbox ${JSON.stringify(annotation.bbox)} but the mask's box is ${JSON.stringify(bbox)}`);
    }
    const key = `${annotation.image_id}/${annotation.category_id}/${rle.counts}`;
    if (seen.has(key)) problem('duplicate-annotation', `${where} repeats another annotation of image ${annotation.image_id}, category ${annotation.category_id}`);
    seen.add(key);
  }
  return report;
}

/** Checks a COCO file and (unless skipped) its image files. */
export async function verifyCoco(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const coco = await readCoco(path);
  const maxProblems = options.maxProblems ?? 1000;
  const report = verifyCocoContent(coco, path, maxProblems);
  if (options.skipImages) return report;
  const root = options.imagesRoot ?? dirname(path);
  const problem = (kind: ProblemKind, message: string) => {
    report.ok = false;
    if (report.problems.length < maxProblems) report.problems.push({ kind, message });
    else report.moreProblems++;
  };
  // Header reads are small: a few in flight at once keeps a large corpus quick on any disk.
  const queue = [...coco.images];
  const worker = async () => {
    for (let image = queue.pop(); image; image = queue.pop()) {
      const file = join(root, image.file_name);
      if (!existsSync(file)) {
        problem('image-missing', `image ${image.id}: ${file} does not exist`);
        continue;
      }
      try {
        const size = await readPngSize(file);
        if (size.width !== image.width || size.height !== image.height) {
          problem('image-size', `image ${image.id}: ${file} is ${size.width}×${size.height}, recorded ${image.width}×${image.height}`);
        }
      } catch (error) {
        problem('image-size', `image ${image.id}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return report;
}

/**
 * The COCO files a path stands for: the file itself; a dataset folder's `<name>.coco.json` and its
 * split files; or, for a corpus root, every dataset folder's files and the merged files at the root.
 */
export async function cocoFilesAt(path: string): Promise<string[]> {
  if (!statSync(path).isDirectory()) return [path];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const here = entries.filter((e) => e.isFile() && e.name.endsWith('.coco.json') && !e.name.includes('.partial-')).map((e) => join(path, e.name));
  const inDatasets: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory() && !entry.name.startsWith('.') && existsSync(join(path, entry.name, 'DONE.json'))) {
      inDatasets.push(...(await cocoFilesAt(join(path, entry.name))));
    }
  }
  const files = [...here, ...inDatasets];
  if (files.length === 0) throw new Error(`${path} holds no .coco.json file and no converted dataset`);
  return files;
}

/** Verifies every COCO file at `path` (see cocoFilesAt). */
export async function verifyPath(path: string, options: VerifyOptions = {}): Promise<VerifyReport[]> {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  const reports: VerifyReport[] = [];
  for (const file of await cocoFilesAt(path)) reports.push(await verifyCoco(file, options));
  return reports;
}
