/**
 * Python's parsers as CommCare reaches them: `int(str)`, `float(str)`, `Decimal(str)`,
 * `strptime(s, '%Y-%m-%d')` and the two strict ISO datetime formats of `corehq/util/dates.py`.
 * Each returns `null` where Python raises ValueError.
 */
import { Decimal, UcrDate, UcrDateTime } from './kinds.js';

// Python's str.strip() removes Unicode whitespace; JS trim() covers the same practical set.
const INT_RE = /^[+-]?\d+(?:_\d+)*$/;
const FLOAT_RE = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const FLOAT_SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;
const DECIMAL_SPECIAL_RE = /^([+-]?)(inf|infinity|nan|snan)$/i;

/** `int(s)` for a str: an integer or null (ValueError). */
export function parsePyInt(s: string): number | null {
  const t = s.trim();
  if (!INT_RE.test(t)) return null;
  return Number(t.replace(/_/g, ''));
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
  const t = s.trim();
  if (FLOAT_RE.test(t)) return new Decimal(t.replace(/_/g, ''));
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
  const m = STRPTIME_DATE_RE.exec(s);
  if (m === null) return null;
  return UcrDate.of(Number(m[1]), Number(m[2]), Number(m[3]!.trim()));
}

// `%Y-%m-%dT%H:%M:%SZ` and `%Y-%m-%dT%H:%M:%S.%fZ`; literal T and Z match case-insensitively.
const STRPTIME_DATETIME_RE =
  /^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])[Tt](2[0-3]|[0-1]\d|\d):([0-5]\d|\d):(6[0-1]|[0-5]\d|\d)(?:\.(\d{1,6}))?[Zz]$/;

/** CommCare's strict ISO datetime parse (naive UTC), or null. */
export function parseIsoDateTimeZ(s: string): UcrDateTime | null {
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
