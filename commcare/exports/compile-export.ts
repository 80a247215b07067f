/**
 * An export instance compiled into tables of rows: for each selected table, its headers and the rows
 * a document gives (one for the main table; one per iteration of a repeat group, found as CommCare's
 * TableConfiguration._get_sub_documents does). Pure: lookups are answered by the caller in batches.
 */
import { compileColumn, getPath, type CompiledColumn } from './compile-column.js';
import type { ExportCell } from './export-cell.js';
import type { ExportInstance, PathNode, TableConfiguration } from './export-instance.js';
import { emptyLookupKeys, type ExportLookupKeys, type ExportLookups } from './export-lookups.js';

type Json = Record<string, unknown>;

export interface CompiledTable {
  label: string;
  headers: string[];
  /** The rows of one document; `docIndex` is its position in the export (CommCare's row number). */
  rows(doc: Json, docIndex: number, lookups: ExportLookups): ExportCell[][];
  collect(doc: Json, keys: ExportLookupKeys): void;
}

export interface CompiledExport {
  id: string;
  name: string;
  domain: string;
  kind: 'case' | 'form';
  /** The case type, or the form's xmlns. */
  identifier: string;
  format: ExportInstance['export_format'];
  isDailySaved: boolean;
  tables: CompiledTable[];
  /** Every lookup the transforms of these documents need, for one batch. */
  lookupKeys(docs: readonly Json[]): ExportLookupKeys;
}

interface SubDocument {
  doc: unknown;
  rowIndex: number[];
}

const isEmpty = (value: unknown) =>
  value === undefined ||
  value === null ||
  value === '' ||
  (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);

/** Each instance of the repeat groups along `path` (a single iteration may be an object, not a list). */
export function subDocuments(doc: Json, path: readonly PathNode[], docIndex: number): SubDocument[] {
  let current: SubDocument[] = [{ doc, rowIndex: [docIndex] }];
  for (const node of path) {
    const next: SubDocument[] = [];
    for (const { doc: parent, rowIndex } of current) {
      const child = getPath(parent, [node.name]);
      if (node.is_repeat) {
        // Unlike CommCare, a form without iterations gives no row (not one row of '---').
        const iterations = Array.isArray(child) ? child : isEmpty(child) ? [] : [child];
        iterations.forEach((iteration, i) => next.push({ doc: iteration, rowIndex: [...rowIndex, i] }));
      } else if (!isEmpty(child)) {
        next.push({ doc: child, rowIndex });
      }
    }
    current = next;
  }
  return current;
}

function compileTable(table: TableConfiguration, instance: ExportInstance): CompiledTable {
  const columns: CompiledColumn[] = table.columns
    .filter((column) => column.selected)
    .map((column) =>
      compileColumn(column, {
        basePathLength: table.path.length,
        splitMultiselects: instance.split_multiselects,
        transformDates: instance.transform_dates,
        deidSalt: instance._id,
      }),
    );
  return {
    label: table.label,
    headers: columns.flatMap((column) => column.headers),
    rows: (doc, docIndex, lookups) =>
      subDocuments(doc, table.path, docIndex).map(({ doc: subDoc, rowIndex }) => {
        const context = { doc, rowIndex, lookups };
        const row: ExportCell[] = [];
        for (const column of columns) for (const cell of column.cells(subDoc, context)) row.push(cell);
        return row;
      }),
    collect: (doc, keys) => {
      for (const { doc: subDoc } of subDocuments(doc, table.path, 0))
        for (const column of columns) column.collect(subDoc, keys);
    },
  };
}

export function compileExport(instance: ExportInstance): CompiledExport {
  const tables = instance.tables
    .filter((table) => table.selected)
    .map((table) => compileTable(table, instance));
  return {
    id: instance._id,
    name: instance.name,
    domain: instance.domain,
    kind: instance.doc_type === 'CaseExportInstance' ? 'case' : 'form',
    identifier: instance.doc_type === 'CaseExportInstance' ? instance.case_type : instance.xmlns,
    format: instance.export_format,
    isDailySaved: instance.is_daily_saved_export,
    tables,
    lookupKeys: (docs) => {
      const keys = emptyLookupKeys();
      for (const doc of docs) for (const table of tables) table.collect(doc, keys);
      return keys;
    },
  };
}
