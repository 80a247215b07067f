/**
 * Exact decimals at speed: a `Decimal` held as a scaled integer (`coefficient × 10^exponent`, a
 * BigInt coefficient) for the values form answers give (plain decimal text) and the arithmetic
 * done on them, computed with Python's own algorithms in the default context (28 significant
 * digits, ROUND_HALF_EVEN). It is a decimal.js `Decimal` too: it inherits every method, and the
 * first one it is asked for builds decimal.js's own representation (`d`, `e`, `s`) from the scaled
 * integer, so any operation without a fast path here runs in decimal.js on the same value.
 * `scaled-decimal.test.ts` holds the fast paths to decimal.js's results (and a table of CPython's).
 */
import { Decimal } from './kinds.js';

/** Significant digits of Python's default decimal context, and decimal.js's configured precision. */
export const PRECISION = 28;
/** decimal.js's digits per word of its `d` array. */
const WORD_DIGITS = 7;
const WORD = 10n ** BigInt(WORD_DIGITS);
/** The widest exponent gap an addition aligns with BigInt before leaving it to decimal.js. */
const MAX_ALIGN = 64;
/** Fast-path exponents stay far inside both libraries' limits (Python: ±999,999). */
const MAX_EXPONENT = 10_000;

const POW10: bigint[] = [1n];
/** 10^n as a BigInt, from a table. */
export function pow10(n: number): bigint {
  while (POW10.length <= n) POW10.push(POW10[POW10.length - 1]! * 10n);
  return POW10[n]!;
}

/** Decimal digits of a non-negative BigInt (1 for zero). */
export function digitCount(c: bigint): number {
  if (c < 9_007_199_254_740_992n) {
    const n = Number(c);
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    return digits;
  }
  let digits = 16;
  while (c >= pow10(digits)) digits++;
  return digits;
}

/** decimal.js's representation of a value: digit words, base-10 exponent of the first digit, sign. */
interface DecimalJsForm {
  d: number[];
  e: number;
  s: number;
}

/** `coefficient × 10^exponent` (coefficient ≥ 0) with a sign: an exact decimal. */
export class ScaledDecimal {
  /** Set once decimal.js's form was written to by one of its methods: the scaled form is stale. */
  private written = false;
  private form: DecimalJsForm | undefined;

  constructor(
    readonly negative: boolean,
    readonly coefficient: bigint,
    readonly exponent: number,
  ) {}

  /** The same value as decimal.js sees it (what `instanceof Decimal` code receives). */
  asDecimal(): Decimal {
    return this as unknown as Decimal;
  }

  /** decimal.js's `d`, `e`, `s`, built on first use. */
  decimalJsForm(): DecimalJsForm {
    return (this.form ??= toDecimalJsForm(this.negative, this.coefficient, this.exponent));
  }

  /** decimal.js changed this value in place (it does, in a few methods): the scaled form is no longer it. */
  markWritten(): void {
    this.written = true;
  }

  /** True while the scaled form is the value. */
  get exact(): boolean {
    return !this.written;
  }
}

// A ScaledDecimal is a decimal.js Decimal: its prototype inherits decimal.js's methods, which read
// `constructor` (the configured clone) and `d`, `e`, `s` (built from the scaled form on first use).
Object.setPrototypeOf(ScaledDecimal.prototype, Decimal.prototype);
Object.defineProperty(ScaledDecimal.prototype, 'constructor', { value: Decimal, writable: true });
for (const key of ['d', 'e', 's'] as const)
  Object.defineProperty(ScaledDecimal.prototype, key, {
    get(this: ScaledDecimal) {
      return this.decimalJsForm()[key];
    },
    set(this: ScaledDecimal, value: never) {
      this.decimalJsForm()[key] = value;
      this.markWritten();
    },
  });

/** The decimal.js form of `±coefficient × 10^exponent`: trailing zeros dropped, words aligned on 10^7k. */
function toDecimalJsForm(negative: boolean, coefficient: bigint, exponent: number): DecimalJsForm {
  const s = negative ? -1 : 1;
  if (coefficient === 0n) return { d: [0], e: 0, s };
  let c = coefficient;
  let exp = exponent;
  while (c % 10n === 0n) {
    c /= 10n;
    exp++;
  }
  const e = exp + digitCount(c) - 1;
  // The last word ends on an exponent that is a multiple of 7: pad the coefficient to it.
  const pad = ((exp % WORD_DIGITS) + WORD_DIGITS) % WORD_DIGITS;
  let aligned = c * pow10(pad);
  const words: number[] = [];
  while (aligned > 0n) {
    words.push(Number(aligned % WORD));
    aligned /= WORD;
  }
  return { d: words.reverse(), e, s };
}

/** The scaled form of a value, when it has one that is still exact. */
export function scaledOf(value: unknown): ScaledDecimal | undefined {
  return value instanceof ScaledDecimal && value.exact ? value : undefined;
}

/**
 * `Decimal(s)` of plain decimal text (`[-+]digits[.digits]`, at most 28 significant digits, no
 * whitespace, underscore or exponent): the common case of a form answer. Undefined otherwise, for
 * the general parser.
 */
export function parseScaledDecimal(s: string): ScaledDecimal | undefined {
  const n = s.length;
  if (n === 0 || n > 60) return undefined;
  let i = 0;
  let negative = false;
  const first = s.charCodeAt(0);
  if (first === 45 || first === 43) {
    negative = first === 45;
    i = 1;
  }
  let small = 0;
  let digits = 0;
  let point = -1;
  const start = i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (point >= 0 || i === start || i === n - 1) return undefined;
      point = i;
      continue;
    }
    const digit = c - 48;
    if (digit < 0 || digit > 9) return undefined;
    if (digits > 0 || digit !== 0) digits++;
    if (digits <= 15) small = small * 10 + digit;
  }
  if (i === start || digits > PRECISION) return undefined;
  const exponent = point < 0 ? 0 : point - n + 1;
  const coefficient =
    digits <= 15 ? BigInt(small) : BigInt(s.slice(start).replace('.', '').replace(/^0+/, '') || '0');
  return new ScaledDecimal(negative, coefficient, exponent);
}

/** An int (or bool) operand as a decimal: what Python's int-to-Decimal promotion gives. */
export function scaledOfInteger(value: number | boolean): ScaledDecimal | undefined {
  const n = typeof value === 'boolean' ? Number(value) : value;
  if (!Number.isSafeInteger(n)) return undefined;
  return new ScaledDecimal(n < 0, BigInt(Math.abs(n)), 0);
}

/** An operand of a decimal operation: a scaled decimal, or an int/bool promoted to one. */
export function scaledOperand(value: unknown): ScaledDecimal | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? scaledOfInteger(value) : undefined;
  if (typeof value === 'boolean') return scaledOfInteger(value);
  return scaledOf(value);
}

/**
 * `±c × 10^e` rounded to 28 significant digits, ROUND_HALF_EVEN (CPython's `_fix` in the default
 * context); undefined when the exponent leaves the range this fast path keeps to.
 */
export function roundToPrecision(negative: boolean, c: bigint, e: number): ScaledDecimal | undefined {
  const n = digitCount(c);
  let coefficient = c;
  let exponent = e;
  if (n > PRECISION) {
    const drop = n - PRECISION;
    const unit = pow10(drop);
    let q = coefficient / unit;
    const r = coefficient - q * unit;
    const half = unit / 2n;
    if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
    exponent += drop;
    if (q === pow10(PRECISION)) {
      q /= 10n;
      exponent += 1;
    }
    coefficient = q;
  }
  if (Math.abs(exponent) > MAX_EXPONENT) return undefined;
  return new ScaledDecimal(negative, coefficient, exponent);
}

/**
 * `a / b` rounded to 28 significant digits, ROUND_HALF_EVEN: the value CPython's Decimal gives (it
 * is the correctly rounded quotient). The integer quotient is taken with exactly 28 digits and the
 * remainder decides the rounding; an exact quotient may keep trailing zeros Python would drop,
 * which no value, comparison or stored text sees. Undefined for b = 0.
 */
export function scaledDivide(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal | undefined {
  const divisor = b.coefficient;
  if (divisor === 0n) return undefined;
  const negative = a.negative !== b.negative;
  if (a.coefficient === 0n) return roundToPrecision(negative, 0n, a.exponent - b.exponent);
  // a × 10^shift / b lies in [10^27, 10^29): with one digit less shift when it reaches 10^28, the
  // integer quotient has exactly 28 digits.
  let shift = digitCount(divisor) - digitCount(a.coefficient) + PRECISION;
  let [dividend, scaledDivisor] = scaledOperands(a.coefficient, divisor, shift);
  if (dividend >= scaledDivisor * pow10(PRECISION))
    [dividend, scaledDivisor] = scaledOperands(a.coefficient, divisor, --shift);
  let q = dividend / scaledDivisor;
  const twiceRemainder = 2n * (dividend - q * scaledDivisor);
  let exponent = a.exponent - b.exponent - shift;
  if (twiceRemainder > scaledDivisor || (twiceRemainder === scaledDivisor && (q & 1n) === 1n)) {
    q += 1n;
    if (q === pow10(PRECISION)) {
      q = pow10(PRECISION - 1);
      exponent++;
    }
  }
  if (Math.abs(exponent) > MAX_EXPONENT) return undefined;
  return new ScaledDecimal(negative, q, exponent);
}

/** Dividend and divisor of `a × 10^shift / b` as integers: a negative shift scales the divisor up. */
function scaledOperands(a: bigint, b: bigint, shift: number): [bigint, bigint] {
  return shift >= 0 ? [a * pow10(shift), b] : [a, b * pow10(-shift)];
}

/** `a × b`, rounded to the context. */
export function scaledMultiply(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal | undefined {
  return roundToPrecision(a.negative !== b.negative, a.coefficient * b.coefficient, a.exponent + b.exponent);
}

/**
 * `a + b` (`b` negated for a subtraction), rounded to the context. Undefined when either is zero
 * (the sign of a zero sum follows rules left to decimal.js) or the exponents are far apart.
 */
export function scaledAdd(a: ScaledDecimal, b: ScaledDecimal, negateB = false): ScaledDecimal | undefined {
  if (a.coefficient === 0n || b.coefficient === 0n) return undefined;
  if (Math.abs(a.exponent - b.exponent) > MAX_ALIGN) return undefined;
  const exponent = Math.min(a.exponent, b.exponent);
  const x = a.coefficient * pow10(a.exponent - exponent);
  const y = b.coefficient * pow10(b.exponent - exponent);
  const signedX = a.negative ? -x : x;
  const bNegative = negateB ? !b.negative : b.negative;
  const sum = signedX + (bNegative ? -y : y);
  if (sum === 0n) return undefined;
  return roundToPrecision(sum < 0n, sum < 0n ? -sum : sum, exponent);
}

/**
 * The value as a table stores it: at most `places` decimal places, rounded half away from zero
 * (PostgreSQL's NUMERIC rounding), without trailing zeros; "0" for any zero.
 */
export function scaledFixedText(x: ScaledDecimal, places: number): string {
  if (x.coefficient === 0n) return '0';
  let digits = x.coefficient.toString();
  let e = x.exponent;
  if (e < -places) {
    // Half away from zero looks at the first digit dropped only.
    const keep = digits.length + e + places;
    const up = keep >= 0 && digits.charCodeAt(keep) >= 53;
    if (!up && keep <= 0) return '0';
    digits = up ? incremented(keep === 0 ? '0' : digits.slice(0, keep)) : digits.slice(0, keep);
    e = -places;
  }
  const sign = x.negative ? '-' : '';
  if (e >= 0) return `${sign}${digits}${'0'.repeat(e)}`;
  const fraction = -e;
  if (digits.length <= fraction) digits = '0'.repeat(fraction - digits.length + 1) + digits;
  let end = digits.length;
  const point = end - fraction;
  while (end > point && digits.charCodeAt(end - 1) === 48) end--;
  return end === point
    ? `${sign}${digits.slice(0, point)}`
    : `${sign}${digits.slice(0, point)}.${digits.slice(point, end)}`;
}

/** A string of decimal digits plus one ("199" → "200", "99" → "100"). */
function incremented(digits: string): string {
  let i = digits.length - 1;
  while (i >= 0 && digits.charCodeAt(i) === 57) i--;
  if (i < 0) return `1${'0'.repeat(digits.length)}`;
  return `${digits.slice(0, i)}${String.fromCharCode(digits.charCodeAt(i) + 1)}${'0'.repeat(digits.length - i - 1)}`;
}
