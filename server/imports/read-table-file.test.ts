import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseCsv, readTableFile } from './read-table-file.js';

describe('readTableFile', () => {
  it('reads csv with quoted fields spanning lines and a BOM', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, y","line\nbreak"\r\n"say ""hi""",\r\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'line\nbreak'],
      ['say "hi"', ''],
    ]);
  });

  it('reads the first sheet of an xlsx with shared strings, inline strings and gaps', () => {
    const sheet = `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>village</t></is></c></row>
      <row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>5</v></c><c r="C2" t="inlineStr"><is><t>Bondo</t></is></c></row></sheetData></worksheet>`;
    const file = zipSync({
      'xl/worksheets/sheet1.xml': strToU8(sheet),
      'xl/sharedStrings.xml': strToU8('<sst><si><t>case_id</t></si><si><t>c1</t></si></sst>'),
    });
    expect(readTableFile('cases.xlsx', file)).toEqual({
      headers: ['case_id', '', 'village'],
      rows: [['c1', '5', 'Bondo']],
    });
  });

  it('refuses other files and empty ones, naming them', () => {
    expect(() => readTableFile('cases.pdf', new Uint8Array())).toThrow(
      'cases.pdf: expected an .xlsx or .csv file.',
    );
    expect(() => readTableFile('empty.csv', new Uint8Array())).toThrow('empty.csv is empty');
  });
});
