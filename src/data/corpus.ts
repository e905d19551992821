/**
 * The corpus writer: runs one dataset's converter and writes `<out>/<name>/` — PNG images, the COCO
 * file `<name>.coco.json` and a `DONE.json` marker.
 *
 * Atomic: everything is written into `<out>/.<name>.partial-<pid>/` and renamed into place at the
 * end, so a killed or failed run never leaves a half dataset that looks complete; replacing a
 * finished copy moves it aside first, and the next run puts a copy back if a kill came between the
 * two renames (see recoverInterruptedSwap). A conversion that yields no image fails. Streaming: the
 * converter yields one sample at a time and annotations go straight to the file; only the image
 * records (a few hundred bytes each) are kept until the end.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { maskToAnnotations } from './annotate.js';
import { CocoStreamWriter, type CocoCategory, type CocoImage } from './coco.js';
import { writePng } from './raster.js';
import type { ConvertedSample, DatasetModule } from './types.js';

export const DONE_FILE = 'DONE.json';

/** Bumped when the corpus layout written here changes, so old corpora can be told apart. */
export const CORPUS_FORMAT_VERSION = 1;

/** Thrown in strict mode at the first malformed raw file; names the file and the problem. */
export class MalformedRawError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'MalformedRawError';
  }
}

export interface WriteDatasetOptions {
  /** Stop at the first malformed raw file; nothing is written. */
  strict?: boolean;
  /** Replace a finished dataset (otherwise an existing `<name>/DONE.json` is an error). */
  force?: boolean;
  /** Finish even when no image was converted (otherwise that is an error and nothing is written). */
  allowEmpty?: boolean;
  /** Told about each malformed raw file (all are also listed in DONE.json). */
  onWarning?(file: string, problem: string): void;
  /** Told after each written image. */
  onImage?(imagesWritten: number): void;
}

export interface DoneRecord {
  dataset: string;
  converterVersion: string;
  corpusFormat: number;
  images: number;
  annotations: number;
  /** Images with at least one annotation of the category, and annotations of it. */
  categories: Record<string, { images: number; annotations: number }>;
  patients: number;
  warnings: { file: string; problem: string }[];
  startedAt: string;
  finishedAt: string;
  seconds: number;
  imagesPerSecond: number;
}

/** The finished dataset's DONE.json, or undefined when there is none. */
export async function readDone(outDir: string, name: string): Promise<DoneRecord | undefined> {
  const path = join(outDir, name, DONE_FILE);
  if (!existsSync(path)) return undefined;
  return JSON.parse(await readFile(path, 'utf8')) as DoneRecord;
}

/** Keeps names portable: anything but letters, digits, '.', '-' becomes '_'. */
function safePart(value: string | number, what: string): string {
  const text = String(value)
    .trim()
    .replace(/[^A-Za-z0-9.-]+/g, '_');
  if (text === '' || text === '.' || text === '..') throw new Error(`sample ${what} "${value}" gives an empty file name part`);
  return text;
}

export function imageFileName(dataset: string, sample: Pick<ConvertedSample, 'patient' | 'index'>): string {
  const parts = [dataset];
  if (sample.patient !== undefined && sample.patient !== '') parts.push(safePart(sample.patient, 'patient'));
  parts.push(safePart(sample.index, 'index'));
  return `${parts.join('__')}.png`;
}

/** The problem with a sample's pixels or masks, or undefined when it is well-formed. */
function sampleProblem(sample: ConvertedSample, categoryIds: Map<string, number>): string | undefined {
  const { width, height, channels, data } = sample.image;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    return `image size ${width}×${height} is not positive`;
  }
  if (data.length !== width * height * channels) {
    return `image has ${data.length} values, expected ${width}×${height}×${channels}`;
  }
  for (const { category, mask } of sample.masks) {
    if (!categoryIds.has(category)) {
      // A converter bug, not a raw-data problem: no user setting should let it through.
      throw new Error(`converter yielded category "${category}", not among its structures [${[...categoryIds.keys()].join(', ')}]`);
    }
    if (mask.length !== width * height) {
      return `mask "${category}" has ${mask.length} pixels but the image is ${width}×${height} (size mismatch)`;
    }
  }
  return undefined;
}

/**
 * The temporary folders of this dataset left by runs whose process no longer exists:
 * `.<name>.partial-<pid>` (a conversion being written, complete once it holds DONE.json) and
 * `.<name>.partial-<pid>.replaced` (the older copy, moved aside while the new one is renamed in).
 */
async function staleTemporaries(outDir: string, name: string): Promise<{ entry: string; aside: boolean }[]> {
  const pattern = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.partial-(\\d+)(\\.replaced)?$`);
  const stale: { entry: string; aside: boolean }[] = [];
  for (const entry of (await readdir(outDir)).sort()) {
    const match = pattern.exec(entry);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && isAlive(pid)) continue;
    stale.push({ entry, aside: match[2] !== undefined });
  }
  return stale;
}

/**
 * Finishes what a killed run left: when `<out>/<name>` is missing because the run died between
 * moving the old copy aside and renaming the new one in, the new copy (if complete) or else the old
 * one is renamed into place; then every stale temporary folder is deleted. No order of kills loses
 * both copies. Run before anything looks at `<out>/<name>`.
 */
export async function recoverInterruptedSwap(outDir: string, name: string): Promise<void> {
  if (!existsSync(outDir)) return;
  let stale = await staleTemporaries(outDir, name);
  const finalDir = join(outDir, name);
  if (!existsSync(finalDir)) {
    const complete = stale.find((t) => !t.aside && existsSync(join(outDir, t.entry, DONE_FILE)));
    const older = stale.find((t) => t.aside);
    const restore = complete ?? older;
    if (restore) {
      await rename(join(outDir, restore.entry), finalDir);
      stale = stale.filter((t) => t !== restore);
    }
  }
  for (const { entry } of stale) await rm(join(outDir, entry), { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Converts one dataset from its raw folder into `<outDir>/<name>/`. */
export async function writeDataset(module: DatasetModule, rawDir: string, outDir: string, options: WriteDatasetOptions = {}): Promise<DoneRecord> {
  const { name } = module.info;
  const finalDir = join(outDir, name);
  if (!existsSync(rawDir)) throw new Error(`${name}: raw folder ${rawDir} does not exist`);
  await recoverInterruptedSwap(outDir, name);
  if (!options.force && existsSync(finalDir)) {
    throw new Error(
      existsSync(join(finalDir, DONE_FILE))
        ? `${name} is already converted in ${finalDir} (use --force to convert it again)`
        : `${finalDir} exists but is not a finished dataset (no ${DONE_FILE}); use --force to replace it`,
    );
  }
  const createdOutDir = !existsSync(outDir);
  await mkdir(outDir, { recursive: true });
  const partialDir = join(outDir, `.${name}.partial-${process.pid}`);
  await rm(partialDir, { recursive: true, force: true });
  await mkdir(join(partialDir, 'images'), { recursive: true });

  const started = Date.now();
  const categories: CocoCategory[] = module.info.structures.map((structure, i) => ({
    id: i + 1,
    name: structure,
    supercategory: structure,
  }));
  const categoryIds = new Map(categories.map((c) => [c.name, c.id]));
  const perCategory = Object.fromEntries(categories.map((c) => [c.name, { images: 0, annotations: 0 }]));
  const warnings: DoneRecord['warnings'] = [];
  let strictFailure: MalformedRawError | undefined;
  const warn = (file: string, problem: string) => {
    warnings.push({ file, problem });
    options.onWarning?.(file, problem);
    if (options.strict) {
      strictFailure ??= new MalformedRawError(file, problem);
      throw strictFailure;
    }
  };

  const cocoPath = join(partialDir, `${name}.coco.json`);
  const info = {
    description: name,
    url: module.info.url,
    licence: module.info.licence,
    citation: module.info.citation,
    converter_version: module.info.version ?? '1',
    corpus_format: CORPUS_FORMAT_VERSION,
    date_created: new Date(started).toISOString(),
  };
  const writer = new CocoStreamWriter(cocoPath, info, categories);
  const images: CocoImage[] = [];
  const fileNames = new Set<string>();
  const patients = new Set<string>();
  const pendingWrites = new Set<Promise<void>>();
  let writeError: Error | undefined;
  let annotationId = 0;
  try {
    for await (const sample of module.convert(rawDir, { strict: options.strict ?? false, warn })) {
      if (strictFailure) throw strictFailure; // the converter swallowed the strict error
      const problem = sampleProblem(sample, categoryIds);
      if (problem !== undefined) {
        warn(sample.sourceFile, problem);
        continue;
      }
      const fileName = imageFileName(name, sample);
      if (fileNames.has(fileName)) {
        throw new Error(`converter yielded two images named ${fileName} (the second from ${sample.sourceFile})`);
      }
      fileNames.add(fileName);
      const { width, height } = sample.image;
      const imageId = images.length + 1;
      const categoriesInImage = new Set<string>(); // a sample may hold several masks of one category
      for (const { category, mask } of sample.masks) {
        const parts = maskToAnnotations(mask, width, height);
        if (parts.length > 0 && !categoriesInImage.has(category)) {
          categoriesInImage.add(category);
          perCategory[category].images++;
        }
        for (const part of parts) {
          perCategory[category].annotations++;
          await writer.annotation({ id: ++annotationId, image_id: imageId, category_id: categoryIds.get(category)!, iscrowd: 0, ...part });
        }
      }
      const record: CocoImage = { id: imageId, file_name: `images/${fileName}`, width, height, source_file: sample.sourceFile };
      if (sample.patient !== undefined && sample.patient !== '') {
        record.patient = sample.patient;
        patients.add(sample.patient);
      }
      if (sample.image.pixelSpacingMm) record.pixel_spacing = sample.image.pixelSpacingMm;
      if (sample.labels && Object.keys(sample.labels).length > 0) record.labels = sample.labels;
      if (sample.officialSplit) record.official_split = sample.officialSplit;
      images.push(record);
      // PNG encoding runs in sharp's thread pool: overlap a few writes with the next sample's decoding.
      // A failed write is kept (not left as a rejected promise nobody awaits yet) and rethrown below.
      const write: Promise<void> = writePng(join(partialDir, 'images', fileName), sample.image)
        .catch((error: unknown) => void (writeError ??= error as Error))
        .finally(() => pendingWrites.delete(write));
      pendingWrites.add(write);
      if (pendingWrites.size >= 4) await Promise.race(pendingWrites);
      if (writeError) throw writeError;
      options.onImage?.(images.length);
    }
    if (strictFailure) throw strictFailure;
    await Promise.all(pendingWrites);
    if (writeError) throw writeError;
    if (images.length === 0 && !options.allowEmpty) {
      const first = warnings
        .slice(0, 3)
        .map((w) => `${w.file}: ${w.problem}`)
        .join('; ');
      throw new Error(
        `no image was converted from ${rawDir}` +
          (warnings.length > 0 ? ` (${warnings.length} raw file(s) skipped, e.g. ${first})` : ' (the converter found nothing in its layout)') +
          '; check the raw layout (`ultrasam data list --json`), or pass --allow-empty to record an empty dataset',
      );
    }
    for (const image of images) await writer.image(image);
    await writer.close();
  } catch (error) {
    await Promise.allSettled(pendingWrites);
    await writer.abort();
    await rm(partialDir, { recursive: true, force: true });
    if (createdOutDir) await rmdir(outDir).catch(() => {}); // only when still empty: nothing of ours stays
    if (error instanceof MalformedRawError) throw error;
    throw new Error(`${name}: conversion failed, nothing written: ${(error as Error).message}`, { cause: error });
  }

  const finished = Date.now();
  const seconds = (finished - started) / 1000;
  const done: DoneRecord = {
    dataset: name,
    converterVersion: module.info.version ?? '1',
    corpusFormat: CORPUS_FORMAT_VERSION,
    images: images.length,
    annotations: annotationId,
    categories: perCategory,
    patients: patients.size,
    warnings,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    seconds,
    imagesPerSecond: seconds > 0 ? images.length / seconds : images.length,
  };
  await writeFile(join(partialDir, DONE_FILE), `${JSON.stringify(done, null, 1)}\n`);
  await swapIntoPlace(partialDir, finalDir);
  return done;
}

/** Renames the finished partial folder to its final name, replacing an older copy. */
async function swapIntoPlace(partialDir: string, finalDir: string): Promise<void> {
  if (!existsSync(finalDir)) {
    await rename(partialDir, finalDir);
    return;
  }
  // An older copy (--force, or one without DONE.json from a foreign tool): move it aside first so
  // the new dataset appears in one rename; the old one is then deleted. A kill between the two
  // renames leaves both copies on disk, and recoverInterruptedSwap puts one back.
  const aside = `${partialDir}.replaced`;
  await rename(finalDir, aside);
  await rename(partialDir, finalDir);
  await rm(aside, { recursive: true, force: true });
}
