import { describe, expect, it } from 'vitest';
import { addMonths, epochDayIn, formatEpochDay, parseIsoDate, startOfDayIn } from './xpath-dates.js';

describe('case search dates', () => {
  it('reads only real YYYY-MM-DD dates', () => {
    expect(formatEpochDay(parseIsoDate('2024-02-29')!)).toBe('2024-02-29');
    expect(parseIsoDate('2023-02-29')).toBeUndefined();
    expect(parseIsoDate('2024-2-1')).toBeUndefined();
  });

  it('adds months clamping to the end of the month', () => {
    expect(formatEpochDay(addMonths(parseIsoDate('2024-01-31')!, 1))).toBe('2024-02-29');
    expect(formatEpochDay(addMonths(parseIsoDate('2024-03-31')!, -1))).toBe('2024-02-29');
    expect(formatEpochDay(addMonths(parseIsoDate('2024-02-29')!, 12))).toBe('2025-02-28');
  });

  it('finds the date of an instant and the start of a day in a time zone, across daylight saving', () => {
    expect(formatEpochDay(epochDayIn(Date.UTC(2024, 2, 10, 22, 30), 'Africa/Nairobi'))).toBe('2024-03-11');
    expect(new Date(startOfDayIn(parseIsoDate('2024-03-11')!, 'Asia/Seoul')).toISOString()).toBe(
      '2024-03-10T15:00:00.000Z',
    );
    // New York moves to daylight time on 2024-03-10 at 02:00; the day begins at 05:00 UTC, the next at 04:00.
    expect(new Date(startOfDayIn(parseIsoDate('2024-03-10')!, 'America/New_York')).toISOString()).toBe(
      '2024-03-10T05:00:00.000Z',
    );
    expect(new Date(startOfDayIn(parseIsoDate('2024-03-11')!, 'America/New_York')).toISOString()).toBe(
      '2024-03-11T04:00:00.000Z',
    );
  });
});
