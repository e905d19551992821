// Held-out metrics: confusion matrix, accuracy, per-class and macro F1 (classification), and Dice
// per class of label maps (segmentation).

export interface ClassificationMetrics {
  accuracy: number;
  macro_f1: number;
  per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  /** confusion[true][predicted], rows and columns in class order. */
  confusion: number[][];
}

export function confusionMatrix(truth: readonly number[], predicted: readonly number[], numClasses: number): number[][] {
  if (truth.length !== predicted.length) throw new Error(`confusion: ${truth.length} labels but ${predicted.length} predictions`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  truth.forEach((t, i) => m[t][predicted[i]]++);
  return m;
}

/**
 * F1 of a class with no true and no predicted images is undefined; it counts as 0 here, as in
 * scikit-learn's default (zero_division=0), so macro-F1 never rewards a class that is absent.
 */
export function classificationMetrics(truth: readonly number[], predicted: readonly number[], classes: readonly string[]): ClassificationMetrics {
  const confusion = confusionMatrix(truth, predicted, classes.length);
  const perClass: ClassificationMetrics['per_class'] = {};
  let correct = 0;
  let f1Sum = 0;
  classes.forEach((name, c) => {
    const tp = confusion[c][c];
    correct += tp;
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predictedAs ? tp / predictedAs : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[name] = { precision, recall, f1, support };
    f1Sum += f1;
  });
  return { accuracy: truth.length ? correct / truth.length : 0, macro_f1: f1Sum / classes.length, per_class: perClass, confusion };
}

/** Accumulates Dice = 2|P∩T| / (|P|+|T|) per class over many label maps (pooled, not averaged per image). */
export class DiceAccumulator {
  private readonly inter: number[];
  private readonly sizes: number[];

  constructor(readonly classes: readonly string[]) {
    this.inter = new Array<number>(classes.length).fill(0);
    this.sizes = new Array<number>(classes.length).fill(0);
  }

  /** `valid` (optional) marks the pixels that count (1); label values index `classes`. */
  add(predicted: ArrayLike<number>, truth: ArrayLike<number>, valid?: ArrayLike<number>): void {
    if (predicted.length !== truth.length) throw new Error(`dice: maps of ${predicted.length} and ${truth.length} pixels`);
    for (let i = 0; i < truth.length; i++) {
      if (valid && !valid[i]) continue;
      const p = predicted[i];
      const t = truth[i];
      this.sizes[p]++;
      this.sizes[t]++;
      if (p === t) this.inter[t]++;
    }
  }

  /** Dice per class; a class absent from both prediction and truth gets null (undefined Dice). */
  result(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    this.classes.forEach((c, k) => {
      out[c] = this.sizes[k] ? (2 * this.inter[k]) / this.sizes[k] : null;
    });
    return out;
  }
}
