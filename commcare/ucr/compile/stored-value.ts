/**
 * Values as a data source table stores them (contract.ts `UcrStoredValue`): decimals as exact text
 * rounded to NUMERIC(64,16)'s 16 places, dates "YYYY-MM-DD", datetimes naive UTC ISO with "T",
 * arrays as text arrays (Python `str()` of each element, None as a NULL element).
 */
import type { UcrDatatype, UcrStoredValue } from '../contract.js';
import { daysInMonth, Decimal, isDecimal, kindOf, PyFloat, UcrDate, UcrDateTime } from '../values/kinds.js';
import { floatToDecimal } from '../values/py-compare.js';
import { pyStr } from '../values/py-str.js';

/** Exact decimal text with at most 16 places (PostgreSQL rounds half away from zero). */
export function decimalText(d: Decimal): string {
  if (d.isNaN()) return 'NaN';
  if (!d.isFinite()) return d.isNegative() ? '-Infinity' : 'Infinity';
  const rounded = d.toDecimalPlaces(16, Decimal.ROUND_HALF_UP);
  return rounded.isZero() ? '0' : rounded.toFixed();
}

/** A value already coerced to `datatype`, as stored. */
export function toStoredValue(value: unknown, datatype: UcrDatatype): UcrStoredValue {
  if (value === null || value === undefined) return null;
  switch (datatype) {
    case 'array':
      // None in a list is a NULL element of the text array, as psycopg2 writes it.
      return (Array.isArray(value) ? value : [value]).map((x) =>
        x === null || x === undefined ? null : pyStr(x),
      );
    case 'decimal':
      if (isDecimal(value)) return decimalText(value);
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value ? 1 : 0;
      break;
    default:
      break;
  }
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof UcrDate) return value.toIso();
  if (value instanceof UcrDateTime) return value.format('T');
  if (value instanceof PyFloat) return Number.isFinite(value.value) ? value.value : null;
  if (isDecimal(value)) return decimalText(value);
  if (kindOf(value) === 'float') return decimalText(floatToDecimal(value as number));
  return pyStr(value);
}

/**
 * The stored text of `Decimal(s)` for a plain decimal string (no whitespace, exponent or more than
 * 16 places), without building a Decimal: the common case of a form answer. Undefined otherwise.
 */
export function plainDecimalText(s: string): string | undefined {
  const n = s.length;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  const negative = i === 1;
  const wholeStart = i;
  while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  const wholeEnd = i;
  if (wholeEnd === wholeStart) return undefined;
  let fracEnd = i;
  if (i < n) {
    if (s.charCodeAt(i) !== 46) return undefined;
    i++;
    const fracStart = i;
    while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    if (i !== n || i === fracStart || i - fracStart > 16) return undefined;
    fracEnd = n;
    while (fracEnd > fracStart && s.charCodeAt(fracEnd - 1) === 48) fracEnd--;
    if (fracEnd === fracStart) fracEnd = wholeEnd;
  }
  let start = wholeStart;
  while (start < wholeEnd - 1 && s.charCodeAt(start) === 48) start++;
  const text =
    fracEnd === wholeEnd
      ? s.slice(start, wholeEnd)
      : `${s.slice(start, wholeEnd)}${s.slice(wholeEnd, fracEnd)}`;
  if (text === '0') return '0';
  return negative ? `-${text}` : text;
}

/** True when `s` is a valid "YYYY-MM-DD" date: its stored form is itself. */
export function isPlainIsoDate(s: string): boolean {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  let y = 0;
  let mo = 0;
  let d = 0;
  for (let i = 0; i < 10; i++) {
    if (i === 4 || i === 7) continue;
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    if (i < 4) y = y * 10 + c;
    else if (i < 7) mo = mo * 10 + c;
    else d = d * 10 + c;
  }
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}
