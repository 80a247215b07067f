/**
 * JSON text parsed into UCR values: like JSON.parse, except that a number written with a fraction
 * or an exponent is a Python float even when its value is integral (`5.0` stays a float, as
 * Python's json module reads it). Needs the reviver's source text (Node 21+); elsewhere such
 * numbers read as ints.
 */
import { PyFloat } from './kinds.js';

export function parseJsonValues(text: string): unknown {
  return JSON.parse(text, function (
    this: unknown,
    _key: string,
    value: unknown,
    context?: { source?: string },
  ) {
    if (
      typeof value === 'number' &&
      Number.isInteger(value) &&
      context?.source !== undefined &&
      /[.eE]/.test(context.source)
    ) {
      return new PyFloat(value);
    }
    return value;
  } as (this: unknown, key: string, value: unknown) => unknown);
}
