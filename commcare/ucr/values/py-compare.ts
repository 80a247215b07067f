/**
 * Python equality and ordering over UCR values: `True == 1`, `1 == 1.0`, Decimal vs float compared
 * by the float's exact binary value, no ordering across kinds (what Python raises TypeError for
 * gives `undefined` here, and operators read that as false).
 */
import type { UcrDate, UcrDateTime, UcrTime, UcrTimedelta } from './kinds.js';
import { Decimal, kindOf, PyFloat, type UcrKind } from './kinds.js';

/** The exact decimal expansion of a finite double (Python's `Decimal(float)`). */
export function floatToDecimal(x: number): Decimal {
  if (!Number.isFinite(x)) return new Decimal(x);
  if (Number.isInteger(x) && Math.abs(x) < 2 ** 53) return new Decimal(x);
  // Every finite double is m / 2^k; m / 2^k == m * 5^k / 10^k, exact in decimal.
  let k = 0;
  let m = x;
  while (!Number.isInteger(m)) {
    m *= 2;
    k++;
  }
  const scaled = BigInt(m) * 5n ** BigInt(k);
  const negative = scaled < 0n;
  let digits = (negative ? -scaled : scaled).toString();
  if (digits.length <= k) digits = '0'.repeat(k - digits.length + 1) + digits;
  const text = k === 0 ? digits : `${digits.slice(0, digits.length - k)}.${digits.slice(digits.length - k)}`;
  return new Decimal((negative ? '-' : '') + text);
}

const NUMERIC: ReadonlySet<UcrKind> = new Set(['boolean', 'integer', 'float', 'decimal']);

/** A numeric value as a JS number (bool → 0/1). Only for non-decimal numerics. */
function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof PyFloat) return value.value;
  return Number(value);
}

function toDecimal(value: unknown, kind: UcrKind): Decimal {
  if (kind === 'decimal') return value as Decimal;
  if (kind === 'float') return floatToDecimal(num(value));
  return new Decimal(num(value));
}

/** Python `a == b`. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || !Number.isNaN(a);
  // Fast paths for the common cases: two different strings, a string against None.
  if (typeof a === 'string' && (typeof b === 'string' || b === null)) return false;
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (NUMERIC.has(ka) && NUMERIC.has(kb)) {
    if (ka === 'decimal' || kb === 'decimal') {
      const da = toDecimal(a, ka);
      const db = toDecimal(b, kb);
      return !da.isNaN() && !db.isNaN() && da.eq(db);
    }
    return num(a) === num(b);
  }
  if (ka !== kb) return false;
  switch (ka) {
    case 'null':
      return true;
    case 'string':
      return a === b;
    case 'date':
      return (a as UcrDate).days === (b as UcrDate).days;
    case 'datetime':
      return (
        (a as UcrDateTime).days === (b as UcrDateTime).days &&
        (a as UcrDateTime).usOfDay === (b as UcrDateTime).usOfDay
      );
    case 'time':
      return (a as UcrTime).usOfDay === (b as UcrTime).usOfDay;
    case 'timedelta':
      return (
        (a as UcrTimedelta).days === (b as UcrTimedelta).days &&
        (a as UcrTimedelta).usOfDay === (b as UcrTimedelta).usOfDay
      );
    case 'list': {
      const la = a as unknown[];
      const lb = b as unknown[];
      if (la.length !== lb.length) return false;
      for (let i = 0; i < la.length; i++) if (!pyEquals(la[i], lb[i])) return false;
      return true;
    }
    case 'dict': {
      const oa = a as Record<string, unknown>;
      const ob = b as Record<string, unknown>;
      const keys = Object.keys(oa);
      if (keys.length !== Object.keys(ob).length) return false;
      for (const key of keys) if (!Object.hasOwn(ob, key) || !pyEquals(oa[key], ob[key])) return false;
      return true;
    }
    default:
      return false;
  }
}

function sign(x: number): number {
  return x < 0 ? -1 : x > 0 ? 1 : x === 0 ? 0 : NaN;
}

/** Code-point order (Python compares str by code point, JS `<` by UTF-16 unit). */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) {
      // Surrogates (astral code points) sort above the rest of the BMP by code point.
      const sa = ca >= 0xd800 && ca <= 0xdfff;
      const sb = cb >= 0xd800 && cb <= 0xdfff;
      if (sa !== sb) return ca >= 0xe000 && sb ? -1 : cb >= 0xe000 && sa ? 1 : ca - cb < 0 ? -1 : 1;
      return ca < cb ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : 1;
}

/**
 * Python ordering: negative, zero or positive; NaN when a float NaN is involved (every comparison
 * false); `undefined` when Python raises TypeError (different kinds, None, dicts).
 */
export function pyCompare(a: unknown, b: unknown): number | undefined {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (NUMERIC.has(ka) && NUMERIC.has(kb)) {
    if (ka === 'decimal' || kb === 'decimal') {
      const da = toDecimal(a, ka);
      const db = toDecimal(b, kb);
      if (da.isNaN() || db.isNaN()) return NaN;
      return da.cmp(db);
    }
    const x = num(a);
    const y = num(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ka !== kb) return undefined;
  switch (ka) {
    case 'string':
      return compareStrings(a as string, b as string);
    case 'date':
      return sign((a as UcrDate).days - (b as UcrDate).days);
    case 'datetime':
      return (
        sign((a as UcrDateTime).days - (b as UcrDateTime).days) ||
        sign((a as UcrDateTime).usOfDay - (b as UcrDateTime).usOfDay)
      );
    case 'time':
      return sign((a as UcrTime).usOfDay - (b as UcrTime).usOfDay);
    case 'timedelta':
      return (
        sign((a as UcrTimedelta).days - (b as UcrTimedelta).days) ||
        sign((a as UcrTimedelta).usOfDay - (b as UcrTimedelta).usOfDay)
      );
    case 'list': {
      const la = a as unknown[];
      const lb = b as unknown[];
      const n = Math.min(la.length, lb.length);
      for (let i = 0; i < n; i++) {
        if (!pyEquals(la[i], lb[i])) return pyCompare(la[i], lb[i]);
      }
      return sign(la.length - lb.length);
    }
    default:
      return undefined;
  }
}
