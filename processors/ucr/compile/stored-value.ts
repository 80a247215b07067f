/**
 * Values as a data source table stores them (contract.ts `UcrStoredValue`): decimals as exact text
 * rounded to NUMERIC(64,16)'s 16 places, dates "YYYY-MM-DD", datetimes naive UTC ISO with "T",
 * arrays as text arrays (Python `str()` of each element).
 */
import type { UcrDatatype, UcrStoredValue } from '../contract.js';
import { Decimal, isDecimal, kindOf, PyFloat, UcrDate, UcrDateTime } from '../values/kinds.js';
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
      return (Array.isArray(value) ? value : [value]).map((x) => pyStr(x));
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
