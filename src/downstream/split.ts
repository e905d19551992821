// Seeded hold-out split at patient level: images of one patient never straddle train and test
// (an image without a patient is its own group). Shuffles are retried until every class is in
// both parts when the data allows it, as src/data/split.ts does for categories.
import { hashString, seededRandom, shuffle } from '../data/random.js';

export interface SplitItem {
  patient?: string;
  /** Class (classification) or any key whose coverage matters; optional. */
  label?: string;
}

export interface HoldOut {
  train: number[];
  test: number[];
  groupedBy: 'patient' | 'image' | 'patient where known';
}

const ATTEMPTS = 100;

/** Indices of the items in train and test; `testFraction` of the images (by group) go to test. */
export function holdOutSplit(items: readonly SplitItem[], seed: number, testFraction = 0.2): HoldOut {
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`test fraction must be in (0, 1), got ${testFraction}`);
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = item.patient !== undefined ? `p:${item.patient}` : `i:${i}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  if (groups.size < 2) throw new Error(`cannot hold out a test split: the ${items.length} image(s) form ${groups.size} patient group(s)`);
  const keys = [...groups.keys()].sort();
  const labels = new Set(items.map((it) => it.label).filter((l) => l !== undefined));
  const target = testFraction * items.length;
  let best: { train: number[]; test: number[]; missing: number } | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const order = shuffle([...keys], seededRandom(hashString(`holdout:${seed}:${attempt}`)));
    const test: number[] = [];
    const train: number[] = [];
    for (const key of order) {
      const members = groups.get(key)!;
      // A group goes to test while that brings the test size closer to the target.
      if (Math.abs(test.length + members.length - target) < Math.abs(test.length - target) || test.length === 0) test.push(...members);
      else train.push(...members);
    }
    if (train.length === 0) continue;
    const has = (idx: number[]) => new Set(idx.map((i) => items[i].label));
    const [inTrain, inTest] = [has(train), has(test)];
    const missing = [...labels].filter((l) => !inTrain.has(l) || !inTest.has(l)).length;
    if (!best || missing < best.missing) best = { train, test, missing };
    if (missing === 0) break;
  }
  if (!best) throw new Error('cannot hold out a test split: every shuffle left train empty');
  const known = items.filter((it) => it.patient !== undefined).length;
  const groupedBy = known === items.length ? 'patient' : known === 0 ? 'image' : 'patient where known';
  return { train: best.train.sort((a, b) => a - b), test: best.test.sort((a, b) => a - b), groupedBy };
}
