/**
 * Python's parsers as CommCare reaches them: `int(str)`, `float(str)`, `Decimal(str)`,
 * `strptime(s, '%Y-%m-%d')` and the two strict ISO datetime formats of `corehq/util/dates.py`.
 * Each returns `null` where Python raises ValueError.
 */
import { Decimal, UcrDate, UcrDateTime } from './kinds.js';
import { parseScaledDecimal } from './scaled-decimal.js';

// Python's str.strip() removes Unicode whitespace; JS trim() covers the same practical set.
const INT_RE = /^[+-]?\d+(?:_\d+)*$/;
const FLOAT_RE = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const FLOAT_SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;
const DECIMAL_SPECIAL_RE = /^([+-]?)(inf|infinity|nan|snan)$/i;

/** Plain digits with an optional sign (at most 15, exact in a double), without a regex; else undefined. */
function plainInt(s: string): number | undefined {
  const n = s.length;
  let i = 0;
  const first = s.charCodeAt(0);
  if (first === 45 || first === 43) i = 1;
  if (n === i || n - i > 15) return undefined;
  let value = 0;
  for (; i < n; i++) {
    const digit = s.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return first === 45 ? -value : value;
}

/** `int(s)` for a str: an integer or null (ValueError). */
export function parsePyInt(s: string): number | null {
  const plain = plainInt(s);
  if (plain !== undefined) return plain;
  const t = s.trim();
  if (!INT_RE.test(t)) return null;
  const n = Number(t.replace(/_/g, ''));
  return Number.isFinite(n) ? n : null;
}

/** `float(s)` for a str: a number (maybe NaN/±Infinity) or null (ValueError). */
export function parsePyFloat(s: string): number | null {
  const t = s.trim();
  if (FLOAT_RE.test(t)) return Number(t.replace(/_/g, ''));
  const special = FLOAT_SPECIAL_RE.exec(t);
  if (special === null) return null;
  if (special[2]!.toLowerCase() === 'nan') return NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

/** `Decimal(s)` for a str: a Decimal or null (InvalidOperation). */
export function parsePyDecimal(s: string): Decimal | null {
  // Plain decimal text (a form answer) needs no regular expression and no decimal.js parse.
  const scaled = parseScaledDecimal(s);
  if (scaled !== undefined) return scaled.asDecimal();
  const t = s.trim();
  if (FLOAT_RE.test(t)) {
    try {
      return new Decimal(t.replace(/_/g, ''));
    } catch {
      // An exponent beyond decimal.js's range: no value to store either way.
      return null;
    }
  }
  const special = DECIMAL_SPECIAL_RE.exec(t);
  if (special === null) return null;
  const name = special[2]!.toLowerCase();
  if (name === 'nan' || name === 'snan') return new Decimal(NaN);
  return new Decimal(special[1] === '-' ? -Infinity : Infinity);
}

// strptime's regexes for %Y, %m, %d (Lib/_strptime.py), matched case-insensitively and in full.
const STRPTIME_DATE_RE = /^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])$/;

/** `datetime.strptime(s, '%Y-%m-%d').date()`: one-digit month/day accepted, trailing text rejected. */
export function parseStrptimeDate(s: string): UcrDate | null {
  if (s.length === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
    const y = digitsAt(s, 0, 4);
    const mo = digitsAt(s, 5, 2);
    const d = digitsAt(s, 8, 2);
    // "YYYY-00-DD" and the like fall through to the regex, which rejects them the same way.
    if (y >= 0 && mo > 0 && d > 0) return UcrDate.of(y, mo, d);
  }
  const m = STRPTIME_DATE_RE.exec(s);
  if (m === null) return null;
  return UcrDate.of(Number(m[1]), Number(m[2]), Number(m[3]!.trim()));
}

// `%Y-%m-%dT%H:%M:%SZ` and `%Y-%m-%dT%H:%M:%S.%fZ`; literal T and Z match case-insensitively.
const STRPTIME_DATETIME_RE =
  /^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])[Tt](2[0-3]|[0-1]\d|\d):([0-5]\d|\d):(6[0-1]|[0-5]\d|\d)(?:\.(\d{1,6}))?[Zz]$/;

function digitsAt(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** The canonical `YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z` shape without a regex; undefined for any other. */
function parseCanonicalDateTimeZ(s: string): UcrDateTime | null | undefined {
  const n = s.length;
  if (n < 20 || n > 27 || n === 21 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  const t = s.charCodeAt(10);
  const z = s.charCodeAt(n - 1);
  if (
    (t !== 84 && t !== 116) ||
    (z !== 90 && z !== 122) ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return undefined;
  const y = digitsAt(s, 0, 4);
  const mo = digitsAt(s, 5, 2);
  const d = digitsAt(s, 8, 2);
  const h = digitsAt(s, 11, 2);
  const mi = digitsAt(s, 14, 2);
  const sec = digitsAt(s, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return undefined;
  let us = 0;
  if (n > 20) {
    if (s.charCodeAt(19) !== 46) return undefined;
    const fracDigits = n - 21;
    const frac = digitsAt(s, 20, fracDigits);
    if (frac < 0) return undefined;
    us = frac * 10 ** (6 - fracDigits);
  }
  return UcrDateTime.of(y, mo, d, h, mi, sec, us);
}

/** CommCare's strict ISO datetime parse (naive UTC), or null. */
export function parseIsoDateTimeZ(s: string): UcrDateTime | null {
  const fast = parseCanonicalDateTimeZ(s);
  if (fast !== undefined) return fast;
  const m = STRPTIME_DATETIME_RE.exec(s);
  if (m === null) return null;
  const frac = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0'));
  return UcrDateTime.of(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]!.trim()),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
    frac,
  );
}
