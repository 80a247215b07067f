/**
 * One selected column of an export table, compiled: its headers and a function from a document (or
 * one repeat iteration) to its cells, with CommCare's value rules (ExportColumn._transform and the
 * column subclasses in corehq/apps/export/models/new.py).
 */
import { createHash } from 'node:crypto';
import { EMPTY_VALUE, ExportDate, MISSING_VALUE, type ExportCell } from './export-cell.js';
import type { ExportColumn } from './export-instance.js';
import type { ExportLookupKeys, ExportLookups } from './export-lookups.js';

type Json = Record<string, unknown>;

export interface ColumnContext {
  /** The whole form or case, for de-identification (which is stable per document). */
  doc: Json;
  /** This row's position: (document,) for a main table, (document, iteration, …) in repeats. */
  rowIndex: readonly number[];
  lookups: ExportLookups;
}

export interface CompiledColumn {
  headers: string[];
  cells(subDoc: unknown, context: ColumnContext): ExportCell[];
  /** Adds what this column's transform will look up for this sub-document. */
  collect(subDoc: unknown, keys: ExportLookupKeys): void;
}

export interface ColumnOptions {
  /** The table's path length: item paths are relative to it. */
  basePathLength: number;
  splitMultiselects: boolean;
  transformDates: boolean;
  /** Salt of de-identified ids (the export's id): the same id maps to the same token in one export. */
  deidSalt: string;
}

/** NestedDictGetter: walks objects by name; anything else on the way gives undefined. */
export function getPath(doc: unknown, path: readonly string[]): unknown {
  let value = doc;
  for (const name of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Json)[name];
  }
  return value;
}

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;
const isoDateTime =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
/** Decimal text a spreadsheet may treat as a number without changing it (no leading zeros, ≤ 15 digits). */
const plainNumber = /^-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?$/;

/** couch_to_excel_datetime: ISO dates and date-times become dates; other text is left alone. */
export function excelDate(value: string): ExportDate | null {
  // Most text is no date: two character checks spare the regular expressions.
  if (value.length < 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return null;
  if (isoDate.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(ms) ? null : new ExportDate(ms, false);
  }
  if (isoDateTime.test(value)) {
    const ms = Date.parse(/Z|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}Z`);
    return Number.isNaN(ms) ? null : new ExportDate(ms, true);
  }
  return null;
}

function typed(value: string): ExportCell {
  const first = value.charCodeAt(0);
  // Only text starting with a digit or '-' can be a number.
  if (!((first >= 48 && first <= 57) || first === 45) || value.length > 32) return value;
  return plainNumber.test(value) ? Number(value) : value;
}

/** Any JSON value as text: objects as JSON, scalars as they print. */
function textOf(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function deidId(value: ExportCell, salt: string): ExportCell {
  if (value === null || value === '') return null;
  return createHash('sha256').update(salt).update('\0').update(textOf(value)).digest('hex').slice(0, 12);
}

/** Shifts a date by a stable number of days (−31…+31) derived from the document's id, as deid_date does. */
function deidDate(value: ExportCell, doc: Json): ExportCell {
  const date = value instanceof ExportDate ? value : typeof value === 'string' ? excelDate(value) : null;
  if (!date) return value;
  const seed = createHash('sha256')
    .update(textOf(doc._id ?? ''))
    .digest()
    .readUInt16BE(0);
  const days = (seed % 63) - 31;
  return new ExportDate(date.ms + days * 86_400_000, date.hasTime);
}

function lookupTransform(
  transform: ExportColumn['item']['transform'],
  id: string,
  lookups: ExportLookups,
): ExportCell {
  const found =
    transform === 'username_transform'
      ? lookups.username(id)
      : transform === 'owner_id_transform'
        ? lookups.ownerName(id)
        : lookups.caseName(id);
  return found ?? id;
}

/** The value rules of ExportColumn.get_value/_transform for one path. */
function plainValue(
  column: ExportColumn,
  raw: unknown,
  options: ColumnOptions,
  context: ColumnContext,
): ExportCell {
  let value: unknown = raw;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    if (!('#text' in value)) return EMPTY_VALUE;
    value = (value as Json)['#text'];
  }
  if (Array.isArray(value)) value = value.map(textOf).join(' ');
  let cell: ExportCell =
    value === undefined || value === null
      ? null
      : typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? value
          : textOf(value);
  if (typeof cell === 'string' && column.item.transform && cell !== '')
    cell = lookupTransform(column.item.transform, cell, context.lookups);
  if (typeof cell === 'string' && options.transformDates) cell = excelDate(cell) ?? typed(cell);
  else if (typeof cell === 'string') cell = typed(cell);
  if (column.deid_transform === 'deid_id') cell = deidId(cell, options.deidSalt);
  else if (column.deid_transform === 'deid_date') cell = deidDate(cell, context.doc);
  return cell === null ? MISSING_VALUE : cell;
}

function splitHeaders(column: ExportColumn, names: readonly string[]): string[] {
  const template = column.label.includes('{option}') ? column.label : `${column.label} | {option}`;
  return names.map((option) => template.replaceAll('{name}', column.label).replaceAll('{option}', option));
}

const gpsParts = ['latitude (degrees)', 'longitude (degrees)', 'altitude (meters)', 'accuracy (meters)'];

export function compileColumn(column: ExportColumn, options: ColumnOptions): CompiledColumn {
  const relative = column.item.path.slice(options.basePathLength).map((node) => node.name);
  const label = column.deid_transform ? `${column.label} *sensitive*` : column.label;
  const collect = (subDoc: unknown, keys: ExportLookupKeys) => {
    const transform = column.item.transform;
    if (!transform) return;
    const value = getPath(subDoc, relative);
    if (typeof value !== 'string' || value === '') return;
    (transform === 'username_transform'
      ? keys.users
      : transform === 'owner_id_transform'
        ? keys.owners
        : keys.cases
    ).add(value);
  };
  const none = () => undefined;
  switch (column.doc_type) {
    case 'RowNumberColumn':
      return {
        headers: [
          column.label,
          ...(column.repeat > 0
            ? Array.from({ length: column.repeat + 1 }, (_, i) => `${column.label}__${i}`)
            : []),
        ],
        // CommCare never formats the number column: it stays text ("0.2"), with each level as a number.
        cells: (_doc, { rowIndex }) => [rowIndex.join('.'), ...(rowIndex.length > 1 ? rowIndex : [])],
        collect: none,
      };
    case 'CaseIndexExportColumn': {
      const caseType = column.item.path[1]?.name ?? '';
      return {
        headers: [label],
        cells: (subDoc) => {
          const indices = getPath(subDoc, [column.item.path[0]?.name ?? 'indices']);
          if (!Array.isArray(indices)) return [MISSING_VALUE];
          const ids = indices
            .filter((index: Json) => index?.referenced_type === caseType)
            .map((index: Json) => String(index.referenced_id));
          return [ids.length ? ids.join(' ') : MISSING_VALUE];
        },
        collect: none,
      };
    }
    case 'SplitExportColumn':
      if (options.splitMultiselects) return compileSplit(column, relative, collect);
      break;
    case 'SplitGPSExportColumn':
      if (options.splitMultiselects)
        return {
          headers: [label, ...gpsParts.map((part) => `${column.label}: ${part}`)],
          cells: (subDoc, context) => {
            const value = getPath(subDoc, relative);
            const parts = typeof value === 'string' ? value.trim().split(/\s+/) : [];
            return [
              plainValue(column, value, options, context),
              ...gpsParts.map((_, i) => (parts[i] === undefined ? EMPTY_VALUE : typed(parts[i]))),
            ];
          },
          collect: none,
        };
      break;
    default:
      break;
  }
  return {
    headers: [label],
    cells: (subDoc, context) => [plainValue(column, getPath(subDoc, relative), options, context)],
    collect,
  };
}

/** SplitExportColumn.get_value: 1 under each chosen option, the rest of the answer under "extra". */
function compileSplit(
  column: ExportColumn,
  relative: string[],
  collect: CompiledColumn['collect'],
): CompiledColumn {
  const options = column.item.options.map((o) => o.value);
  const extra = !column.ignore_unspecified_options;
  return {
    headers: splitHeaders(column, extra ? [...options, 'extra'] : options),
    cells: (subDoc) => {
      const value = getPath(subDoc, relative);
      if (typeof value !== 'string') {
        const blanks: ExportCell[] = options.map(() => null);
        return extra ? [...blanks, value === undefined || value === null ? null : textOf(value)] : blanks;
      }
      const chosen = new Set(value.split(' ').filter(Boolean));
      const cells: ExportCell[] = options.map((option) => (chosen.delete(option) ? 1 : EMPTY_VALUE));
      return extra ? [...cells, [...chosen].join(' ')] : cells;
    },
    collect,
  };
}
