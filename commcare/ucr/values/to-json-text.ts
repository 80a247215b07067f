/**
 * UCR values as JSON text, the way `tributary ucr` prints them: decimals as JSON numbers with their
 * exact digits, floats with Python's repr (`5.0`), dates "YYYY-MM-DD", datetimes naive UTC ISO,
 * non-finite numbers as null. `JSON.stringify` cannot print a decimal's digits, hence this.
 */
import {
  kindOf,
  PyFloat,
  type Decimal,
  type UcrDate,
  type UcrDateTime,
  type UcrTime,
  type UcrTimedelta,
} from './kinds.js';
import { pyFloatRepr } from './py-str.js';

function decimalJson(d: Decimal): string {
  return d.isFinite() ? d.toFixed() : 'null';
}

/** One value as JSON text. */
export function toJsonText(value: unknown): string {
  switch (kindOf(value)) {
    case 'null':
      return 'null';
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'integer':
      return typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
    case 'float': {
      const x = value instanceof PyFloat ? value.value : (value as number);
      return Number.isFinite(x) ? pyFloatRepr(x) : 'null';
    }
    case 'decimal':
      return decimalJson(value as Decimal);
    case 'date':
      return JSON.stringify((value as UcrDate).toIso());
    case 'datetime':
      return JSON.stringify((value as UcrDateTime).format('T'));
    case 'time':
      return JSON.stringify((value as UcrTime).format());
    case 'timedelta':
      return String((value as UcrTimedelta).totalSeconds());
    case 'list':
      return `[${(value as unknown[]).map(toJsonText).join(',')}]`;
    default:
      return `{${Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`)
        .join(',')}}`;
  }
}

/** `{"type": kind, "value": json}` for `ucr expr --typed`. */
export function toTypedJsonText(value: unknown): string {
  return `{"type":${JSON.stringify(kindOf(value))},"value":${toJsonText(value)}}`;
}
