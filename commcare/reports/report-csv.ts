/** A report as CSV (RFC 4180): a header row of display names, the rows, then the total row if any. */
import type { ReportOutput } from './compile-report.js';
import { neutralizeFormula } from '../spreadsheet/index.js';
import { valueText } from './value-text.js';

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = neutralizeFormula(
    Array.isArray(value) ? value.map((item) => valueText(item)).join(' ') : valueText(value),
  );
  // Quote when the text holds a delimiter, a quote or a line break; quotes inside are doubled.
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const line = (values: readonly unknown[]) => values.map(cell).join(',') + '\r\n';

/** The CSV text, CRLF line ends, every record (the header included) ending in CRLF. */
export function reportCsv(output: Pick<ReportOutput, 'columns' | 'rows' | 'total_row'>): string {
  let csv = line(output.columns.map((column) => column.display));
  for (const row of output.rows) csv += line(output.columns.map((column) => row[column.id]));
  if (output.total_row) csv += line(output.total_row);
  return csv;
}
