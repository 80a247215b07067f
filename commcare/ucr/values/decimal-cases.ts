/**
 * Seeded random cases for the scaled-decimal fast paths, and the check of one case against
 * decimal.js (precision 28, ROUND_HALF_EVEN: Python's default context). Shared by the property
 * test (`scaled-decimal.test.ts`, 100,000 cases in `npm test`) and the bench check (`npm run bench
 * -- decimals`, a million). Besides plain random operands the cases aim at the edges: ties at the
 * 29th digit (an odd 28-digit value halved, products ending in 5), carries into a 29th digit,
 * ties at the 16th decimal place a table stores, zeros of either sign, long and short operands.
 */
import { decimalText } from '../compile/stored-value.js';
import { Decimal } from './kinds.js';
import {
  parseScaledDecimal,
  scaledAdd,
  scaledDivide,
  scaledFixedText,
  scaledMultiply,
  type ScaledDecimal,
} from './scaled-decimal.js';

export type DecimalOp = 'add' | 'sub' | 'mul' | 'div';
export interface DecimalCase {
  op: DecimalOp;
  a: string;
  b: string;
}

/** A small seeded generator (mulberry32): the same cases on every machine. */
export function seededRandom(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const ops: readonly DecimalOp[] = ['add', 'sub', 'mul', 'div'];

function digits(random: () => number, count: number, nonZeroFirst = true): string {
  let out = '';
  for (let i = 0; i < count; i++)
    out += String(i === 0 && nonZeroFirst ? 1 + Math.floor(random() * 9) : Math.floor(random() * 10));
  return out;
}

/** `coefficient` digits with a decimal point placed so the value has `places` decimal places. */
function withPlaces(coefficient: string, places: number, negative: boolean): string {
  const sign = negative ? '-' : '';
  if (places <= 0) return `${sign}${coefficient}${'0'.repeat(-places)}`;
  const padded =
    coefficient.length <= places ? '0'.repeat(places - coefficient.length + 1) + coefficient : coefficient;
  return `${sign}${padded.slice(0, padded.length - places)}.${padded.slice(padded.length - places)}`;
}

/** A plain operand: 1–15 significant digits (sometimes up to 28), −8…20 decimal places. */
function operand(random: () => number): string {
  const roll = random();
  if (roll < 0.03) return random() < 0.5 ? '0' : random() < 0.5 ? '-0.00' : '0.0';
  const count = roll < 0.15 ? 16 + Math.floor(random() * 13) : 1 + Math.floor(random() * 15);
  const places = Math.floor(random() * 29) - 8;
  const text = withPlaces(digits(random, count), places, random() < 0.3);
  return roll < 0.2 ? text.replace(/^(-?)/, '$1000') : text;
}

/** Cases aimed at a rounding edge of one operation. */
function edgeCase(random: () => number): DecimalCase {
  const negative = random() < 0.5;
  switch (Math.floor(random() * 6)) {
    case 0: {
      // An odd 28-digit value halved: a tie at the 29th digit.
      const a = digits(random, 27) + String(1 + 2 * Math.floor(random() * 5));
      return {
        op: 'div',
        a: withPlaces(a, Math.floor(random() * 30), negative),
        b: random() < 0.5 ? '2' : '0.2',
      };
    }
    case 1: {
      // Odd multiples of 5 times odd numbers: products ending in 5, often 29 digits long.
      const a = digits(random, 14) + '5';
      const b = digits(random, 13) + String(1 + 2 * Math.floor(random() * 5));
      return { op: 'mul', a: withPlaces(a, Math.floor(random() * 20), negative), b: withPlaces(b, 3, false) };
    }
    case 2: {
      // 28 nines plus a little: a carry into a 29th digit.
      const a = '9'.repeat(28);
      return {
        op: 'add',
        a: withPlaces(a, Math.floor(random() * 28), false),
        b: random() < 0.5 ? '1' : '0.5',
      };
    }
    case 3: {
      // A quotient with a 5 in the 17th decimal place: the stored value's half-up tie.
      const a = `${digits(random, 1 + Math.floor(random() * 3))}.${digits(random, 16, false)}5`;
      return { op: 'div', a: negative ? `-${a}` : a, b: '1' };
    }
    case 4: {
      // Divisions with powers of 2 and 5: exact quotients of many digits.
      const b = String(2 ** Math.floor(random() * 40) * (random() < 0.5 ? 5 ** Math.floor(random() * 8) : 1));
      return { op: 'div', a: operand(random), b: random() < 0.3 ? `-${b}` : b };
    }
    default: {
      // Near-cancellations and far-apart exponents in sums.
      const a = operand(random);
      const b = random() < 0.5 ? a.replace(/^-?/, (s) => (s ? '' : '-')) : withPlaces('1', 40, false);
      return { op: random() < 0.5 ? 'add' : 'sub', a, b };
    }
  }
}

/** `count` cases from `seed`: about one in five at a rounding edge, the rest random. */
export function* decimalCases(seed: number, count: number): Generator<DecimalCase> {
  const random = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    if (random() < 0.2) yield edgeCase(random);
    else yield { op: ops[Math.floor(random() * ops.length)]!, a: operand(random), b: operand(random) };
  }
}

/** The fast path's result of a case; undefined where it leaves the case to decimal.js. */
export function fastResult(c: DecimalCase): ScaledDecimal | undefined {
  const a = parseScaledDecimal(c.a);
  const b = parseScaledDecimal(c.b);
  if (!a || !b) return undefined;
  switch (c.op) {
    case 'add':
      return scaledAdd(a, b);
    case 'sub':
      return scaledAdd(a, b, true);
    case 'mul':
      return scaledMultiply(a, b);
    case 'div':
      return scaledDivide(a, b);
  }
}

/** decimal.js's result of a case (null for a division by zero). */
export function referenceResult(c: DecimalCase): Decimal | null {
  const a = new Decimal(c.a);
  const b = new Decimal(c.b);
  switch (c.op) {
    case 'add':
      return a.plus(b);
    case 'sub':
      return a.minus(b);
    case 'mul':
      return a.times(b);
    case 'div':
      return b.isZero() ? null : a.div(b);
  }
}

/**
 * Checks one case: each operand parses to decimal.js's own representation, and the fast result
 * (when there is one) has decimal.js's value, sign and representation and stores the same text.
 * Returns what differs, or undefined when nothing does; `fast` says whether a fast path ran.
 */
export function checkDecimalCase(c: DecimalCase): { mismatch?: string; fast: boolean } {
  for (const text of [c.a, c.b]) {
    const parsed = parseScaledDecimal(text);
    const expected = new Decimal(text);
    // Over 28 significant digits (trailing zeros count, as in Python): left to decimal.js.
    if (!parsed) return { fast: false };
    const form = parsed.decimalJsForm();
    if (form.s !== expected.s || form.e !== expected.e || form.d.join() !== expected.d.join())
      return {
        mismatch: `${text} parsed to ${JSON.stringify(form)}, decimal.js has ${JSON.stringify({ d: expected.d, e: expected.e, s: expected.s })}`,
        fast: false,
      };
  }
  const fast = fastResult(c);
  if (fast === undefined) return { fast: false };
  const expected = referenceResult(c);
  if (expected === null)
    return { mismatch: `${c.a} / ${c.b}: a result where decimal.js divides by zero`, fast: true };
  const form = fast.decimalJsForm();
  const got = `${fast.negative ? '-' : ''}${fast.coefficient}e${fast.exponent}`;
  if (form.s !== expected.s || form.e !== expected.e || form.d.join() !== expected.d.join())
    return { mismatch: `${c.op}(${c.a}, ${c.b}) = ${got}, decimal.js ${expected.toString()}`, fast: true };
  const stored = scaledFixedText(fast, 16);
  const expectedStored = decimalText(expected);
  if (stored !== expectedStored)
    return { mismatch: `${c.op}(${c.a}, ${c.b}) stores ${stored}, decimal.js ${expectedStored}`, fast: true };
  return { fast: true };
}
