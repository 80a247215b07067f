/** CommCare's percent column formats (`reports/specs.py` PercentageColumn), numbers as Python prints them. */

import { valueText } from './value-text.js';

export type PercentFormat = 'percent' | 'fraction' | 'both' | 'numeric_percent' | 'decimal';

const noData = '--';
const cantCalculate = '?';

/** Python `'{0:.0f}'.format(x)`: round half to even on the exact binary value. */
function formatWhole(value: number): string {
  const floor = Math.floor(value);
  const diff = value - floor;
  const rounded = diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return String(rounded === 0 ? 0 : rounded);
}

/** How Python's `str.format` prints a number that came out of SQL (ints without a fraction). */
function show(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  return valueText(value);
}

/**
 * The percent cell: `--` when the denominator is 0 or null (no data), `?` when either side is not a
 * number; the ratio is rounded to 3 places first, as CommCare does, so 2/3 is 67% and 0.667.
 */
export function formatPercent(
  numerator: unknown,
  denominator: unknown,
  format: PercentFormat,
): string | number {
  const fraction = `${show(numerator)}/${show(denominator)}`;
  if (format === 'fraction') return fraction;
  const raw = (): number | string => {
    if (denominator === null || denominator === undefined || Number(denominator) === 0) return noData;
    const num = typeof numerator === 'number' ? numerator : Number.NaN;
    const den = typeof denominator === 'number' ? denominator : Number.NaN;
    if (!Number.isFinite(num) || !Number.isFinite(den)) return cantCalculate;
    return Number((num / den).toFixed(3));
  };
  const ratio = raw();
  switch (format) {
    case 'decimal':
      return ratio;
    case 'numeric_percent':
      return typeof ratio === 'number' ? Math.trunc(ratio * 100) : ratio;
    case 'percent':
      return typeof ratio === 'number' ? `${formatWhole(ratio * 100)}%` : ratio;
    case 'both':
      return `${typeof ratio === 'number' ? `${formatWhole(ratio * 100)}%` : ratio} (${fraction})`;
  }
}
