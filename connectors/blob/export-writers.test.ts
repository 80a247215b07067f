import { readFile } from 'node:fs/promises';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ExportDate } from '../../commcare/exports/index.js';
import { csvRow } from './csv-row.js';
import { exportFileStream } from './export-file-stream.js';
import { ExportSpool } from './export-spool.js';
import { columnLetters, excelSerial, sheetNames, xlsxRow } from './xlsx-parts.js';

async function bytesOf(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return Buffer.concat(all);
}

describe('xlsx parts', () => {
  it('names columns A…Z, AA… and dates as Excel serial days', () => {
    expect([0, 25, 26, 51, 701, 702].map(columnLetters)).toEqual(['A', 'Z', 'AA', 'AZ', 'ZZ', 'AAA']);
    expect(excelSerial(Date.parse('1970-01-01T00:00:00Z'))).toBe(25569);
    expect(excelSerial(Date.parse('2026-10-01T12:00:00Z'))).toBe(46296.5);
  });

  it('writes typed cells: numbers, booleans, dates with their style, inline strings escaped', () => {
    const row = xlsxRow(
      2,
      [5, true, new ExportDate(0, false), 'a<b & "c"', null, '=1+1'],
      ['A', 'B', 'C', 'D', 'E', 'F'],
    );
    expect(row).toBe(
      '<row r="2"><c r="A2"><v>5</v></c><c r="B2" t="b"><v>1</v></c><c r="C2" s="1"><v>25569</v></c>' +
        '<c r="D2" t="inlineStr"><is><t xml:space="preserve">a&lt;b &amp; &quot;c&quot;</t></is></c>' +
        '<c r="F2" t="inlineStr"><is><t xml:space="preserve">=1+1</t></is></c></row>',
    );
  });

  it('makes sheet names Excel accepts: 31 characters, no []:*?/\\, unique', () => {
    expect(sheetNames(['Cases', 'cases', 'a/b', 'x'.repeat(40)])).toEqual([
      'Cases',
      'cases (2)',
      'a b',
      'x'.repeat(31),
    ]);
  });
});

describe('csvRow', () => {
  it('quotes what needs quoting and neutralises formulas', () => {
    expect(csvRow(['a,b', 'say "hi"', '=HYPERLINK("x")', -5, false, null, new ExportDate(0, true)])).toBe(
      '"a,b","say ""hi""","\'=HYPERLINK(""x"")",-5,False,,1970-01-01 00:00:00\r\n',
    );
  });
});

describe('ExportSpool and exportFileStream', () => {
  it('continues a table on a new sheet past the row limit, each sheet with its header', async () => {
    const spool = await ExportSpool.create('xlsx', [{ label: 'Cases', headers: ['id'] }], 2);
    for (const id of ['a', 'b', 'c', 'd', 'e']) spool.write(0, [id]);
    const parts = await spool.finish();
    expect(parts.map((p) => p.rows)).toEqual([2, 2, 1]);
    const files = unzipSync(await bytesOf(exportFileStream('xlsx', parts, spool.tables)));
    expect(strFromU8(files['xl/workbook.xml']!)).toContain('<sheet name="Cases (3)"');
    const third = strFromU8(files['xl/worksheets/sheet3.xml']!);
    expect(third).toContain('<row r="1"><c r="A1" s="3" t="inlineStr"><is><t xml:space="preserve">id</t>');
    expect(third).toContain('<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">e</t>');
    await spool.dispose();
  });

  it('zips one csv per table, and writes json lines with the table of each row', async () => {
    const tables = [
      { label: 'Visits', headers: ['number', 'formid'] },
      { label: 'Medications', headers: ['number', 'name'] },
    ];
    const csv = await ExportSpool.create('csv', tables);
    csv.write(0, ['0', 'f1']);
    csv.write(1, ['0.0', 'ors']);
    const files = unzipSync(await bytesOf(exportFileStream('csv', await csv.finish(), tables)));
    expect(Object.keys(files)).toEqual(['Visits.csv', 'Medications.csv']);
    expect(strFromU8(files['Medications.csv']!)).toBe('number,name\r\n0.0,ors\r\n');
    const json = await ExportSpool.create('json', tables);
    json.write(1, ['0.0', 'ors']);
    const text = (await bytesOf(exportFileStream('json', await json.finish(), tables))).toString();
    expect(JSON.parse(text)).toEqual({ table: 'Medications', row: { number: '0.0', name: 'ors' } });
    await csv.dispose();
    await json.dispose();
    // The spool's folder is gone after dispose.
    await expect(readFile(`${json.dir}/part-0`)).rejects.toThrow();
  });
});
