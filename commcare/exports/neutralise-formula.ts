/**
 * Spreadsheet formula injection: a cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return is run as a formula by Excel, LibreOffice and Google Sheets when a csv is opened. Such text
 * gets a leading apostrophe (OWASP's advice), which spreadsheets show as text. Numbers are never
 * text here, so `-5` as a number is untouched.
 */
const formulaStart = /^[=+\-@\t\r]/;

export function neutraliseFormula(text: string): string {
  return formulaStart.test(text) ? `'${text}` : text;
}
