/**
 * Applies per-document replacements to one UCR table inside the caller's transaction: a document's
 * rows become exactly the rows of its newest version, guarded by the table's version table so an
 * older version never replaces a newer one, even after the document's rows were removed.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import type { UcrRow, UcrStoredValue } from '../../commcare/ucr/contract.js';
import { copyField } from '../postgres/copy-field.js';
import { pgp } from '../postgres/postgres-pool.js';
import { ucrColumnType, type UcrTableShape } from './ucr-table-ddl.js';
import { quoteIdentifier, ucrQualified, ucrVersionsSchema } from '../../commcare/ucr/ucr-table-names.js';

/** The latest rows of one document for one table: an empty list removes the document's rows. */
export interface UcrDocumentRows {
  docId: string;
  version: bigint;
  rows: readonly UcrRow[];
}

export interface UcrTableWriteOptions {
  /**
   * Also apply a version equal to the stored one (a rebuild in place re-evaluates documents whose
   * version did not change). Off for live writes: a replay of the same version is a no-op.
   */
  replaceEqualVersion?: boolean;
  /**
   * Rows go by COPY through a temporary staging table of `client` (the pg client under the
   * transaction) when there are at least `minRows` of them: fewer go by multi-row INSERTs, since
   * COPY's extra round trips cost more. By INSERT only when absent.
   */
  copy?: { client: UcrCopyClient; minRows: number } | undefined;
}

/** Rows per INSERT statement. */
const rowsPerStatement = 1000;

/** The part of a pg client that runs a COPY stream. */
export interface UcrCopyClient {
  query(stream: CopyStreamQuery): CopyStreamQuery;
}

/** Runs statements: a pg-promise transaction or task. */
export interface UcrWriteTransaction {
  none(query: string, values?: unknown): Promise<null>;
  any<T = unknown>(query: string, values?: unknown): Promise<T[]>;
}

/** The SQL of one value cast to its column's type (the database never guesses a type). */
function literal(value: UcrStoredValue | undefined, type: string): string {
  if (value === null || value === undefined) return `NULL::${type}`;
  return `${pgp.as.format('$1', [value])}::${type}`;
}

/**
 * Writes `docs` to `table` (unquoted, in tributary_ucr) inside `t`: documents whose version wins
 * the guard get their rows deleted and their new rows inserted; the others are left alone.
 * Resolves to the ids of the documents applied. With several versions of one document in `docs`,
 * the last of the highest version wins.
 */
export async function writeUcrDocuments(
  t: UcrWriteTransaction,
  table: string,
  shape: UcrTableShape,
  docs: readonly UcrDocumentRows[],
  options: UcrTableWriteOptions = {},
): Promise<string[]> {
  const latest = new Map<string, UcrDocumentRows>();
  for (const doc of docs) {
    const seen = latest.get(doc.docId);
    if (!seen || seen.version <= doc.version) latest.set(doc.docId, doc);
  }
  if (!latest.size) return [];
  // Lock version rows in one order everywhere, so concurrent writers (the live stream and a
  // backfill) wait for each other instead of deadlocking.
  const ordered = [...latest.values()].sort((a, b) => (a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : 0));
  const versions = ucrQualified(table, ucrVersionsSchema);
  const compare = options.replaceEqualVersion ? '<=' : '<';
  const won = await t.any<{ doc_id: string }>(
    `INSERT INTO ${versions} AS v (doc_id, version)
     SELECT * FROM unnest($1::text[], $2::bigint[])
     ON CONFLICT (doc_id) DO UPDATE SET version = excluded.version WHERE v.version ${compare} excluded.version
     RETURNING doc_id`,
    [ordered.map((d) => d.docId), ordered.map((d) => d.version.toString())],
  );
  if (!won.length) return [];
  const applied = won.map((w) => w.doc_id);
  const target = ucrQualified(table);
  await t.none(`DELETE FROM ${target} WHERE doc_id = ANY($1::text[])`, [applied]);

  const columns = shape.columns;
  const rowCount = applied.reduce((sum, id) => sum + latest.get(id)!.rows.length, 0);
  if (options.copy && rowCount >= options.copy.minRows) {
    await copyRows(
      t,
      options.copy.client,
      table,
      shape,
      applied.map((id) => latest.get(id)!),
    );
    return applied;
  }
  const types = columns.map((c) => ucrColumnType(c.datatype));
  const head = `INSERT INTO ${target} (${columns.map((c) => quoteIdentifier(c.id)).join(', ')}) VALUES `;
  const tuples: string[] = [];
  for (const id of applied) {
    const doc = latest.get(id)!;
    for (const row of doc.rows) {
      const values = columns.map((column, i) => {
        if (column.id === 'inserted_at') return `(now() AT TIME ZONE 'UTC')`;
        if (column.id === 'doc_id') return literal(doc.docId, types[i]!);
        return literal(row[column.id], types[i]!);
      });
      tuples.push(`(${values.join(', ')})`);
    }
  }
  for (let from = 0; from < tuples.length; from += rowsPerStatement) {
    await t.none(head + tuples.slice(from, from + rowsPerStatement).join(', '));
  }
  return applied;
}

/**
 * The rows of `docs` into `table` by COPY: streamed into a temporary staging table of the
 * connection (emptied at commit), then inserted with `inserted_at` set.
 */
async function copyRows(
  t: UcrWriteTransaction,
  client: UcrCopyClient,
  table: string,
  shape: UcrTableShape,
  docs: UcrDocumentRows[],
): Promise<void> {
  const columns = shape.columns.filter((c) => c.id !== 'inserted_at');
  const names = columns.map((c) => quoteIdentifier(c.id)).join(', ');
  const target = ucrQualified(table);
  // One staging table per target and shape, so a migrated table never meets a stale one.
  const stage = quoteIdentifier(
    `ucr_stage_${createHash('sha1').update(`${table}\0${names}`).digest('hex').slice(0, 16)}`,
  );
  await t.none(
    `CREATE TEMP TABLE IF NOT EXISTS ${stage} ON COMMIT DELETE ROWS AS SELECT ${names} FROM ${target} WITH NO DATA`,
  );
  const chunks = function* (): Generator<string> {
    let chunk = '';
    for (const doc of docs) {
      for (const row of doc.rows) {
        let line = '';
        for (let i = 0; i < columns.length; i++) {
          const id = columns[i]!.id;
          line += (i ? '\t' : '') + copyField(id === 'doc_id' ? doc.docId : (row[id] ?? null));
        }
        chunk += `${line}\n`;
        if (chunk.length >= 65_536) {
          yield chunk;
          chunk = '';
        }
      }
    }
    if (chunk) yield chunk;
  };
  await pipeline(Readable.from(chunks()), client.query(copyFrom(`COPY ${stage} (${names}) FROM STDIN`)));
  await t.none(
    `INSERT INTO ${target} (${names}, "inserted_at") SELECT ${names}, (now() AT TIME ZONE 'UTC') FROM ${stage}`,
  );
}
