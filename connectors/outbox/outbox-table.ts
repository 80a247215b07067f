/**
 * The transactional outbox table: writers insert change rows inside their own transaction (with a
 * NOTIFY that fires at commit), the outbox source publishes them and deletes them once durable.
 */
import { context, propagation } from '@opentelemetry/api';
import { createConcurrently } from '../postgres/create-concurrently.js';
import { pgp } from '../postgres/postgres-pool.js';

/** The default outbox table and the channel writers notify and the source listens on. */
export const defaultOutboxTable = 'tributary_outbox';
export const defaultOutboxChannel = 'tributary_outbox';

/** One change to publish: the topic it goes to and the document it describes. */
export interface OutboxRow {
  topic: string;
  docId: string;
  docType: string;
  /** Grows with every change of the document; becomes the record's `routing.version`. */
  version: number | bigint;
  /** The change event itself, stored as jsonb and published as the record value. */
  payload: unknown;
}

/** A row as the source reads it back (int8 columns arrive as bigint). */
export interface StoredOutboxRow {
  id: bigint;
  topic: string;
  doc_id: string;
  doc_type: string;
  version: bigint;
  payload: unknown;
  created_at: Date;
  /** Trace context (`traceparent`) of the change, when tracing was on; null otherwise. */
  headers: Record<string, string> | null;
}

/** Anything that runs a statement: a pg-promise database, task or transaction. */
export interface Queryable {
  none(query: string, values?: unknown): Promise<null>;
}

/** The quoted, possibly schema-qualified name of an outbox table (`reports.outbox` → `"reports"."outbox"`). */
export function outboxTableName(table: string): string {
  return outboxTable(table).toString();
}

function outboxTable(table: string) {
  const dot = table.indexOf('.');
  return new pgp.helpers.TableName(
    dot < 0 ? { table } : { schema: table.slice(0, dot), table: table.slice(dot + 1) },
  );
}

/** Creates the outbox table (and its schema) when missing; safe to call from several processes at once. */
export async function ensureOutboxTable(db: Queryable, table: string = defaultOutboxTable): Promise<void> {
  const dot = table.indexOf('.');
  await createConcurrently(db, [
    ...(dot >= 0 ? [pgp.as.format('CREATE SCHEMA IF NOT EXISTS $1:name', [table.slice(0, dot)])] : []),
    `CREATE TABLE IF NOT EXISTS ${outboxTableName(table)} (
      id bigserial PRIMARY KEY,
      topic text NOT NULL,
      doc_id text NOT NULL,
      doc_type text NOT NULL,
      version bigint NOT NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    // Trace context of the change (W3C traceparent), when tracing is on; added to older tables.
    `ALTER TABLE ${outboxTableName(table)} ADD COLUMN IF NOT EXISTS headers jsonb`,
  ]);
}

const columns = new pgp.helpers.ColumnSet([
  'topic',
  { name: 'doc_id', prop: 'docId' },
  { name: 'doc_type', prop: 'docType' },
  { name: 'version', init: (c: { value: number | bigint }) => String(c.value) },
  { name: 'payload', mod: ':json' },
  { name: 'headers', init: (c: { value: unknown }) => (c.value ? JSON.stringify(c.value) : null), def: null },
]);

/** The active trace context as headers (`traceparent`), or null: tracing off injects nothing. */
function traceHeaders(): Record<string, string> | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length ? carrier : null;
}

/**
 * Inserts change rows inside the caller's transaction and notifies the relay, which hears it only
 * once the transaction commits. Call it while holding the row locks of the documents the rows
 * describe: then a later change of the same document gets a higher id, which is the order the
 * source publishes in.
 */
export async function insertOutboxRows(
  t: Queryable,
  rows: readonly OutboxRow[],
  options: { table?: string; channel?: string } = {},
): Promise<void> {
  if (rows.length === 0) return;
  await t.none(outboxRowsSql(rows, options).join(';\n'));
}

/** The statements of insertOutboxRows, for a writer that sends them with its own in one round trip. */
export function outboxRowsSql(
  rows: readonly OutboxRow[],
  options: { table?: string; channel?: string } = {},
): string[] {
  if (rows.length === 0) return [];
  const headers = traceHeaders();
  return [
    pgp.helpers.insert(
      headers ? rows.map((row) => ({ ...row, headers })) : rows,
      columns,
      outboxTable(options.table ?? defaultOutboxTable),
    ),
    pgp.as.format('NOTIFY $1:name', [options.channel ?? defaultOutboxChannel]),
  ];
}
