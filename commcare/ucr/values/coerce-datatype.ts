/**
 * The datatype coercion of the reference's §6 (`transform_for_datatype`): what an expression's or
 * indicator's `datatype` does to a value. Never throws: where Python raises and CommCare catches, the
 * result is null; where CommCare lets an OverflowError through (`int(float('inf'))`), null as well.
 */
import { floatToDecimal } from './py-compare.js';
import {
  parseIsoDateTimeZ,
  parsePyDecimal,
  parsePyFloat,
  parsePyInt,
  parseStrptimeDate,
} from './py-parse.js';
import { pyStr } from './py-str.js';
import { Decimal, kindOf, PyFloat, truthy, UcrDate, UcrDateTime } from './kinds.js';
import { scaledOfInteger } from './scaled-decimal.js';

/** The datatypes an expression or indicator may name. */
export const expressionDatatypes = [
  'date',
  'datetime',
  'string',
  'integer',
  'small_integer',
  'decimal',
  'array',
  'boolean',
] as const;
export type ExpressionDatatype = (typeof expressionDatatypes)[number];

function truncToInt(x: number): number | null {
  return Number.isFinite(x) ? Math.trunc(x) + 0 : null;
}

/** `int(x)`, falling back to `int(float(x))`, else null. */
export function toPyInteger(value: unknown): number | null {
  if (typeof value === 'string') {
    const n = parsePyInt(value);
    if (n !== null) return n;
    const f = parsePyFloat(value);
    return f === null ? null : truncToInt(f);
  }
  switch (kindOf(value)) {
    case 'boolean':
      return value ? 1 : 0;
    case 'integer':
      return typeof value === 'bigint' ? Number(value) : (value as number);
    case 'float':
      return truncToInt(value instanceof PyFloat ? value.value : (value as number));
    case 'decimal': {
      const d = value as Decimal;
      return d.isFinite() ? d.trunc().toNumber() + 0 : null;
    }
    case 'string': {
      const n = parsePyInt(value as string);
      if (n !== null) return n;
      const f = parsePyFloat(value as string);
      return f === null ? null : truncToInt(f);
    }
    default:
      return null;
  }
}

/** `Decimal(x)`, else null. */
export function toPyDecimal(value: unknown): Decimal | null {
  switch (kindOf(value)) {
    case 'boolean':
      return scaledOfInteger(value as boolean)!.asDecimal();
    case 'integer':
      if (typeof value === 'bigint') return new Decimal(value.toString());
      return scaledOfInteger(value as number)?.asDecimal() ?? new Decimal(value as number);
    case 'float':
      return floatToDecimal(value instanceof PyFloat ? value.value : (value as number));
    case 'decimal':
      return value as Decimal;
    case 'string':
      return parsePyDecimal(value as string);
    default:
      return null;
  }
}

/** The `date` datatype. */
export function toUcrDate(value: unknown): UcrDate | null {
  if (typeof value === 'string')
    return value === '' ? null : (parseStrptimeDate(value) ?? parseIsoDateTimeZ(value)?.date() ?? null);
  if (!truthy(value)) return null;
  if (value instanceof UcrDateTime) return value.date();
  if (value instanceof UcrDate) return value;
  return null;
}

/** The `datetime` datatype. */
export function toUcrDateTime(value: unknown): UcrDateTime | null {
  if (!truthy(value)) return null;
  if (typeof value === 'string') {
    const dt = parseIsoDateTimeZ(value);
    if (dt !== null) return dt;
    const d = parseStrptimeDate(value);
    return d === null ? null : new UcrDateTime(d.days, 0);
  }
  if (value instanceof UcrDateTime) return value;
  if (value instanceof UcrDate) return new UcrDateTime(value.days, 0);
  return null;
}

/** Applies a datatype to a value (unknown or absent datatype: unchanged). */
export function coerceDatatype(value: unknown, datatype: string | undefined): unknown {
  switch (datatype) {
    case 'integer':
    case 'small_integer':
      return toPyInteger(value);
    case 'decimal':
      return toPyDecimal(value);
    case 'string':
      return value === null || value === undefined ? null : pyStr(value);
    case 'date':
      return toUcrDate(value);
    case 'datetime':
      return toUcrDateTime(value);
    case 'array':
      return Array.isArray(value) ? value : [value ?? null];
    default:
      return value === undefined ? null : value;
  }
}

/** A coercion closure chosen once at compile time. */
export function datatypeCoercer(datatype: string | undefined): ((value: unknown) => unknown) | undefined {
  switch (datatype) {
    case 'integer':
    case 'small_integer':
      return toPyInteger;
    case 'decimal':
      return toPyDecimal;
    case 'string':
      return (value) => (value === null || value === undefined ? null : pyStr(value));
    case 'date':
      return toUcrDate;
    case 'datetime':
      return toUcrDateTime;
    case 'array':
      return (value) => (Array.isArray(value) ? (value as unknown[]) : [value ?? null]);
    default:
      return undefined;
  }
}
