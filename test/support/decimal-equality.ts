/**
 * Test setup (both projects): a UCR Decimal held as a scaled integer (commcare/ucr/values/
 * scaled-decimal.ts) equals a decimal.js Decimal of the same value, sign of zero included, in
 * `toEqual` and friends. Their fields differ (a scaled integer against decimal.js's digit words),
 * their values do not, and values are what the tests compare.
 */
import { expect } from 'vitest';
import { isDecimal } from '../../commcare/ucr/values/kinds.js';
import { ScaledDecimal } from '../../commcare/ucr/values/scaled-decimal.js';

expect.addEqualityTesters([
  function decimalValuesEqual(a: unknown, b: unknown): boolean | undefined {
    if (!(a instanceof ScaledDecimal) && !(b instanceof ScaledDecimal)) return undefined;
    if (!isDecimal(a) || !isDecimal(b)) return false;
    if (a.isNaN() || b.isNaN()) return a.isNaN() && b.isNaN();
    return a.eq(b) && a.isNegative() === b.isNegative();
  },
]);
