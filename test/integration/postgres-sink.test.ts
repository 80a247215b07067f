import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresPool, type Database } from '../../connectors/postgres/postgres-pool.js';
import { postgresSink } from '../../connectors/postgres/postgres-sink.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import type { Sink, SinkRecord, SourceRecord } from '../../runtime/contract/index.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { silentLogger } from '../../runtime/telemetry/logger.js';
import { testNames } from '../support/resources.js';

const schema = testNames(import.meta.url).pgSchema();
const resources = new ResourcePool();
let db: Database;

const origin = (offset: number): SourceRecord => ({
  key: null,
  value: null,
  headers: {},
  timestamp: 0,
  position: { lane: '0', offset: String(offset) },
  raw: { key: null, value: null, headers: {} },
});
const rec = (key: string, value: unknown, version: number, op?: 'delete'): SinkRecord => ({
  key,
  value,
  headers: {},
  timestamp: 0,
  routing: { version, ...(op ? { op } : {}) },
  origin: origin(version),
});

async function sink(config: Record<string, unknown>): Promise<Sink> {
  const parsed = postgresSink.config.parse({ url: readEndpoints().DATABASE_URL, ...config });
  const created = await postgresSink.create(parsed, {
    pipeline: 'test',
    logger: silentLogger,
    signal: new AbortController().signal,
    resources,
    delivery: { maxBatchRecords: 500, maxBatchBytes: 1 << 20, maxWaitMs: 100, maxInFlight: 4 },
  });
  await created.start?.();
  return created;
}

beforeAll(async () => {
  db = await postgresPool(resources, readEndpoints().DATABASE_URL);
  await db.none('CREATE SCHEMA $1:name', [schema]);
});

afterAll(async () => {
  await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]);
  await resources.close();
});

describe('postgres sink', () => {
  it('keeps the newest version of each key, whatever order the writes come in', async () => {
    const s = await sink({ table: `${schema}.docs`, createTable: true, key: ['doc_id'] });
    await s.write([
      rec('a', { n: 1 }, 1),
      rec('a', { n: 3 }, 3),
      rec('a', { n: 2 }, 2),
      rec('b', { n: 1 }, 5),
    ]);
    await s.write([rec('a', { n: 0 }, 0), rec('b', { n: 9 }, 9)]);
    const rows = await db.any('SELECT doc_id, version, doc FROM $1:name.docs ORDER BY doc_id', [schema]);
    expect(rows).toEqual([
      { doc_id: 'a', version: 3n, doc: { n: 3 } },
      { doc_id: 'b', version: 9n, doc: { n: 9 } },
    ]);
  });

  it('deletes a key unless the table holds a newer version', async () => {
    const s = await sink({ table: `${schema}.docs2`, createTable: true, key: ['doc_id'] });
    await s.write([rec('a', { n: 1 }, 1), rec('b', { n: 1 }, 10)]);
    await s.write([rec('a', null, 2, 'delete'), rec('b', null, 5, 'delete')]);
    const rows = await db.any('SELECT doc_id, version FROM $1:name.docs2 ORDER BY doc_id', [schema]);
    expect(rows).toEqual([{ doc_id: 'b', version: 10n }]);
  });

  it('writes value fields as columns under a composite key', async () => {
    await db.none(
      'CREATE TABLE $1:name.rows (doc_id text, row_index int, name text, visits int, version bigint NOT NULL, PRIMARY KEY (doc_id, row_index))',
      [schema],
    );
    const s = await sink({
      table: `${schema}.rows`,
      mode: 'columns',
      key: ['doc_id', 'row_index'],
      columns: ['name', 'visits'],
    });
    await s.write([
      rec('c1', { doc_id: 'c1', row_index: 0, name: 'Ada', visits: 2, ignored: true }, 4),
      rec('c1', { doc_id: 'c1', row_index: 1, name: 'Bo', visits: 1 }, 4),
    ]);
    await s.write([rec('c1', { doc_id: 'c1', row_index: 0, name: 'Old', visits: 0 }, 3)]);
    const rows = await db.any(
      'SELECT doc_id, row_index, name, visits, version FROM $1:name.rows ORDER BY row_index',
      [schema],
    );
    expect(rows).toEqual([
      { doc_id: 'c1', row_index: 0, name: 'Ada', visits: 2, version: 4n },
      { doc_id: 'c1', row_index: 1, name: 'Bo', visits: 1, version: 4n },
    ]);
  });

  it('writes a batch in one transaction: a row the table refuses leaves nothing of its batch behind', async () => {
    await db.none(
      'CREATE TABLE $1:name.checked (doc_id text PRIMARY KEY, visits int CHECK (visits >= 0), version bigint NOT NULL)',
      [schema],
    );
    const s = await sink({
      table: `${schema}.checked`,
      mode: 'columns',
      key: ['doc_id'],
      columns: ['visits'],
    });
    await expect(
      s.write([rec('ok', { doc_id: 'ok', visits: 1 }, 1), rec('bad', { doc_id: 'bad', visits: -1 }, 1)]),
    ).rejects.toThrow(/check constraint/);
    expect(await db.any('SELECT doc_id FROM $1:name.checked', [schema])).toEqual([]);
  });

  it('routes a record to the table its routing names', async () => {
    const s = await sink({ table: `${schema}.docs3`, createTable: true, key: ['doc_id'] });
    await db.none(
      'CREATE TABLE $1:name.other (doc_id text PRIMARY KEY, version bigint NOT NULL, doc jsonb, updated_at timestamptz)',
      [schema],
    );
    const routed = { ...rec('x', { n: 1 }, 1), routing: { version: 1, target: `${schema}.other` } };
    await s.write([routed]);
    expect(await db.any('SELECT doc_id FROM $1:name.other', [schema])).toEqual([{ doc_id: 'x' }]);
    expect(await db.any('SELECT doc_id FROM $1:name.docs3', [schema])).toEqual([]);
  });
});
