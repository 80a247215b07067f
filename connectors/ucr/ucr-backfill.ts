/**
 * Fills one UCR table from the primary store: documents of the data source's domain (and of the
 * case types or xmlns its filter pins, else all) are read in chunks in id order, evaluated, and
 * written through the same version guard as the live stream, so the two may interleave freely.
 */
import type { Logger } from '../../runtime/contract/index.js';
import type { CompiledDataSource } from '../../commcare/ucr/contract.js';
import { changeEventOf, removesDocument } from '../../commcare/ucr/change-event-doc.js';
import { evaluateDocuments, type UcrLookupFetcher } from '../../commcare/ucr/evaluate-documents.js';
import { eventToDoc } from '../../commcare/ucr/event-to-doc.js';
import type { Database } from '../postgres/postgres-pool.js';
import { primaryStoreTables } from '../postgres/primary-store.js';
import { writeUcrDocuments, type UcrCopyClient, type UcrDocumentRows } from './ucr-table-writer.js';

export interface UcrBackfillOptions {
  /** Documents read and written per transaction. */
  chunkDocs: number;
  /** Re-apply documents whose version equals the stored one (a refresh of a live table in place). */
  replaceEqualVersion: boolean;
  /** Checked between chunks: true stops the backfill (the table was retired meanwhile). */
  cancelled: () => Promise<boolean>;
  logger: Logger;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The case types (`type`) or xmlns a configured filter pins with `eq`/`in` at its top level or in
 * the first matching child of a top-level `and` (the reference's §9.3); undefined when it pins none.
 */
export function pinnedSubtypes(source: unknown, property: 'type' | 'xmlns'): string[] | undefined {
  const filter = isObject(source) ? source.configured_filter : undefined;
  const pinned = (f: unknown): string[] | undefined => {
    if (!isObject(f) || f.type !== 'boolean_expression') return undefined;
    const e = f.expression;
    const named =
      isObject(e) &&
      ((e.type === 'property_name' && e.property_name === property) ||
        (e.type === 'property_path' &&
          Array.isArray(e.property_path) &&
          e.property_path.join('.') === property));
    if (!named) return undefined;
    const value = f.property_value;
    if (f.operator === 'eq' && typeof value === 'string') return [value];
    if (f.operator === 'in' && Array.isArray(value) && value.every((v) => typeof v === 'string'))
      return value;
    return undefined;
  };
  if (isObject(filter) && filter.type === 'and' && Array.isArray(filter.filters)) {
    for (const child of filter.filters) {
      const found = pinned(child);
      if (found) return found;
    }
    return undefined;
  }
  return pinned(filter);
}

interface StoreRow {
  id: string;
  version: bigint;
  event: unknown;
}

/** Backfills `table` for `dataSource`; resolves with the number of documents read. */
export async function backfillUcrTable(
  db: Database,
  table: string,
  dataSource: CompiledDataSource,
  fetch: UcrLookupFetcher,
  options: UcrBackfillOptions,
): Promise<number> {
  const forms = dataSource.referencedDocType === 'XFormInstance';
  if (!forms && dataSource.referencedDocType !== 'CommCareCase') {
    options.logger.warn(
      { table, referencedDocType: dataSource.referencedDocType },
      'The primary store holds only forms and cases: this data source fills from live changes only.',
    );
    return 0;
  }
  const store = forms ? primaryStoreTables.forms : primaryStoreTables.cases;
  const idColumn = forms ? 'form_id' : 'case_id';
  const subtypes = pinnedSubtypes(dataSource.source, forms ? 'xmlns' : 'type');
  const subtypeFilter = subtypes ? ` AND ${forms ? 'xmlns' : 'case_type'} = ANY($3::text[])` : '';
  let after = '';
  let read = 0;
  for (;;) {
    if (await options.cancelled()) return read;
    const rows = await db.any<StoreRow>(
      `SELECT ${idColumn} AS id, version, event FROM ${store}
       WHERE domain = $1 AND ${idColumn} > $2${subtypeFilter} ORDER BY ${idColumn} LIMIT ${options.chunkDocs}`,
      [dataSource.domain, after, subtypes ?? []],
    );
    options.logger.debug(
      { table, after, subtypes, got: rows.length, domain: dataSource.domain },
      'Backfill chunk.',
    );
    if (!rows.length) return read;
    read += rows.length;
    after = rows[rows.length - 1]!.id;
    const writes: UcrDocumentRows[] = [];
    const jobs: { doc: unknown; row: StoreRow }[] = [];
    for (const row of rows) {
      const change = changeEventOf(row.event);
      if (!change || removesDocument(change)) writes.push({ docId: row.id, version: row.version, rows: [] });
      else jobs.push({ doc: eventToDoc(change), row });
    }
    const key = 'backfill';
    const results = await evaluateDocuments(
      jobs.map((job) => ({ doc: job.doc, dataSources: [{ key, dataSource }] })),
      fetch,
    );
    results.forEach((result, i) => {
      const { row } = jobs[i]!;
      if ('error' in result) {
        options.logger.warn(
          { table, docId: row.id, error: result.error.message },
          'A document could not be evaluated during the backfill; it is left out until it changes.',
        );
        return;
      }
      writes.push({ docId: row.id, version: row.version, rows: result.outcomes[0]!.rows });
    });
    const connection = await db.connect();
    try {
      await connection.tx('tributary-ucr-backfill', (t) =>
        writeUcrDocuments(t, table, dataSource, writes, {
          replaceEqualVersion: options.replaceEqualVersion,
          copy: connection.client as unknown as UcrCopyClient,
        }),
      );
    } finally {
      void connection.done();
    }
  }
}
