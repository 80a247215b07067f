/** Report values between SQL, UCR values (what transforms and expressions see) and JSON output. */
import type { UcrDatatype } from '../ucr/contract.js';
import { Decimal, isDecimal, PyFloat, UcrDate, UcrDateTime, UcrTime } from '../ucr/values/kinds.js';
import { parsePyDecimal } from '../ucr/values/py-parse.js';

/** A SQL value of a column of `datatype` as the Python value CommCare's query would give. */
export function toUcrValue(value: unknown, datatype: UcrDatatype): unknown {
  if (typeof value !== 'string') return value ?? null;
  if (datatype === 'date') {
    const [y, m, d] = value.split('-').map(Number) as [number, number, number];
    return UcrDate.of(y, m, d) ?? value;
  }
  if (datatype === 'datetime') {
    const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(value);
    if (!match) return value;
    const [y, mo, d, h, mi, s] = match.slice(1, 7).map((part) => Number(part));
    const us = Number((match[7] ?? '').padEnd(6, '0'));
    return UcrDateTime.of(y!, mo!, d!, h!, mi!, s!, us) ?? value;
  }
  if (datatype === 'decimal') return parsePyDecimal(value) ?? value;
  return value;
}

/** A value as the report's JSON carries it: dates as ISO text, decimals and floats as numbers. */
export function toReportJson(value: unknown): unknown {
  if (value instanceof UcrDate) return value.toIso();
  if (value instanceof UcrDateTime) return value.format('T');
  if (value instanceof UcrTime) return value.format();
  if (value instanceof PyFloat) return Number.isFinite(value.value) ? value.value : null;
  if (isDecimal(value)) return value.isFinite() ? value.toNumber() : null;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toReportJson);
  return value;
}

/** A number from SQL (pg gives numeric and bigint as text), or null. */
export const toNumber = (value: unknown): unknown =>
  value === null || value === undefined ? null : typeof value === 'number' ? value : Number(value);

/** GeoPoint text "lat lon [alt acc]" as CommCare's location column shows it, or with "(Invalid Location)". */
export function formatGeoPoint(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const parts = text.split(' ');
  const usable = parts.length === 4 || parts.length === 2 ? parts : null;
  const numbers = usable?.map((part) => parsePyDecimal(part));
  if (!numbers || numbers.some((n) => n === null || !n.isFinite())) return `${text} (Invalid Location)`;
  const [lat, lon, alt, acc] = [...(numbers as Decimal[]), new Decimal('0.0'), new Decimal('0.0')];
  if (lat.abs().gt(90) || lon.abs().gt(180)) return `${text} (Invalid Location)`;
  const show = (d: Decimal, raw: string | undefined) => raw ?? (d.isInteger() ? d.toFixed(1) : d.toString());
  return `${show(lat, parts[0])} ${show(lon, parts[1])} ${show(alt!, parts[2])} ${show(acc!, parts[3])}`;
}
