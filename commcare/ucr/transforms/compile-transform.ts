/**
 * CommCare's transforms (`userreports/transforms/specs.py`), for indicators (applied before the
 * datatype) and report columns (applied to each value shown): `custom` (month_display,
 * days_elapsed_from_date, user_display, owner_display, user_without_domain_display,
 * short_decimal_display, ethiopian_date_to_gregorian_date, gregorian_date_to_ethiopian_date),
 * `date_format`, `number_format`, `translation`, `multiple_value_string_translation`, `hyperlink`,
 * `prefix_string` and `nested`. Values are UCR values (dates as `UcrDate`…). Where CommCare's
 * function catches an error it returns what CommCare returns; where CommCare would raise (a type it
 * cannot handle), the value is returned unchanged, so a transform never fails a row.
 */
import { toUcrDate } from '../values/coerce-datatype.js';
import { Decimal, isDict, kindOf, makeFloat, PyFloat, UcrDate, UcrDateTime } from '../values/kinds.js';
import { floatToDecimal } from '../values/py-compare.js';
import { parsePyInt } from '../values/py-parse.js';
import { pyStr } from '../values/py-str.js';
import { ethiopianToGregorian, gregorianToEthiopian } from './ethiopian-calendar.js';
import { localize } from './localize.js';
import { pythonFormat } from './python-format.js';
import {
  monthNames,
  partsOf,
  strftime,
  strftimeDirectives,
  unsupportedStrftimeDirective,
} from './strftime.js';

/** What a transform may need beyond its value. */
export interface TransformContext {
  /** Language for translations. */
  readonly lang: string;
  /** A user, group or location document by id: null when unknown (or not loaded yet). */
  lookup(kind: string, id: string): unknown;
}

export type ValueTransform = (value: unknown, ctx: TransformContext) => unknown;

/** A transform spec CommCare would refuse: where in the spec, and what was expected there. */
export class TransformSpecError extends Error {
  constructor(
    readonly at: readonly (string | number)[],
    readonly expected: string,
  ) {
    super(expected);
  }
}

/** `{}`, null or absent: CommCare treats these as no transform. */
export function isEmptyTransform(spec: unknown): boolean {
  return spec === undefined || spec === null || (isDict(spec) && Object.keys(spec).length === 0);
}

const customTransforms: Readonly<Record<string, ValueTransform>> = {
  month_display: (value) => monthDisplay(value),
  days_elapsed_from_date: (value) => daysElapsed(value, Date.now()),
  user_display: (value, ctx) => userName(value, ctx),
  owner_display: (value, ctx) => ownerName(value, ctx),
  user_without_domain_display: (value, ctx) => {
    const name = userName(value, ctx);
    return typeof name === 'string' ? name.split('@')[0]! : name;
  },
  short_decimal_display: (value) => shortDecimal(value),
  ethiopian_date_to_gregorian_date: (value) => ethiopianToGregorianValue(value),
  gregorian_date_to_ethiopian_date: (value) => gregorianToEthiopianValue(value),
};

/** The custom transform types CommCare ships. */
export const customTransformTypes = Object.keys(customTransforms);
/** The transform types CommCare's factory knows. */
export const transformTypes = [
  'custom',
  'date_format',
  'number_format',
  'translation',
  'multiple_value_string_translation',
  'hyperlink',
  'prefix_string',
  'nested',
];

function requireText(spec: Record<string, unknown>, key: string, what: string): string {
  const value = spec[key];
  if (typeof value !== 'string') throw new TransformSpecError([key], `${what} (a string, required)`);
  return value;
}

/** Compiles a non-empty transform spec. Throws `TransformSpecError` for what CommCare refuses. */
export function compileTransform(spec: unknown): ValueTransform {
  if (!isDict(spec)) throw new TransformSpecError([], 'a transform (a JSON object)');
  switch (spec.type) {
    case 'custom': {
      const type = spec.custom_type;
      const fn =
        typeof type === 'string' && Object.hasOwn(customTransforms, type)
          ? customTransforms[type]
          : undefined;
      if (!fn)
        throw new TransformSpecError(
          ['custom_type'],
          `one of ${customTransformTypes.join(', ')} (got ${JSON.stringify(type)})`,
        );
      return fn;
    }
    case 'date_format': {
      const format = requireText(spec, 'format', 'a strftime format');
      const bad = unsupportedStrftimeDirective(format);
      if (bad)
        throw new TransformSpecError(
          ['format'],
          `supported directives ${strftimeDirectives.join(' ')} (got ${bad})`,
        );
      return (value) => {
        const parts = partsOf(value);
        return parts ? strftime(parts, format) : value;
      };
    }
    case 'number_format': {
      const format = requireText(spec, 'format_string', 'a Python format string');
      return (value) => numberFormat(format, value);
    }
    case 'translation':
    case 'multiple_value_string_translation':
      return translation(spec);
    case 'hyperlink': {
      const text = requireText(spec, 'link_text', 'the link text');
      return (value) => `<a href='${pyStr(value)}'>${text}</a>`;
    }
    case 'prefix_string': {
      const prefix = requireText(spec, 'prefix', 'the prefix');
      return (value) => (typeof value === 'string' ? prefix + value : value);
    }
    case 'nested': {
      const inner = nestedPart(spec, 'inner_expression');
      const outer = nestedPart(spec, 'outer_expression');
      return (value, ctx) => outer(inner(value, ctx), ctx);
    }
    default:
      throw new TransformSpecError(
        ['type'],
        `one of ${transformTypes.join(', ')} (got ${JSON.stringify(spec.type)})`,
      );
  }
}

function nestedPart(spec: Record<string, unknown>, key: string): ValueTransform {
  try {
    return compileTransform(spec[key]);
  } catch (error) {
    if (error instanceof TransformSpecError) throw new TransformSpecError([key, ...error.at], error.expected);
    throw error;
  }
}

function translation(spec: Record<string, unknown>): ValueTransform {
  const translations = spec.translations ?? {};
  if (!isDict(translations))
    throw new TransformSpecError(['translations'], 'an object of value -> text or {lang: text}');
  const mobileOrWeb = spec.mobile_or_web ?? 'web';
  if (mobileOrWeb !== 'web' && mobileOrWeb !== 'mobile')
    throw new TransformSpecError(['mobile_or_web'], 'web or mobile');
  // For mobile the app translates; the server shows the value.
  if (mobileOrWeb === 'mobile') return (value) => value;
  const one: ValueTransform = (value, ctx) =>
    typeof value === 'string' && Object.hasOwn(translations, value)
      ? localize(translations[value], ctx.lang)
      : value;
  if (spec.type === 'translation') return one;
  const delimiter = requireText(spec, 'delimiter', 'the delimiter');
  if (delimiter === '') throw new TransformSpecError(['delimiter'], 'a non-empty delimiter');
  return (value, ctx) =>
    typeof value === 'string'
      ? value
          .split(delimiter)
          .map((part) => pyStr(one(part, ctx)))
          .join(delimiter)
      : value;
}

/** `calendar.month_name[int(x)]`; "" where CommCare's ValueError/KeyError gives it. */
function monthDisplay(value: unknown): unknown {
  let index: number | null;
  if (typeof value === 'string') index = parsePyInt(value);
  else if (kindOf(value) === 'integer' || typeof value === 'boolean') index = Number(value);
  else if (kindOf(value) === 'float')
    index = Math.trunc(value instanceof PyFloat ? value.value : (value as number));
  else return value;
  if (index === null) return '';
  const names = ['', ...monthNames];
  const at = index < 0 ? names.length + index : index;
  return at >= 0 && at < names.length ? names[at] : value;
}

function daysElapsed(value: unknown, nowMs: number): unknown {
  let date: UcrDateTime | null = null;
  if (value instanceof UcrDateTime) date = value;
  else {
    const day = value instanceof UcrDate ? value : typeof value === 'string' ? toUcrDate(value) : null;
    if (day) date = new UcrDateTime(day.days, 0);
  }
  if (!date) return value;
  const now = UcrDateTime.fromEpochMs(nowMs);
  const us = (now.days - date.days) * 86_400_000_000 + (now.usOfDay - date.usOfDay);
  return Math.floor(us / 86_400_000_000);
}

/** raw_username: a mobile worker's username without `@<domain>.commcarehq.org`, lower case. */
export function rawUsername(username: string): string {
  const lower = username.toLowerCase();
  const parts = lower.split('@');
  if (parts.length !== 2) return lower;
  return parts[1]!.endsWith('.commcarehq.org') ? parts[0]! : lower;
}

function userName(value: unknown, ctx: TransformContext): unknown {
  if (typeof value !== 'string' || value === '') return null;
  if (value === 'demo_user') return 'demo_user';
  const user = ctx.lookup('user', value);
  return isDict(user) && typeof user.username === 'string' ? rawUsername(user.username) : null;
}

function ownerName(value: unknown, ctx: TransformContext): unknown {
  if (typeof value !== 'string' || value === '') return null;
  const location = ctx.lookup('location', value);
  if (isDict(location) && typeof location.name === 'string') return location.name;
  const user = ctx.lookup('user', value);
  if (isDict(user) && typeof user.username === 'string') return rawUsername(user.username);
  const group = ctx.lookup('group', value);
  if (isDict(group) && typeof group.name === 'string') return group.name;
  return null;
}

/** `round(num, 2)`: ints stay ints, floats and Decimals round half to even. */
function shortDecimal(value: unknown): unknown {
  switch (kindOf(value)) {
    case 'integer':
      return value;
    case 'boolean':
      return value ? 1 : 0;
    case 'float': {
      const x = value instanceof PyFloat ? value.value : (value as number);
      if (!Number.isFinite(x)) return value;
      return makeFloat(Number(floatToDecimal(x).toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN).toString()));
    }
    case 'decimal':
      return (value as Decimal).toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN);
    default:
      return value;
  }
}

function numberFormat(format: string, value: unknown): unknown {
  try {
    let input = value;
    if (typeof value === 'string') {
      const trimmed = value.trim();
      if (trimmed === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return value;
      input = new Decimal(trimmed);
    }
    return pythonFormat(format, input);
  } catch {
    return value;
  }
}

/** `YYYY-MM-DD` split into three Python ints, or null. */
function splitDate(value: unknown): [number, number, number] | null {
  const text =
    value instanceof UcrDate ? value.toIso() : value instanceof UcrDateTime ? value.date().toIso() : value;
  if (typeof text !== 'string') return null;
  const parts = text.split('-');
  if (parts.length !== 3) return null;
  const numbers = parts.map(parsePyInt);
  return numbers.every((n) => n !== null) ? (numbers as [number, number, number]) : null;
}

/** `get_ethiopian_to_gregorian`: a Gregorian date, or "" when it cannot convert. */
export function ethiopianToGregorianValue(value: unknown): unknown {
  if (value === null || value === undefined || value === '') return '';
  const parts = splitDate(value);
  return (parts && ethiopianToGregorian(...parts)) ?? '';
}

/** `get_gregorian_to_ethiopian`: an Ethiopian `Y-MM-DD` string, or "" when it cannot convert. */
export function gregorianToEthiopianValue(value: unknown): unknown {
  if (value === null || value === undefined || value === '') return '';
  const parts = splitDate(value);
  const date = parts && UcrDate.of(...parts);
  if (!date) return '';
  const [y, m, d] = gregorianToEthiopian(date);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
