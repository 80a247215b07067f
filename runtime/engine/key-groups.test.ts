import { describe, expect, it } from 'vitest';
import { keyGroups } from './key-groups.js';

const records = (keys: (string | null)[]) => keys.map((key, i) => ({ key, i }));

describe('keyGroups', () => {
  it('keeps every record of a key in one group, in the order it came', () => {
    const groups = keyGroups(records(['a', 'b', 'a', 'c', 'b', 'a', null, null]), 2);
    for (const key of ['a', 'b', 'c', null]) {
      const holding = groups.filter((g) => g.some((r) => r.key === key));
      expect(holding).toHaveLength(1);
      const order = holding[0]!.filter((r) => r.key === key).map((r) => r.i);
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
  });

  it('spreads keys over at most the given number of groups, about evenly', () => {
    const groups = keyGroups(records(Array.from({ length: 400 }, (_, i) => `k${i % 100}`)), 8);
    expect(groups).toHaveLength(8);
    const sizes = groups.map((g) => g.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(4);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(400);
  });

  it('makes one group of a batch with one key', () => {
    expect(keyGroups(records(['a', 'a', 'a']), 4)).toHaveLength(1);
  });
});
