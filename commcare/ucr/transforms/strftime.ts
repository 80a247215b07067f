/** Python's `date.strftime` / `datetime.strftime` for the directives reports and transforms use. */
import { UcrDate, UcrDateTime } from '../values/kinds.js';

/** English month names, January first (Python's %B). */
export const monthNames = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const dayNames = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** Calendar fields of a date or naive datetime. */
export interface DateParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour?: number;
  readonly minute?: number;
  readonly second?: number;
  readonly microsecond?: number;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');
const weekday = (d: DateParts) => (UcrDate.of(d.year, d.month, d.day)!.days + 3) % 7;
const dayOfYear = (d: DateParts) =>
  UcrDate.of(d.year, d.month, d.day)!.days - UcrDate.of(d.year, 1, 1)!.days + 1;

const directives: Record<string, (d: DateParts) => string> = {
  Y: (d) => pad(d.year, 4),
  y: (d) => pad(d.year % 100),
  m: (d) => pad(d.month),
  d: (d) => pad(d.day),
  B: (d) => monthNames[d.month - 1] ?? '',
  b: (d) => (monthNames[d.month - 1] ?? '').slice(0, 3),
  A: (d) => dayNames[weekday(d)]!,
  a: (d) => dayNames[weekday(d)]!.slice(0, 3),
  j: (d) => pad(dayOfYear(d), 3),
  H: (d) => pad(d.hour ?? 0),
  I: (d) => pad((((d.hour ?? 0) + 11) % 12) + 1),
  p: (d) => ((d.hour ?? 0) < 12 ? 'AM' : 'PM'),
  M: (d) => pad(d.minute ?? 0),
  S: (d) => pad(d.second ?? 0),
  f: (d) => pad(d.microsecond ?? 0, 6),
  '%': () => '%',
};

/** The directives `strftime` knows, for error messages. */
export const strftimeDirectives = Object.keys(directives).map((key) => `%${key}`);

/** Null when every directive in the format is supported, else the first unsupported one. */
export function unsupportedStrftimeDirective(format: string): string | null {
  for (const match of format.matchAll(/%(.?)/gs)) {
    if (!(match[1]! in directives)) return `%${match[1]}`;
  }
  return null;
}

/** Formats like Python's `strftime` for the directives above (English names). */
export function strftime(parts: DateParts, format: string): string {
  return format.replace(/%(.?)/gs, (whole, directive: string) => directives[directive]?.(parts) ?? whole);
}

/** The calendar fields of a UCR date or datetime, or null for any other value. */
export function partsOf(value: unknown): DateParts | null {
  if (value instanceof UcrDate) return { year: value.year, month: value.month, day: value.day };
  if (value instanceof UcrDateTime) {
    const date = value.date();
    const [hour, minute, second, microsecond] = value.clock();
    return { year: date.year, month: date.month, day: date.day, hour, minute, second, microsecond };
  }
  return null;
}

/** Calendar fields of `YYYY-MM-DD` or `YYYY-MM-DD[T ]HH:MM:SS…` text, or null for anything else. */
export function parseDateParts(value: unknown): DateParts | null {
  if (typeof value !== 'string') return partsOf(value);
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2}))?/.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  if (!UcrDate.of(year!, month!, day!)) return null;
  return { year: year!, month: month!, day: day!, hour: hour ?? 0, minute: minute ?? 0, second: second ?? 0 };
}
