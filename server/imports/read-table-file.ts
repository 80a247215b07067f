/**
 * The rows of an uploaded table (the first sheet of an xlsx, or a csv), as text: the first row is the
 * header. Cells of a row a spreadsheet left out are ''. Throws TableFileError naming what is wrong.
 */
import { unzipSync, strFromU8 } from 'fflate';
import { SaxesParser } from 'saxes';

export class TableFileError extends Error {
  override readonly name = 'TableFileError';
}

export interface TableFile {
  headers: string[];
  rows: string[][];
}

/** RFC 4180, with quoted fields spanning lines; a BOM is dropped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const input = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new TableFileError('The csv ends inside a quoted field.');
  if (field !== '' || row.length) rows.push([...row, field]);
  return rows.filter((r) => r.some((cell) => cell !== ''));
}

function columnIndex(ref: string): number {
  const letters = /^[A-Z]+/.exec(ref)?.[0] ?? 'A';
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

function sheetRows(xml: string, shared: string[]): string[][] {
  const rows: string[][] = [];
  const parser = new SaxesParser();
  let row: string[] | null = null;
  let cell: { index: number; type: string; text: string } | null = null;
  let inValue = false;
  let next = 0;
  parser.on('opentag', (tag) => {
    if (tag.name === 'row') {
      row = [];
      next = 0;
    } else if (tag.name === 'c' && row) {
      const ref = tag.attributes.r;
      cell = {
        index: typeof ref === 'string' ? columnIndex(ref) : next,
        type: String(tag.attributes.t ?? 'n'),
        text: '',
      };
    } else if ((tag.name === 'v' || tag.name === 't') && cell) inValue = true;
  });
  parser.on('text', (text) => {
    if (inValue && cell) cell.text += text;
  });
  parser.on('closetag', (tag) => {
    if (tag.name === 'v' || tag.name === 't') inValue = false;
    else if (tag.name === 'c' && row && cell) {
      const value =
        cell.type === 's'
          ? (shared[Number(cell.text)] ?? '')
          : cell.type === 'b'
            ? cell.text === '1'
              ? 'true'
              : 'false'
            : cell.text;
      while (row.length < cell.index) row.push('');
      row[cell.index] = value;
      next = cell.index + 1;
      cell = null;
    } else if (tag.name === 'row' && row) {
      rows.push(row);
      row = null;
    }
  });
  parser.write(xml).close();
  return rows.filter((r) => r.some((c) => c !== ''));
}

function sharedStrings(xml: string | undefined): string[] {
  if (!xml) return [];
  const strings: string[] = [];
  const parser = new SaxesParser();
  let current: string | null = null;
  let inText = false;
  parser.on('opentag', (tag) => {
    if (tag.name === 'si') current = '';
    else if (tag.name === 't') inText = true;
  });
  parser.on('text', (text) => {
    if (inText && current !== null) current += text;
  });
  parser.on('closetag', (tag) => {
    if (tag.name === 't') inText = false;
    else if (tag.name === 'si') {
      strings.push(current ?? '');
      current = null;
    }
  });
  parser.write(xml).close();
  return strings;
}

export function readTableFile(name: string, data: Uint8Array): TableFile {
  let rows: string[][];
  if (/\.xlsx$/i.test(name)) {
    let files: Record<string, Uint8Array>;
    try {
      files = unzipSync(data, {
        filter: (f) => f.name.startsWith('xl/worksheets/sheet') || f.name === 'xl/sharedStrings.xml',
      });
    } catch (error) {
      throw new TableFileError(`${name} is not an xlsx file (${(error as Error).message}).`);
    }
    const first = Object.keys(files)
      .filter((f) => /^xl\/worksheets\/sheet\d+\.xml$/.test(f))
      .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))[0];
    if (!first) throw new TableFileError(`${name} has no worksheet.`);
    const shared = files['xl/sharedStrings.xml'];
    rows = sheetRows(strFromU8(files[first]!), sharedStrings(shared ? strFromU8(shared) : undefined));
  } else if (/\.csv$/i.test(name)) {
    rows = parseCsv(Buffer.from(data).toString('utf8'));
  } else {
    throw new TableFileError(`${name}: expected an .xlsx or .csv file.`);
  }
  const [headers, ...body] = rows;
  if (!headers) throw new TableFileError(`${name} is empty: expected a header row.`);
  return { headers: headers.map((h) => h.trim()), rows: body.map((r) => headers.map((_, i) => r[i] ?? '')) };
}
