/**
 * What the ingest scenario's bare baseline does to a change event without the framework: the
 * CommCare document of the event, every compiled data source of its domain and doc type
 * evaluated on it (lookups answer "does not exist": no framework to fetch them), and the rows as
 * COPY text lines. The scenario uses it for the expected row counts too.
 */
import type { Case, Form } from '../schemas/generated/index.js';
import { caseEventToDoc, formEventToDoc } from '../commcare/ucr/commcare-docs.js';
import type { CompiledDataSource, UcrLookups, UcrStoredValue } from '../commcare/ucr/contract.js';

const noLookups: UcrLookups = { get: () => null };

/** COPY text format: backslash, tab, newline and carriage return escaped. */
export function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
    : value;
}

/** One stored value as a COPY text field: `\N` for null, arrays as PostgreSQL array literals. */
export function copyField(value: UcrStoredValue | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return copyText(value);
  return copyText(
    `{${value.map((item) => (item === null ? 'NULL' : `"${item.replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`,
  );
}

/** The columns the bare baseline COPYs: all but `inserted_at`, which its table defaults to now(). */
export const copiedColumns = (dataSource: CompiledDataSource): string[] =>
  dataSource.columns.map((c) => c.id).filter((id) => id !== 'inserted_at');

/** The CommCare document of a form or case change event. */
export function eventDocument(topicKind: 'form' | 'case', event: unknown): Record<string, unknown> {
  return topicKind === 'form' ? formEventToDoc(event as Form) : caseEventToDoc(event as Case);
}

/**
 * Appends the COPY lines of every data source that takes `doc` to `out` (by table id); returns
 * how many rows that was.
 */
export function rowsOf(
  doc: Record<string, unknown>,
  dataSources: readonly CompiledDataSource[],
  out: Map<string, string[]>,
): number {
  let count = 0;
  for (const dataSource of dataSources) {
    if (dataSource.domain !== doc.domain || dataSource.referencedDocType !== doc.doc_type) continue;
    const evaluation = dataSource.evaluate(doc, noLookups);
    if (evaluation.status !== 'rows')
      throw new Error(`${dataSource.tableId}: lookups missing with none available`);
    if (!evaluation.matched) continue;
    const columns = copiedColumns(dataSource);
    let lines = out.get(dataSource.tableId);
    if (!lines) out.set(dataSource.tableId, (lines = []));
    for (const row of evaluation.rows) lines.push(`${columns.map((c) => copyField(row[c])).join('\t')}\n`);
    count += evaluation.rows.length;
  }
  return count;
}
