/**
 * The filter operators of the reference's §4 (`operators.py`). Each returns false where Python's
 * operator raises TypeError. `in_multi`/`any_in_multi` on a non-string answer raise AttributeError in
 * CommCare (the doc fails for that data source); here they are false, because evaluation never throws.
 */
import { isDict, truthy } from '../values/kinds.js';
import { pyCompare, pyEquals } from '../values/py-compare.js';

export type Operator = (input: unknown, reference: unknown) => boolean;

function pyIn(a: unknown, b: unknown): boolean {
  if (Array.isArray(b)) return b.some((x) => pyEquals(a, x));
  if (typeof b === 'string') return typeof a === 'string' && b.includes(a);
  if (isDict(b)) return typeof a === 'string' && Object.hasOwn(b, a);
  return false;
}

function multiTokens(input: unknown): string[] | null {
  if (!truthy(input)) return [''];
  return typeof input === 'string' ? input.split(' ') : null;
}

function inMulti(input: unknown, reference: unknown): boolean {
  const tokens = multiTokens(input);
  return tokens !== null && tokens.some((t) => pyEquals(reference, t));
}

function isPyInt(x: unknown): boolean {
  return typeof x === 'boolean' || (typeof x === 'number' && Number.isInteger(x));
}

function compareWith(test: (c: number) => boolean): Operator {
  return (a, b) => {
    const c = pyCompare(a, b);
    return c !== undefined && test(c);
  };
}

const lt = compareWith((c) => c < 0);
const lte = compareWith((c) => c <= 0);
const gtPlain = compareWith((c) => c > 0);
const gtePlain = compareWith((c) => c >= 0);

/** Python 2's str-above-int ordering, which CommCare keeps for gt/gte. */
function py2Ordered(plain: Operator): Operator {
  return (a, b) => {
    if (typeof a === 'string' && isPyInt(b)) return true;
    if (isPyInt(a) && typeof b === 'string') return false;
    return plain(a, b);
  };
}

export const operators: Readonly<Record<string, Operator>> = {
  eq: (a, b) => pyEquals(a, b),
  not_eq: (a, b) => !pyEquals(a, b),
  in: pyIn,
  in_multi: inMulti,
  any_in_multi: (a, b) => {
    if (!truthy(b)) return false;
    const refs =
      typeof b === 'string' ? Array.from(b) : Array.isArray(b) ? b : isDict(b) ? Object.keys(b) : null;
    return refs !== null && refs.some((r) => inMulti(a, r));
  },
  lt,
  lte,
  gt: py2Ordered(gtPlain),
  gte: py2Ordered(gtePlain),
};

/** Python regex syntax JS lacks, translated: named groups `(?P<n>…)` and `(?P=n)`. */
export function pythonRegex(pattern: string): RegExp {
  return new RegExp(pattern.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>'));
}
