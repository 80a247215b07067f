/** The tributary_dead_letters table: every dead letter, queryable, and replayable by id. */
import type { DeadLetter } from '../../runtime/contract/index.js';
import { createConcurrently } from './create-concurrently.js';
import { pgp, type Database } from './postgres-pool.js';

export const deadLetterTable = 'tributary_dead_letters';

export async function ensureDeadLetterTable(db: Database): Promise<void> {
  await createConcurrently(db, [
    `CREATE TABLE IF NOT EXISTS ${deadLetterTable} (
      id bigserial PRIMARY KEY,
      pipeline text NOT NULL,
      stage text NOT NULL,
      error_class text NOT NULL,
      reason text,
      message text NOT NULL,
      attempts int NOT NULL,
      source_lane text NOT NULL,
      source_offset text NOT NULL,
      record_key bytea,
      record_value bytea,
      record_headers jsonb NOT NULL DEFAULT '{}',
      dead_letter_topic text NOT NULL,
      failed_at timestamptz NOT NULL,
      replayed_at timestamptz
    )`,
    `CREATE INDEX IF NOT EXISTS ${deadLetterTable}_pipeline_idx ON ${deadLetterTable} (pipeline, failed_at)`,
  ]);
  // A discarded dead letter stays in the table, with who discarded it, when and why. Tables from
  // before `dlq discard` get the columns once; checking first keeps the lock off the common path.
  const { present } = await db.one<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'discarded_at') AS present`,
    [deadLetterTable],
  );
  if (!present)
    await createConcurrently(db, [
      `ALTER TABLE ${deadLetterTable} ADD COLUMN IF NOT EXISTS discarded_at timestamptz,
        ADD COLUMN IF NOT EXISTS discarded_by text, ADD COLUMN IF NOT EXISTS discard_reason text`,
    ]);
}

const columns = new pgp.helpers.ColumnSet(
  [
    'pipeline',
    'stage',
    'error_class',
    'reason',
    'message',
    'attempts',
    'source_lane',
    'source_offset',
    'record_key',
    'record_value',
    { name: 'record_headers', mod: ':json' },
    'dead_letter_topic',
    'failed_at',
  ],
  { table: deadLetterTable },
);

export async function insertDeadLetters(db: Database, letters: DeadLetter[]): Promise<void> {
  const rows = letters.map((letter) => ({
    pipeline: letter.pipeline,
    stage: letter.stage,
    error_class: letter.errorClass,
    reason: letter.reason ?? null,
    message: letter.message,
    attempts: letter.attempts,
    source_lane: letter.record.position.lane,
    source_offset: letter.record.position.offset,
    record_key: letter.record.raw.key,
    record_value: letter.record.raw.value,
    record_headers: Object.fromEntries(
      Object.entries(letter.record.raw.headers).map(([k, v]) => [k, v.toString('base64')]),
    ),
    dead_letter_topic: letter.topic,
    failed_at: letter.failedAt,
  }));
  await db.none(pgp.helpers.insert(rows, columns));
}

export interface StoredDeadLetter {
  id: bigint;
  pipeline: string;
  stage: string;
  error_class: string;
  reason: string | null;
  message: string;
  attempts: number;
  source_lane: string;
  source_offset: string;
  record_key: Buffer | null;
  record_value: Buffer | null;
  record_headers: Record<string, string>;
  failed_at: Date;
  replayed_at: Date | null;
  discarded_at: Date | null;
  discarded_by: string | null;
  discard_reason: string | null;
}

export async function listDeadLetters(
  db: Database,
  filter: { pipeline?: string; since?: Date; ids?: bigint[]; pendingOnly?: boolean; limit?: number },
): Promise<StoredDeadLetter[]> {
  const where: string[] = [];
  if (filter.pipeline) where.push(pgp.as.format('pipeline = $1', [filter.pipeline]));
  if (filter.since) where.push(pgp.as.format('failed_at >= $1', [filter.since]));
  if (filter.ids?.length) where.push(pgp.as.format('id IN ($1:csv)', [filter.ids.map(String)]));
  if (filter.pendingOnly) where.push('replayed_at IS NULL AND discarded_at IS NULL');
  return db.any<StoredDeadLetter>(
    `SELECT * FROM ${deadLetterTable} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $1`,
    [filter.limit ?? 1000],
  );
}

export async function markReplayed(db: Database, ids: bigint[]): Promise<void> {
  if (ids.length)
    await db.none(`UPDATE ${deadLetterTable} SET replayed_at = now() WHERE id IN ($1:csv)`, [
      ids.map(String),
    ]);
}

/**
 * Marks pending dead letters of `pipeline` as discarded (never deleted: the row keeps the record,
 * who discarded it, when and why). Resolves the ids it discarded; ids that are not pending dead
 * letters of the pipeline are left alone.
 */
export async function discardDeadLetters(
  db: Database,
  pipeline: string,
  ids: bigint[],
  by: { user: string; reason: string },
): Promise<bigint[]> {
  if (!ids.length) return [];
  const rows = await db.any<{ id: bigint }>(
    `UPDATE ${deadLetterTable} SET discarded_at = now(), discarded_by = $3, discard_reason = $4
     WHERE pipeline = $1 AND id IN ($2:csv) AND replayed_at IS NULL AND discarded_at IS NULL
     RETURNING id`,
    [pipeline, ids.map(String), by.user, by.reason],
  );
  return rows.map((r) => BigInt(r.id));
}

export async function countDeadLetters(
  db: Database,
  pipeline: string,
): Promise<{ total: number; pending: number }> {
  await ensureDeadLetterTable(db);
  const row = await db.one<{ total: number; pending: number }>(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE replayed_at IS NULL AND discarded_at IS NULL)::int AS pending FROM ${deadLetterTable} WHERE pipeline = $1`,
    [pipeline],
  );
  return row;
}
