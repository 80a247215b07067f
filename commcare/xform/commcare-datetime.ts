/**
 * Dates and times as CommCare reads them from devices: the `iso8601` package's grammar
 * (`parse_date`, used for a case block's `date_modified`, `date_opened` and the form's times) and
 * couchforms' `adjust_datetimes`, which rewrites every datetime-looking answer of the form JSON
 * (and so every case property taken from it) as UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
 */

/** Epoch microseconds of a date-time in the iso8601 package's grammar, or null. */
export function parseIso8601Micros(value: string): number | null {
  // YYYY[-M[M]][-D[D]] or YYYYMMDD, then [ T]HH[[:]MM[[:]S[S][.,fraction]]] and Z or ±HH[[:]MM].
  const match =
    /^(\d{4})(?:(?:-(\d{1,2})|(\d{2})(?!$))(?:(?:-(\d{1,2})|(\d{2}))(?:([ T])(\d{2})(?::?(\d{2}))?(?::?(\d{1,2})(?:[.,](\d+))?)?(Z|([-+])(\d{2}):?(\d{2})?)?)?)?)?$/.exec(
      value,
    );
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2] ?? match[3] ?? 1);
  const day = Number(match[4] ?? match[5] ?? 1);
  const hour = Number(match[7] ?? 0);
  const minute = Number(match[8] ?? 0);
  const second = Number(match[9] ?? 0);
  const micros = Number((match[10] ?? '').slice(0, 6).padEnd(6, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth =
    month === 2 ? (leap ? 29 : 28) : [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day > daysInMonth || year < 1) return null;
  let offsetMinutes = 0;
  if (match[12] !== undefined) {
    const tzHour = Number(match[13]);
    const tzMinute = Number(match[14] ?? 0);
    if (tzHour > 23 || tzMinute > 59) return null;
    offsetMinutes = (match[12] === '-' ? -1 : 1) * (tzHour * 60 + tzMinute);
  }
  // setUTCFullYear, because Date.UTC reads years 0–99 as 1900–1999.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year);
  return (date.getTime() - offsetMinutes * 60_000) * 1000 + micros;
}

/** Epoch milliseconds of a device date-time (see `parseIso8601Micros`), or null. */
export function parseDeviceDateMs(value: string): number | null {
  const micros = parseIso8601Micros(value.trim());
  return micros === null ? null : Math.floor(micros / 1000);
}

// couchforms' re_loose_datetime: a date and a time (seconds, fraction and zone optional).
const looseDatetime =
  /^\d{4}\D?(0[1-9]|1[0-2])\D?([12]\d|0[1-9]|3[01])[ T]([01]\d|2[0-3])\D?[0-5]\d\D?([0-5]\d)?\D?(\d{3,6})?([zZ]|[+-]([01]\d|2[0-3])\D?([0-5]\d)?)?$/;

/** CommCare's JSON datetime format: UTC, six fraction digits, Z. */
export function formatCommCareMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString();
  const fraction = String(((micros % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

/**
 * `adjust_datetimes` for one answer: a datetime-looking string the iso8601 grammar reads becomes
 * UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`; anything else (dates, times, text, unreadable) is unchanged.
 */
export function adjustDatetime(text: string): string {
  if (!looseDatetime.test(text)) return text;
  const micros = parseIso8601Micros(text);
  return micros === null ? text : formatCommCareMicros(micros);
}
