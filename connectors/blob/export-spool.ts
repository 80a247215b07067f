/**
 * Rows of an export's tables, written as they come to one temporary file per sheet (per table, and
 * a new sheet every `maxRowsPerSheet` rows for xlsx) in the final format's row encoding. Memory holds
 * one buffer per table, whatever the export's size; `flush` waits for the disk (backpressure).
 * export-file-stream.ts then assembles the parts into the file.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportDate, type ExportCell } from '../../commcare/exports/index.js';
import { csvRow } from './csv-row.js';
import { columnLetters, xlsxMaxRows, xlsxRow } from './xlsx-parts.js';

export type ExportFormat = 'xlsx' | 'csv' | 'json';

export interface SpoolTable {
  label: string;
  headers: string[];
}

/** One sheet (xlsx) or file (csv) or section (json) of the result. */
export interface SpoolPart {
  tableIndex: number;
  /** 1 for the first sheet of a table, 2… for its continuations. */
  sequence: number;
  file: string;
  rows: number;
}

interface OpenPart extends SpoolPart {
  stream: WriteStream;
  pending: string;
  letters: string[];
}

const flushAtChars = 256 * 1024;

export class ExportSpool {
  private readonly open: OpenPart[] = [];
  private readonly done: SpoolPart[] = [];
  private fileCount = 0;

  private constructor(
    readonly dir: string,
    readonly format: ExportFormat,
    readonly tables: readonly SpoolTable[],
    private readonly maxRowsPerSheet: number,
  ) {
    tables.forEach((_, i) => this.open.push(this.newPart(i, 1)));
  }

  /** A spool in a fresh temporary folder; `maxRowsPerSheet` counts data rows (the header is extra). */
  static async create(
    format: ExportFormat,
    tables: readonly SpoolTable[],
    maxRowsPerSheet = xlsxMaxRows - 1,
  ): Promise<ExportSpool> {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-export-'));
    return new ExportSpool(dir, format, tables, maxRowsPerSheet);
  }

  private newPart(tableIndex: number, sequence: number): OpenPart {
    const file = join(this.dir, `part-${this.fileCount++}`);
    const headers = this.tables[tableIndex]!.headers;
    return {
      tableIndex,
      sequence,
      file,
      rows: 0,
      stream: createWriteStream(file),
      pending: '',
      letters: headers.map((_, i) => columnLetters(i)),
    };
  }

  /** Appends one row; call `flush` between pages so the disk keeps up. */
  write(tableIndex: number, cells: readonly ExportCell[]): void {
    let part = this.open[tableIndex]!;
    if (this.format === 'xlsx' && part.rows >= this.maxRowsPerSheet) {
      this.retire(part);
      part = this.newPart(tableIndex, part.sequence + 1);
      this.open[tableIndex] = part;
    }
    part.rows++;
    part.pending += this.encode(part, cells);
    if (part.pending.length >= flushAtChars) {
      part.stream.write(part.pending);
      part.pending = '';
    }
  }

  private encode(part: OpenPart, cells: readonly ExportCell[]): string {
    if (this.format === 'xlsx') return xlsxRow(part.rows + 1, cells, part.letters);
    if (this.format === 'csv') return csvRow(cells);
    const headers = this.tables[part.tableIndex]!.headers;
    const row: Record<string, unknown> = {};
    headers.forEach((header, i) => {
      const cell = cells[i] ?? null;
      row[header] = cell instanceof ExportDate ? cell.toString() : cell;
    });
    return `${JSON.stringify({ table: this.tables[part.tableIndex]!.label, row })}\n`;
  }

  private retire(part: OpenPart): void {
    if (part.pending) part.stream.write(part.pending);
    part.pending = '';
    part.stream.end();
    this.done.push({
      tableIndex: part.tableIndex,
      sequence: part.sequence,
      file: part.file,
      rows: part.rows,
    });
  }

  /** Resolves once every buffered row is handed to the disk and no stream is over its high-water mark. */
  async flush(): Promise<void> {
    await Promise.all(
      this.open.map(async (part) => {
        if (part.pending) {
          const ok = part.stream.write(part.pending);
          part.pending = '';
          if (!ok) await new Promise<void>((resolve) => part.stream.once('drain', () => resolve()));
        }
      }),
    );
  }

  /** Ends every part; resolves with all of them in table order, continuations after their first sheet. */
  async finish(): Promise<SpoolPart[]> {
    for (const part of this.open) this.retire(part);
    await Promise.all(
      this.open.map(
        (part) =>
          new Promise<void>((resolve, reject) => {
            if (part.stream.writableFinished) return resolve();
            part.stream.once('finish', () => resolve());
            part.stream.once('error', reject);
          }),
      ),
    );
    this.open.length = 0;
    return [...this.done].sort((a, b) => a.tableIndex - b.tableIndex || a.sequence - b.sequence);
  }

  /** Removes the temporary folder. */
  async dispose(): Promise<void> {
    for (const part of this.open) part.stream.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
