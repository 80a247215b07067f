/**
 * The runtime kinds of UCR values, modelled on the Python values CommCare computes with. Plain JS
 * values stand for themselves where the kinds agree: `null` (None), strings, booleans, arrays (list),
 * plain objects (dict), and numbers: an integral number is a Python `int`, any other number a
 * `float`. A float with an integral value (5.0, inf, nan) is a `PyFloat`, so `str()` can print "5.0".
 * Decimals are `Decimal` (decimal.js); dates, datetimes, times and timedeltas have classes here.
 */
import { Decimal as DecimalBase } from 'decimal.js';

/**
 * decimal.js configured like Python's default decimal context for arithmetic (28 significant digits,
 * half-even). Construction from a string or an exact binary expansion is exact whatever the precision.
 */
export const Decimal = DecimalBase.clone({
  precision: 28,
  rounding: DecimalBase.ROUND_HALF_EVEN,
  toExpNeg: -7,
  toExpPos: 28,
});
export type Decimal = DecimalBase;

/** A Python float whose value JS would mistake for an int (integral, infinite or NaN). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A calendar day (Python `date`), as days since 1970-01-01. */
export class UcrDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  constructor(readonly days: number) {
    const [y, m, d] = civilFromDays(days);
    this.year = y;
    this.month = m;
    this.day = d;
  }
  static of(year: number, month: number, day: number): UcrDate | null {
    if (!isValidDate(year, month, day)) return null;
    return new UcrDate(daysFromCivil(year, month, day));
  }
  toIso(): string {
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
  }
}

/** A naive datetime meaning UTC (Python `datetime`), microsecond precision, kept exact. */
export class UcrDateTime {
  constructor(
    /** Days since 1970-01-01. */
    readonly days: number,
    /** Microseconds since midnight, 0 ≤ us < 86 400 000 000. */
    readonly usOfDay: number,
  ) {}
  static of(
    y: number,
    mo: number,
    d: number,
    h: number,
    mi: number,
    s: number,
    us: number,
  ): UcrDateTime | null {
    if (!isValidDate(y, mo, d) || h > 23 || mi > 59 || s > 59 || us > 999_999) return null;
    return new UcrDateTime(daysFromCivil(y, mo, d), ((h * 60 + mi) * 60 + s) * 1_000_000 + us);
  }
  /** From epoch milliseconds (what Avro timestamps carry). */
  static fromEpochMs(ms: number): UcrDateTime {
    const days = Math.floor(ms / 86_400_000);
    return new UcrDateTime(days, (ms - days * 86_400_000) * 1000);
  }
  date(): UcrDate {
    return new UcrDate(this.days);
  }
  /** Hours, minutes, seconds, microseconds of the time of day. */
  clock(): [number, number, number, number] {
    const us = this.usOfDay % 1_000_000;
    const secs = Math.floor(this.usOfDay / 1_000_000);
    return [Math.floor(secs / 3600), Math.floor(secs / 60) % 60, secs % 60, us];
  }
  /** `YYYY-MM-DD<sep>HH:MM:SS[.ffffff]`, as Python's isoformat / str. */
  format(sep: string): string {
    const [h, mi, s, us] = this.clock();
    const frac = us === 0 ? '' : `.${pad(us, 6)}`;
    return `${this.date().toIso()}${sep}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac}`;
  }
}

/** A time of day (Python `time`), only produced by literal conversion. */
export class UcrTime {
  constructor(readonly usOfDay: number) {}
  format(): string {
    const us = this.usOfDay % 1_000_000;
    const secs = Math.floor(this.usOfDay / 1_000_000);
    const frac = us === 0 ? '' : `.${pad(us, 6)}`;
    return `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}${frac}`;
  }
}

/** A duration (Python `timedelta`), produced by subtracting dates in the evaluator. */
export class UcrTimedelta {
  constructor(
    readonly days: number,
    /** Microseconds within the day, 0 ≤ us < 86 400 000 000 (Python normalises this way). */
    readonly usOfDay: number,
  ) {}
  static fromMicros(totalDays: number, us: number): UcrTimedelta {
    const extra = Math.floor(us / 86_400_000_000);
    return new UcrTimedelta(totalDays + extra, us - extra * 86_400_000_000);
  }
  totalSeconds(): number {
    return this.days * 86400 + this.usOfDay / 1e6;
  }
}

/** The kind names `ucr expr --typed` prints, plus the evaluator-only ones. */
export type UcrKind =
  | 'null'
  | 'string'
  | 'boolean'
  | 'integer'
  | 'float'
  | 'decimal'
  | 'date'
  | 'datetime'
  | 'time'
  | 'timedelta'
  | 'list'
  | 'dict';

/** The Python kind of a runtime value. `undefined` counts as null. */
export function kindOf(value: unknown): UcrKind {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'float';
    case 'bigint':
      return 'integer';
    default:
      break;
  }
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyFloat) return 'float';
  if (value instanceof DecimalBase) return 'decimal';
  if (value instanceof UcrDate) return 'date';
  if (value instanceof UcrDateTime) return 'datetime';
  if (value instanceof UcrTime) return 'time';
  if (value instanceof UcrTimedelta) return 'timedelta';
  return 'dict';
}

/** True for a plain JSON object (a Python dict), not one of the value classes. */
export function isDict(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A float value in the canonical representation (PyFloat when JS would read it as an int). */
export function makeFloat(x: number): number | PyFloat {
  return Number.isInteger(x) || !Number.isFinite(x) ? new PyFloat(x) : x;
}

export function isDecimal(value: unknown): value is Decimal {
  return value instanceof DecimalBase;
}

/** Python truthiness. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  switch (typeof value) {
    case 'string':
      return value.length > 0;
    case 'boolean':
      return value;
    case 'number':
      // NaN is truthy in Python.
      return value !== 0;
    default:
      break;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof PyFloat) return value.value !== 0;
  if (value instanceof DecimalBase) return !value.isZero();
  if (value instanceof UcrTimedelta) return value.days !== 0 || value.usOfDay !== 0;
  if (value instanceof UcrTime) return true;
  if (value instanceof UcrDate || value instanceof UcrDateTime) return true;
  return Object.keys(value).length > 0;
}

export function pad(n: number, width: number): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + (s.length >= width ? s : '0'.repeat(width - s.length) + s);
}

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

/** Python's date range: years 1–9999. */
export function isValidDate(y: number, m: number, d: number): boolean {
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

// Days from/to the proleptic Gregorian calendar without Date (exact for every year Python allows).
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}
