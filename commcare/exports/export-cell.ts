/** What one cell of an export holds: text, a number, a boolean, a date, or nothing. */

/** A date or date-time cell: written as a real date in xlsx, as CommCare's text in csv and json. */
export class ExportDate {
  constructor(
    /** UTC epoch milliseconds. */
    readonly ms: number,
    /** False for a date without a time of day. */
    readonly hasTime: boolean,
  ) {}

  /** `2026-10-01` or `2026-10-01 08:30:00`, as Python prints a date or datetime. */
  toString(): string {
    const iso = new Date(this.ms).toISOString();
    return this.hasTime ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso.slice(0, 10);
  }
}

export type ExportCell = string | number | boolean | ExportDate | null;

/** CommCare's MISSING_VALUE: what a column shows when the document has no value at its path. */
export const MISSING_VALUE = '---';
/** CommCare's EMPTY_VALUE: a group (an object without `#text`) at a column's path. */
export const EMPTY_VALUE = '';

/** A cell as text, the way csv and json lines write it. */
export function cellText(cell: ExportCell): string {
  if (cell === null) return '';
  if (typeof cell === 'boolean') return cell ? 'True' : 'False';
  return String(cell);
}
