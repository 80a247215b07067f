import { describe, expect, it } from 'vitest';
import { compareValues } from './compare.js';

describe('compareValues', () => {
  it('finds nothing between equal documents', () => {
    expect(compareValues({ a: [1, { b: 'x' }], c: null }, { a: [1, { b: 'x' }], c: null })).toEqual([]);
  });

  it('names the path of a changed value, with both values', () => {
    expect(compareValues({ rows: [{ owner: 'u1' }] }, { rows: [{ owner: 'u2' }] })).toEqual([
      { path: ['rows', 0, 'owner'], message: 'expected "u1", got "u2"' },
    ]);
  });

  it('says when the kinds differ (a number against decimal text)', () => {
    expect(compareValues(37.5, '37.5')[0]!.message).toBe(
      'expected 37.5, got "37.5" (expected a number, got a string)',
    );
  });

  it('reports missing and extra fields and items', () => {
    expect(compareValues({ a: 1, b: [1, 2] }, { c: 2, b: [1] }).map((d) => d.path.join('.'))).toEqual([
      'a',
      'b.1',
      'c',
    ]);
    expect(compareValues([1], [1, 2])[0]!.message).toBe('unexpected item 2 (1 expected)');
  });
});
