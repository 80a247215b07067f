/** One csv line (RFC 4180), with text a spreadsheet would run as a formula neutralised. */
import { cellText, neutraliseFormula, type ExportCell } from '../../commcare/exports/index.js';

const needsQuotes = /[",\r\n]/;

export function csvField(cell: ExportCell): string {
  const text = typeof cell === 'string' ? neutraliseFormula(cell) : cellText(cell);
  return needsQuotes.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: readonly ExportCell[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += (i ? ',' : '') + csvField(cells[i]!);
  return `${line}\r\n`;
}
