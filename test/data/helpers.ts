/** Shared pieces of the data-room tests: real data, synthetic samples and dataset modules. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCoco, type CocoFile } from '../../src/data/coco.js';
import { writeDataset, type DoneRecord } from '../../src/data/corpus.js';
import { getDataset } from '../../src/data/registry.js';
import { splitDataset, type SplitReport } from '../../src/data/split.js';
import type { ConvertedSample, ConvertOptions, DatasetModule } from '../../src/data/types.js';
import { verifyPath } from '../../src/data/verify.js';
import { tempDir } from '../helpers/temp_dir.js';
import { sharedPath, skipWithoutShared } from '../helpers/shared.js';

/** A W×H grey image with a gradient, and a mask with rectangles [x, y, w, h] set to 1. */
export function syntheticSample(width: number, height: number, rects: Record<string, [number, number, number, number][]>, extra: Partial<ConvertedSample> = {}): ConvertedSample {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
  const masks = Object.entries(rects).map(([category, boxes]) => {
    const mask = new Uint8Array(width * height);
    for (const [x0, y0, w, h] of boxes) for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) mask[y * width + x] = 1;
    return { category, mask };
  });
  return { image: { data, width, height, channels: 1 }, index: 0, sourceFile: 'raw.png', masks, ...extra };
}

/** A dataset module whose converter runs `produce` (which may warn or throw). */
export function fakeDataset(name: string, structures: string[], produce: (options: ConvertOptions) => AsyncIterable<ConvertedSample>): DatasetModule {
  return {
    info: {
      name,
      anatomy: 'test',
      structures,
      modality: 'synthetic',
      url: 'https://example.invalid',
      licence: 'test',
      citation: 'test',
      layout: 'none',
      imageLabels: [],
    },
    convert: (_rawDir, options) => produce(options),
  };
}

/**
 * A real raw copy that is not in ../shared (fetched by the user): the folder named by the
 * environment variable, or undefined (the test then skips) when it is unset.
 */
export function rawDataFromEnv(variable: string): string | undefined {
  const path = process.env[variable];
  if (path === undefined || path === '') return undefined;
  if (!existsSync(path)) throw new Error(`${variable}=${path}: no such folder`);
  return path;
}

type RealTest = { skip(message: string): void; diagnostic(message: string): void };

/**
 * Converts a shared real dataset into a temp corpus, verifies it (files included) and splits it;
 * hands the COCO file and the split to `check`. Skips when the shared folder is absent.
 */
export async function convertSharedDataset(t: RealTest, folder: string, datasetName: string, check: (result: SharedConversion) => Promise<void>): Promise<void> {
  const absent = skipWithoutShared(`the real ${datasetName} files`, `data/ultrasound/${folder}/`);
  await convertRealDataset(t, absent ? undefined : sharedPath(`data/ultrasound/${folder}/`), absent || '', datasetName, check);
}

/** Like convertSharedDataset, for a raw copy named by an environment variable (rawDataFromEnv). */
export async function convertEnvDataset(t: RealTest, variable: string, datasetName: string, check: (result: SharedConversion) => Promise<void>): Promise<void> {
  await convertRealDataset(t, rawDataFromEnv(variable), `${variable} is not set (the folder of the real ${datasetName} files)`, datasetName, check);
}

async function convertRealDataset(t: RealTest, raw: string | undefined, whyAbsent: string, datasetName: string, check: (result: SharedConversion) => Promise<void>): Promise<void> {
  if (!raw) {
    t.skip(whyAbsent);
    return;
  }
  const { dir, cleanup } = tempDir(`real-${datasetName}`);
  try {
    const module = getDataset(datasetName);
    const done = await writeDataset(module, raw, dir);
    t.diagnostic(`${module.info.name}: ${done.images} images in ${done.seconds.toFixed(1)} s (${done.imagesPerSecond.toFixed(1)} images/s)`);
    const datasetDir = join(dir, module.info.name);
    const split = await splitDataset(datasetDir, module.info.name, { seed: 0 });
    for (const report of await verifyPath(datasetDir)) {
      if (!report.ok)
        throw new Error(
          `${report.file}: ${report.problems
            .slice(0, 3)
            .map((p) => p.message)
            .join('; ')}`,
        );
    }
    const coco = await readCoco(join(datasetDir, `${module.info.name}.coco.json`));
    const parts = {
      train: await readCoco(join(datasetDir, `${module.info.name}.train.coco.json`)),
      val: await readCoco(join(datasetDir, `${module.info.name}.val.coco.json`)),
      test: await readCoco(join(datasetDir, `${module.info.name}.test.coco.json`)),
    };
    await check({ raw, datasetDir, done, coco, split, parts });
  } finally {
    cleanup();
  }
}

export interface SharedConversion {
  raw: string;
  datasetDir: string;
  done: DoneRecord;
  coco: CocoFile;
  split: SplitReport;
  parts: Record<'train' | 'val' | 'test', CocoFile>;
}

/** Annotations per image id, and the category name of each annotation. */
export function annotationsByImage(coco: CocoFile): Map<number, { category: string; area: number }[]> {
  const nameOf = new Map(coco.categories.map((c) => [c.id, c.name]));
  const result = new Map<number, { category: string; area: number }[]>(coco.images.map((i) => [i.id, []]));
  for (const a of coco.annotations) result.get(a.image_id)!.push({ category: nameOf.get(a.category_id)!, area: a.area });
  return result;
}

/** Patients whose images landed in more than one split (should be none). */
export function patientsInTwoSplits(parts: Record<'train' | 'val' | 'test', CocoFile>): string[] {
  const sideOf = new Map<string, string>();
  const crossing = new Set<string>();
  for (const [split, coco] of Object.entries(parts)) {
    for (const image of coco.images) {
      if (image.patient === undefined) continue;
      const seen = sideOf.get(image.patient);
      if (seen !== undefined && seen !== split) crossing.add(image.patient);
      sideOf.set(image.patient, split);
    }
  }
  return [...crossing];
}
