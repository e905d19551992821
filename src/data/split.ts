/**
 * Seeded, deterministic train/val/test splits of one converted dataset.
 *
 * - Patient-level: images are grouped by patient where one is known (an image without a patient is
 *   its own group), and a group never straddles two splits. (The reference shuffles frames without
 *   a seed, so video frames of one patient land in train and val alike.)
 * - Official test sets stay the test set: when the dataset has one, test is exactly the groups
 *   holding official test images, and the rest is split into train and val only. An official
 *   validation set is kept as val.
 * - Every category is in train and in val when the data allows it: the seeded shuffle is retried
 *   (attempt k reseeds with k) until one covers every category; a category found in fewer than two
 *   groups cannot be in both, which the report says.
 * - Same input, seed and fractions → the same split, whatever the order of the images in the file.
 */
import { join } from 'node:path';
import { readCoco, writeCoco, type CocoFile } from './coco.js';
import { hashString, seededRandom, shuffle } from './random.js';

export type SplitName = 'train' | 'val' | 'test';
export const SPLITS: SplitName[] = ['train', 'val', 'test'];

export interface SplitOptions {
  seed?: number;
  /** Shares of the images; normalised. Default 0.8 / 0.1 / 0.1. Ignored for test when there is an official test set. */
  fractions?: Record<SplitName, number>;
  /** Shuffles tried for category coverage before settling for the best. Default 200. */
  attempts?: number;
}

export interface SplitPlan {
  /** Split of each image id. */
  assignment: Map<number, SplitName>;
  groupedBy: 'patient' | 'image' | 'patient where known';
  officialTest: boolean;
  attemptsUsed: number;
  /** Why a requirement could not be met, in words. */
  notes: string[];
}

export interface SplitReport {
  dataset: string;
  seed: number;
  groupedBy: SplitPlan['groupedBy'];
  officialTest: boolean;
  counts: Record<SplitName, { images: number; annotations: number; patients: number }>;
  notes: string[];
  files: string[];
}

interface Group {
  key: string;
  imageIds: number[];
  categories: Set<number>;
  fixed?: SplitName;
}

function groupImages(coco: CocoFile, notes: string[]): Group[] {
  const categoriesOf = new Map<number, Set<number>>();
  for (const annotation of coco.annotations) {
    let set = categoriesOf.get(annotation.image_id);
    if (!set) categoriesOf.set(annotation.image_id, (set = new Set()));
    set.add(annotation.category_id);
  }
  const groups = new Map<string, Group & { officials: Set<string> }>();
  for (const image of coco.images) {
    const key = image.patient !== undefined && image.patient !== '' ? `patient:${image.patient}` : `image:${image.id}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, imageIds: [], categories: new Set(), officials: new Set() }));
    group.imageIds.push(image.id);
    for (const category of categoriesOf.get(image.id) ?? []) group.categories.add(category);
    if (image.official_split) group.officials.add(image.official_split);
  }
  const result: Group[] = [];
  for (const group of groups.values()) {
    if (group.officials.has('test')) {
      group.fixed = 'test';
      if (group.officials.size > 1) notes.push(`${group.key} has official test and non-test images: all of them go to test`);
    } else if (group.officials.has('val')) {
      group.fixed = 'val';
    }
    result.push({ key: group.key, imageIds: group.imageIds, categories: group.categories, fixed: group.fixed });
  }
  return result.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Greedy fill: each group goes to the split furthest below its target share. */
function assign(groups: Group[], targets: Record<SplitName, number>, random: () => number): Map<Group, SplitName> {
  const result = new Map<Group, SplitName>();
  const filled: Record<SplitName, number> = { train: 0, val: 0, test: 0 };
  for (const group of groups)
    if (group.fixed) {
      result.set(group, group.fixed);
      filled[group.fixed] += group.imageIds.length;
    }
  const free = shuffle(
    groups.filter((g) => !g.fixed),
    random,
  );
  for (const group of free) {
    let best: SplitName | undefined;
    let bestRatio = Infinity;
    for (const split of SPLITS) {
      if (targets[split] <= 0) continue;
      const ratio = filled[split] / targets[split];
      if (ratio < bestRatio) {
        bestRatio = ratio;
        best = split;
      }
    }
    result.set(group, best ?? 'train');
    filled[best ?? 'train'] += group.imageIds.length;
  }
  return result;
}

function missingCategories(assignment: Map<Group, SplitName>, required: number[]): string[] {
  const present: Record<SplitName, Set<number>> = { train: new Set(), val: new Set(), test: new Set() };
  for (const [group, split] of assignment) for (const c of group.categories) present[split].add(c);
  const missing: string[] = [];
  for (const c of required) for (const split of ['train', 'val'] as const) if (!present[split].has(c)) missing.push(`${c}:${split}`);
  return missing;
}

/** Plans the split of a COCO file (pure: nothing is written). */
export function planSplit(coco: CocoFile, datasetName: string, options: SplitOptions = {}): SplitPlan {
  const seed = options.seed ?? 0;
  const fractions = options.fractions ?? { train: 0.8, val: 0.1, test: 0.1 };
  for (const split of SPLITS) {
    if (!(fractions[split] >= 0)) throw new Error(`split fraction for ${split} must be ≥ 0, got ${fractions[split]}`);
  }
  const notes: string[] = [];
  const groups = groupImages(coco, notes);
  const officialTest = groups.some((g) => g.fixed === 'test');
  const poolImages = groups.filter((g) => !g.fixed).reduce((n, g) => n + g.imageIds.length, 0);
  const shares = { ...fractions, test: officialTest ? 0 : fractions.test };
  const total = shares.train + shares.val + shares.test;
  if (total <= 0) throw new Error('split fractions add up to 0');
  const targets = {
    train: (poolImages * shares.train) / total,
    val: (poolImages * shares.val) / total,
    test: (poolImages * shares.test) / total,
  };

  // A category can be in train and val only if at least two groups outside the fixed test hold it.
  const nameOf = new Map(coco.categories.map((c) => [c.id, c.name]));
  const required: number[] = [];
  for (const category of coco.categories) {
    const holders = groups.filter((g) => g.fixed !== 'test' && g.categories.has(category.id)).length;
    if (shares.val <= 0 || shares.train <= 0) continue; // no val (or train) asked for: nothing to cover
    if (holders >= 2) required.push(category.id);
    else notes.push(`category "${category.name}" is in ${holders} group(s) outside the test set: it cannot be in both train and val`);
  }

  const attempts = Math.max(1, options.attempts ?? 200);
  let best: { assignment: Map<Group, SplitName>; missing: string[]; attempt: number } | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const random = seededRandom(hashString(`${seed}/${datasetName}/${attempt}`));
    const assignment = assign(groups, targets, random);
    const missing = missingCategories(assignment, required);
    if (!best || missing.length < best.missing.length) best = { assignment, missing, attempt };
    if (missing.length === 0) break;
  }
  for (const item of best!.missing) {
    const [id, split] = item.split(':');
    notes.push(`category "${nameOf.get(Number(id))}" is missing from ${split} after ${attempts} seeded shuffles`);
  }
  const assignment = new Map<number, SplitName>();
  for (const [group, split] of best!.assignment) for (const id of group.imageIds) assignment.set(id, split);
  const withPatient = coco.images.filter((i) => i.patient !== undefined && i.patient !== '').length;
  const groupedBy = withPatient === 0 ? 'image' : withPatient === coco.images.length ? 'patient' : 'patient where known';
  return { assignment, groupedBy, officialTest, attemptsUsed: best!.attempt + 1, notes };
}

/** The three subsets of a COCO file under a plan. */
export function applySplit(coco: CocoFile, plan: SplitPlan, seed: number): Record<SplitName, CocoFile> {
  const parts = {} as Record<SplitName, CocoFile>;
  for (const split of SPLITS) {
    const images = coco.images.filter((image) => plan.assignment.get(image.id) === split);
    const ids = new Set(images.map((image) => image.id));
    parts[split] = {
      info: { ...coco.info, split, split_seed: seed, split_grouped_by: plan.groupedBy },
      images,
      annotations: coco.annotations.filter((annotation) => ids.has(annotation.image_id)),
      categories: coco.categories,
    };
  }
  return parts;
}

/** Splits `<datasetDir>/<name>.coco.json` into `<name>.{train,val,test}.coco.json` beside it. */
export async function splitDataset(datasetDir: string, name: string, options: SplitOptions = {}): Promise<SplitReport> {
  const coco = await readCoco(join(datasetDir, `${name}.coco.json`));
  const seed = options.seed ?? 0;
  const plan = planSplit(coco, name, options);
  const parts = applySplit(coco, plan, seed);
  const files: string[] = [];
  const counts = {} as SplitReport['counts'];
  for (const split of SPLITS) {
    const path = join(datasetDir, `${name}.${split}.coco.json`);
    await writeCoco(path, parts[split]);
    files.push(path);
    const patients = new Set(parts[split].images.flatMap((i) => (i.patient ? [i.patient] : [])));
    counts[split] = { images: parts[split].images.length, annotations: parts[split].annotations.length, patients: patients.size };
  }
  return { dataset: name, seed, groupedBy: plan.groupedBy, officialTest: plan.officialTest, counts, notes: plan.notes, files };
}
