import { describe, expect, it } from 'vitest';
import { LagClock } from './lag-clock.js';

describe('LagClock', () => {
  it('reports the age of the first record of a batch still being processed, growing with time', () => {
    const clock = new LagClock();
    clock.arrived('0', 1_000);
    expect(clock.read(4_000, ['0']).get('0')).toBe(3);
    expect(clock.read(9_000, ['0']).get('0')).toBe(8);
  });

  it('is 0 once a lane is caught up, and the last processed record stands in while it is not', () => {
    const clock = new LagClock();
    clock.arrived('0', 1_000);
    clock.processed('0', 2_000, false);
    expect(clock.read(5_000, ['0']).get('0')).toBe(3);
    clock.arrived('0', 2_500);
    clock.processed('0', 4_000, true);
    expect(clock.read(5_000, ['0']).get('0')).toBe(0);
  });

  it('keeps the oldest time when a later batch arrives before the earlier one is done', () => {
    const clock = new LagClock();
    clock.arrived('0', 1_000);
    clock.arrived('0', 3_000);
    expect(clock.read(5_000, ['0', '1'])).toEqual(
      new Map([
        ['0', 4],
        ['1', 0],
      ]),
    );
  });
});
