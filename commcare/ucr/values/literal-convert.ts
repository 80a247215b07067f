/**
 * The literal conversion of the reference's §3 (jsonobject's string conversion): a string literal in
 * a spec that looks like a date, a time, a Z-terminated datetime or an unsigned decimal becomes that
 * value, recursively through lists and dicts. Applied once, when a spec is compiled.
 */
import { parseStrptimeDate } from './py-parse.js';
import { Decimal, UcrDateTime, UcrTime, isDict } from './kinds.js';
import { parseScaledDecimal } from './scaled-decimal.js';

const DATE_RE = /^\d{4}\D?\d\d\D?\d\d$/;
const TIME_RE = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{6}))?$/;
const DATETIME_RE = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{6}))?Z$/;
const DECIMAL_RE = /^\d+\.\d+$/;

/** One string literal converted, or returned unchanged. */
export function convertStringLiteral(s: string): unknown {
  if (DATE_RE.test(s)) return parseStrptimeDate(s) ?? s;
  if (DECIMAL_RE.test(s)) return parseScaledDecimal(s)?.asDecimal() ?? new Decimal(s);
  let m = DATETIME_RE.exec(s);
  if (m !== null) {
    const frac = m[7] === undefined ? 0 : Number(m[7]);
    return (
      UcrDateTime.of(
        Number(m[1]),
        Number(m[2]),
        Number(m[3]),
        Number(m[4]),
        Number(m[5]),
        Number(m[6]),
        frac,
      ) ?? s
    );
  }
  m = TIME_RE.exec(s);
  if (m !== null) {
    const [h, mi, sec] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (h > 23 || mi > 59 || sec > 59) return s;
    return new UcrTime(((h * 60 + mi) * 60 + sec) * 1e6 + (m[4] === undefined ? 0 : Number(m[4])));
  }
  return s;
}

/** A literal (any JSON) with every string in it converted. */
export function convertLiteral(value: unknown): unknown {
  if (typeof value === 'string') return convertStringLiteral(value);
  if (Array.isArray(value)) return value.map(convertLiteral);
  if (isDict(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = convertLiteral(v);
    return out;
  }
  return value === undefined ? null : value;
}
