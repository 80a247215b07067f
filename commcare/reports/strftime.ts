/** The part of Python's strftime a report needs for months and dates, checked before use. */

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

/** Calendar fields of a date or naive datetime. */
export interface DateParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour?: number;
  readonly minute?: number;
  readonly second?: number;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

const directives: Record<string, (d: DateParts) => string> = {
  Y: (d) => pad(d.year, 4),
  y: (d) => pad(d.year % 100),
  m: (d) => pad(d.month),
  d: (d) => pad(d.day),
  B: (d) => monthNames[d.month - 1] ?? '',
  b: (d) => (monthNames[d.month - 1] ?? '').slice(0, 3),
  H: (d) => pad(d.hour ?? 0),
  M: (d) => pad(d.minute ?? 0),
  S: (d) => pad(d.second ?? 0),
  '%': () => '%',
};

/** The directives `strftime` knows, for error messages. */
export const strftimeDirectives = Object.keys(directives).map((key) => `%${key}`);

/** Null when every directive in the format is supported, else the first unsupported one. */
export function unsupportedStrftimeDirective(format: string): string | null {
  for (const match of format.matchAll(/%(.?)/g)) {
    if (!(match[1]! in directives)) return `%${match[1]}`;
  }
  return null;
}

/** Formats like Python's `date.strftime` for the directives above (English month names). */
export function strftime(parts: DateParts, format: string): string {
  return format.replace(/%(.?)/g, (whole, directive: string) => directives[directive]?.(parts) ?? whole);
}

/** Calendar fields of `YYYY-MM-DD` or `YYYY-MM-DD[T ]HH:MM:SS…` text, or null for anything else. */
export function parseDateParts(value: unknown): DateParts | null {
  if (typeof value !== 'string') return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2}))?/.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return { year: year!, month: month!, day: day!, hour: hour ?? 0, minute: minute ?? 0, second: second ?? 0 };
}
