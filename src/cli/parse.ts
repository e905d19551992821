// Argument parsers shared by the commands: each turns a flag's text into a value or throws
// commander's InvalidArgumentError, which commander reports with the flag's name.
import { InvalidArgumentError } from 'commander';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The number a decimal literal spells ('12', '-0.5', '1e-4'), else NaN. Number() alone would also
 * take '0x10' (16), '0b11', ' 7 ', '' (0) and 'Infinity', none of which a user means as a count.
 */
export function decimal(text: string): number {
  return DECIMAL.test(text) ? Number(text) : NaN;
}

/** An integer ≥ `min`. */
export function integer(min: number) {
  return (text: string): number => {
    const n = decimal(text);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`'${text}' is not an integer ≥ ${min}`);
    return n;
  };
}

/** An integer ≥ 1 (worded for counts such as threads or heads). */
export function positiveInt(text: string): number {
  const n = decimal(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${text}' is not a positive integer`);
  return n;
}

/** A finite number > 0. */
export function positive(text: string): number {
  const n = decimal(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`'${text}' is not a positive number`);
  return n;
}

/** A finite number ≥ 0. */
export function nonNegative(text: string): number {
  const n = decimal(text);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`'${text}' is not a non-negative number`);
  return n;
}

/** Any finite number, negative too. */
export function finite(text: string): number {
  const n = decimal(text);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`'${text}' is not a number`);
  return n;
}

/** A number strictly between 0 and 1. */
export function fraction(text: string): number {
  const n = decimal(text);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`'${text}' is not a fraction in (0, 1)`);
  return n;
}

/** A non-empty comma-separated list. */
export function list(text: string): string[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw new InvalidArgumentError(`'${text}' is an empty list`);
  return items;
}

/** A comma-separated list of integers ≥ 2 (decoder prompt-slot counts). */
export function slotList(text: string): number[] {
  return list(text).map((item) => {
    const n = decimal(item);
    if (!Number.isInteger(n) || n < 2) throw new InvalidArgumentError(`'${item}' in '${text}' is not a slot count (an integer ≥ 2)`);
    return n;
  });
}

/** A number in [0, 1] (thresholds, scores). */
export function unitInterval(text: string): number {
  const n = decimal(text);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`'${text}' is not a number in [0, 1]`);
  return n;
}

/** `sizes.includes(n)` comma-separated finite numbers, e.g. a box; `flag` names the option in errors. */
export function numberList(flag: string, text: string, sizes: number[]): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map(decimal);
  if (!sizes.includes(parts.length) || parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v))) {
    throw new InvalidArgumentError(`${flag} '${text}' must be ${sizes.join(' or ')} comma-separated numbers`);
  }
  return values;
}

/** A repeatable `--point x,y[,label]` (label 1 positive, the default, or 0 negative), collected as [x, y, label]. */
export function promptPoint(text: string, previous: number[][] = []): number[][] {
  const v = numberList('--point', text, [2, 3]);
  if (v.length === 3 && v[2] !== 0 && v[2] !== 1) throw new InvalidArgumentError(`--point '${text}': the label is 1 (positive) or 0 (negative)`);
  return [...previous, [v[0], v[1], v[2] ?? 1]];
}
