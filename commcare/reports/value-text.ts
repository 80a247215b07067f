/** How a report value reads as text (CSV cells, fractions, translation keys). */

/** Strings as they are, numbers and booleans by `String`, bigints as digits, lists and objects as JSON. */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}
