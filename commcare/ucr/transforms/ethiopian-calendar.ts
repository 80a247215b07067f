/**
 * Ethiopian ↔ Gregorian calendar conversion (the `ethiopian_date` package CommCare uses): both
 * calendars counted in Julian day numbers. The Ethiopian year has twelve months of 30 days and a
 * thirteenth (Pagume) of 5 days, 6 in a year before a leap year (year % 4 === 3).
 */
import { UcrDate } from '../values/kinds.js';

// Julian day number of 1 Meskerem 1 (Amete Mihret), and of 1970-01-01 (UcrDate day 0).
const ethiopianEpochJdn = 1_724_221;
const unixEpochJdn = 2_440_588;

/** True when day `d` of month `m` exists in Ethiopian year `y`. */
export function isEthiopianDate(y: number, m: number, d: number): boolean {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d) || y < 1) return false;
  if (m < 1 || m > 13 || d < 1) return false;
  return m < 13 ? d <= 30 : d <= (y % 4 === 3 ? 6 : 5);
}

/** The Gregorian date of an Ethiopian one, or null when the Ethiopian date does not exist. */
export function ethiopianToGregorian(y: number, m: number, d: number): UcrDate | null {
  if (!isEthiopianDate(y, m, d)) return null;
  const jdn = ethiopianEpochJdn + 365 * (y - 1) + Math.floor(y / 4) + 30 * (m - 1) + d - 1;
  const date = new UcrDate(jdn - unixEpochJdn);
  return date.year >= 1 && date.year <= 9999 ? date : null;
}

/** Days from 1 Meskerem 1 to 1 Meskerem of year `y`. */
const yearStart = (y: number): number => 365 * (y - 1) + Math.floor(y / 4);

/** The Ethiopian [year, month, day] of a Gregorian date. */
export function gregorianToEthiopian(date: UcrDate): [number, number, number] {
  const days = date.days + unixEpochJdn - ethiopianEpochJdn;
  let year = Math.floor((4 * days) / 1461) + 1;
  while (yearStart(year) > days) year--;
  while (yearStart(year + 1) <= days) year++;
  const dayOfYear = days - yearStart(year);
  return [year, Math.floor(dayOfYear / 30) + 1, (dayOfYear % 30) + 1];
}
