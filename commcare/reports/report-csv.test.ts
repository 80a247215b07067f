import { describe, expect, it } from 'vitest';
import { reportCsv } from './report-csv.js';

describe('reportCsv', () => {
  it('writes a header of display names, CRLF records and the total row', () => {
    const csv = reportCsv({
      columns: [
        { id: 'v', display: 'Village', type: 'field' },
        { id: 'n', display: 'Count', type: 'field' },
      ],
      rows: [
        { v: 'Alpha', n: 2 },
        { v: null, n: 0 },
      ],
      total_row: ['Total', 2],
    });
    expect(csv).toBe('Village,Count\r\nAlpha,2\r\n,0\r\nTotal,2\r\n');
  });

  it('quotes fields holding commas, quotes or line breaks, doubling quotes', () => {
    const csv = reportCsv({
      columns: [{ id: 'a', display: 'Name, "full"', type: 'field' }],
      rows: [{ a: 'line\nbreak' }, { a: 'cr\rhere' }, { a: ['x', 'y'] }, { a: 'plain' }],
      total_row: null,
    });
    expect(csv).toBe('"Name, ""full"""\r\n"line\nbreak"\r\n"cr\rhere"\r\nx y\r\nplain\r\n');
  });

  it('writes formulas in data and headers as text, and numbers as numbers', () => {
    const csv = reportCsv({
      columns: [
        { id: 'name', display: '=cmd', type: 'field' },
        { id: 'n', display: 'Count', type: 'field' },
      ],
      rows: [
        { name: '=HYPERLINK("http://evil.example","click")', n: -3 },
        { name: '@SUM(A1)', n: '-2.5' },
      ],
      total_row: ['+1', -1],
    });
    expect(csv).toBe(
      `'=cmd,Count\r\n"'=HYPERLINK(""http://evil.example"",""click"")",-3\r\n'@SUM(A1),-2.5\r\n+1,-1\r\n`,
    );
  });
});
