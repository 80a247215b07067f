import { describe, expect, it } from 'vitest';
import { ratioSpread, round3, spread } from './spread.js';

describe('spread', () => {
  it('gives min, median and max, keeping the runs in the order measured', () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3, runs: [3, 1, 2] });
  });

  it('takes the mean of the two middle values for an even count', () => {
    expect(spread([4, 1, 3, 2]).median).toBe(2.5);
  });

  it('pairs ratios repeat by repeat', () => {
    expect(ratioSpread([2, 9], [4, 10]).runs).toEqual([0.5, 0.9]);
  });

  it('rounds to three significant digits', () => {
    expect([round3(123456), round3(0.123456), round3(1.23456)]).toEqual([123456, 0.123, 1.23]);
  });
});
