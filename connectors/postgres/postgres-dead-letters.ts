/** The tributary_dead_letters table: every dead letter, queryable, and replayable by id. */
import type { DeadLetter } from '../../runtime/contract/index.js';
import { pgp, type Database } from './postgres-pool.js';

export const deadLetterTable = 'tributary_dead_letters';

export async function ensureDeadLetterTable(db: Database): Promise<void> {
  await db.none(`
    CREATE TABLE IF NOT EXISTS ${deadLetterTable} (
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
    );
    CREATE INDEX IF NOT EXISTS ${deadLetterTable}_pipeline_idx ON ${deadLetterTable} (pipeline, failed_at);
  `);
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
}

export async function listDeadLetters(
  db: Database,
  filter: { pipeline?: string; since?: Date; ids?: bigint[]; pendingOnly?: boolean; limit?: number },
): Promise<StoredDeadLetter[]> {
  const where: string[] = [];
  if (filter.pipeline) where.push(pgp.as.format('pipeline = $1', [filter.pipeline]));
  if (filter.since) where.push(pgp.as.format('failed_at >= $1', [filter.since]));
  if (filter.ids?.length) where.push(pgp.as.format('id IN ($1:csv)', [filter.ids.map(String)]));
  if (filter.pendingOnly) where.push('replayed_at IS NULL');
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

export async function countDeadLetters(
  db: Database,
  pipeline: string,
): Promise<{ total: number; pending: number }> {
  await ensureDeadLetterTable(db);
  const row = await db.one<{ total: number; pending: number }>(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE replayed_at IS NULL)::int AS pending FROM ${deadLetterTable} WHERE pipeline = $1`,
    [pipeline],
  );
  return row;
}
