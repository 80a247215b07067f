/**
 * CSV and spreadsheet formula injection (CWE-1236): a cell whose text begins with `=`, `+`, `-`,
 * `@`, a tab or a carriage return is run as a formula by Excel, LibreOffice and Google Sheets when
 * the file is opened, so a case property `=HYPERLINK("http://evil", "click")` written by a device
 * becomes a live link (or worse, DDE) on the analyst's desktop. OWASP's remedy: prefix such a cell
 * with a single quote, which every spreadsheet reads as "this is text". Numbers stay numbers: a
 * cell that is a plain decimal number (`-12.5`, `+3`, `1e-3`) is no formula and is left as it is.
 *
 * The one function every CSV and spreadsheet writer of the project uses for its text cells
 * (reports' CSV, exports' CSV and .xlsx).
 */

const formulaStart = new Set(['=', '+', '-', '@', '\t', '\r']);
const plainNumber = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The text as a spreadsheet must receive it: unchanged, or with a leading `'` when it would run as a formula. */
export function neutralizeFormula(text: string): string {
  if (text.length === 0 || !formulaStart.has(text[0]!)) return text;
  if (plainNumber.test(text)) return text;
  return `'${text}`;
}
