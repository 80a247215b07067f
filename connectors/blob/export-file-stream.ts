/**
 * The export file assembled from its spooled parts, as a stream of chunks: xlsx (a zip of the
 * workbook parts, one worksheet per part), csv (a zip of one file per table) or json lines. Each
 * part is read from disk and deflated by zlib as it streams (zip-stream.ts), so memory stays flat; the same parts can be
 * streamed again when an upload is retried.
 */
import { createReadStream } from 'node:fs';
import { csvRow } from './csv-row.js';
import { zipStream, type ZipEntry } from './zip-stream.js';
import type { ExportFormat, SpoolPart, SpoolTable } from './export-spool.js';
import {
  contentTypesXml,
  columnLetters,
  rootRelsXml,
  sheetEnd,
  sheetNames,
  sheetStart,
  stylesXml,
  workbookRelsXml,
  workbookXml,
  xlsxRow,
} from './xlsx-parts.js';

export const exportContentTypes: Record<ExportFormat, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'application/zip',
  json: 'application/x-ndjson',
};

export const exportExtensions: Record<ExportFormat, string> = { xlsx: 'xlsx', csv: 'zip', json: 'jsonl' };

type Entry = ZipEntry;

async function* fileChunks(file: string): AsyncIterable<Buffer> {
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) yield chunk as Buffer;
}

function sheetLabels(parts: readonly SpoolPart[], tables: readonly SpoolTable[]): string[] {
  return sheetNames(
    parts.map((part) => {
      const label = tables[part.tableIndex]!.label;
      return part.sequence === 1 ? label : `${label} (${part.sequence})`;
    }),
  );
}

function xlsxEntries(parts: readonly SpoolPart[], tables: readonly SpoolTable[]): Entry[] {
  const once = (text: string) =>
    function* () {
      yield text;
    };
  const sheets: Entry[] = parts.map((part, i) => {
    const headers = tables[part.tableIndex]!.headers;
    return {
      name: `xl/worksheets/sheet${i + 1}.xml`,
      chunks: async function* () {
        yield sheetStart(headers.length);
        yield xlsxRow(
          1,
          headers,
          headers.map((_, c) => columnLetters(c)),
          true,
        );
        yield* fileChunks(part.file);
        yield sheetEnd;
      },
    };
  });
  return [
    { name: '[Content_Types].xml', chunks: once(contentTypesXml(parts.length)) },
    { name: '_rels/.rels', chunks: once(rootRelsXml) },
    { name: 'xl/workbook.xml', chunks: once(workbookXml(sheetLabels(parts, tables))) },
    { name: 'xl/_rels/workbook.xml.rels', chunks: once(workbookRelsXml(parts.length)) },
    { name: 'xl/styles.xml', chunks: once(stylesXml) },
    ...sheets,
  ];
}

function csvEntries(parts: readonly SpoolPart[], tables: readonly SpoolTable[]): Entry[] {
  const names = sheetLabels(parts, tables);
  return parts.map((part, i) => ({
    name: `${names[i]}.csv`,
    chunks: async function* () {
      yield csvRow(tables[part.tableIndex]!.headers);
      yield* fileChunks(part.file);
    },
  }));
}

/** The whole file, chunk by chunk; iterate again for another copy. */
export async function* exportFileStream(
  format: ExportFormat,
  parts: readonly SpoolPart[],
  tables: readonly SpoolTable[],
  deflateLevel = 1,
): AsyncIterable<Buffer> {
  if (format === 'json') {
    for (const part of parts) yield* fileChunks(part.file);
    return;
  }
  yield* zipStream(format === 'xlsx' ? xlsxEntries(parts, tables) : csvEntries(parts, tables), deflateLevel);
}
