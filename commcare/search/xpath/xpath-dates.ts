/**
 * Calendar dates as case search uses them: `YYYY-MM-DD` text, days since 1970-01-01, the date of
 * an instant in a project's time zone, and the UTC instant at which a date begins there.
 */

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A valid `YYYY-MM-DD` as days since the epoch; undefined when the text is not one (2021-02-30 is not). */
export function parseIsoDate(text: string): number | undefined {
  const match = ISO_DATE.exec(text);
  if (!match) return undefined;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const ms = Date.UTC(y, m - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d)
    return undefined;
  return Math.round(ms / DAY_MS);
}

export function formatEpochDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Adds calendar months, clamping the day to the end of the month (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(day: number, months: number): number {
  const date = new Date(day * DAY_MS);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Math.round(Date.UTC(y, m, Math.min(date.getUTCDate(), lastDay)) / DAY_MS);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(ms: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
}

/** True when the runtime knows the IANA time zone name. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The calendar date (days since the epoch) of an instant in a time zone. */
export function epochDayIn(ms: number, timeZone: string): number {
  return Math.floor(wallClock(ms, timeZone) / DAY_MS);
}

/** The UTC instant (epoch ms) at which a date begins in a time zone. */
export function startOfDayIn(day: number, timeZone: string): number {
  const local = day * DAY_MS;
  let guess = local - (wallClock(local, timeZone) - local);
  // A second pass settles a guess that crossed a daylight-saving change.
  guess = local - (wallClock(guess, timeZone) - guess);
  return guess;
}
