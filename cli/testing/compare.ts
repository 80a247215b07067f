/**
 * Expected against actual, as a list of differences each at a path under the expectation, so a
 * failing `tributary test` can name the line of the test file where the expected value is written.
 */

export type Path = (string | number)[];

export interface Difference {
  /** Path inside the expectation (or where the missing or extra item would be). */
  path: Path;
  /** What went wrong, in a sentence: `expected "u1", got "u2"`. */
  message: string;
}

const show = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
};

const kindOf = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'list'
      : typeof value === 'object'
        ? 'mapping'
        : typeof value;

/** Deep equality of JSON values; objects compare every key (a key missing on one side is a difference). */
export function compareValues(expected: unknown, actual: unknown, path: Path = []): Difference[] {
  if (Array.isArray(expected) && Array.isArray(actual)) return compareLists(expected, actual, path);
  if (isPlainObject(expected) && isPlainObject(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
    return keys.flatMap((key) => {
      if (!(key in actual))
        return [{ path: [...path, key], message: `expected ${show(expected[key])}, got no such field` }];
      if (!(key in expected))
        return [{ path: [...path, key], message: `unexpected field, got ${show(actual[key])}` }];
      return compareValues(expected[key], actual[key], [...path, key]);
    });
  }
  if (Object.is(expected, actual)) return [];
  const kinds =
    kindOf(expected) !== kindOf(actual) ? ` (expected a ${kindOf(expected)}, got a ${kindOf(actual)})` : '';
  return [{ path, message: `expected ${show(expected)}, got ${show(actual)}${kinds}` }];
}

function compareLists(expected: unknown[], actual: unknown[], path: Path): Difference[] {
  const out: Difference[] = [];
  const shared = Math.min(expected.length, actual.length);
  for (let i = 0; i < shared; i++) out.push(...compareValues(expected[i], actual[i], [...path, i]));
  for (let i = shared; i < expected.length; i++)
    out.push({
      path: [...path, i],
      message: `expected ${show(expected[i])}, got nothing (${actual.length} item(s) in all)`,
    });
  for (let i = shared; i < actual.length; i++)
    out.push({
      path: [...path, i],
      message: `unexpected item ${show(actual[i])} (${expected.length} expected)`,
    });
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
