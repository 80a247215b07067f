import { describe, expect, it } from 'vitest';
import { formatPercent } from './format-percent.js';

describe('formatPercent', () => {
  it('rounds the ratio to three places first, then prints a whole percent', () => {
    expect(formatPercent(2, 3, 'percent')).toBe('67%');
    expect(formatPercent(2, 3, 'decimal')).toBe(0.667);
    expect(formatPercent(2, 3, 'numeric_percent')).toBe(66);
    expect(formatPercent(2, 3, 'fraction')).toBe('2/3');
    expect(formatPercent(2, 3, 'both')).toBe('67% (2/3)');
  });

  it('rounds an exact half to even, as Python formats it', () => {
    expect(formatPercent(1, 8, 'percent')).toBe('12%');
    expect(formatPercent(3, 8, 'percent')).toBe('38%');
  });

  it('prints -- without a denominator and ? when a side is not a number', () => {
    expect(formatPercent(1, 0, 'percent')).toBe('--');
    expect(formatPercent(1, null, 'numeric_percent')).toBe('--');
    expect(formatPercent('x', 2, 'decimal')).toBe('?');
    expect(formatPercent(null, 0, 'both')).toBe('-- (None/0)');
  });
});
