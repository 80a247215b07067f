import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresPool, type Database } from '../../connectors/postgres/postgres-pool.js';
import { postgresSink } from '../../connectors/postgres/postgres-sink.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { isRetryable, type Sink, type SinkRecord, type SourceRecord } from '../../runtime/contract/index.js';
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
  // These records carry their version in routing.version, unless a test names a versionField.
  const versions = config.versionField === undefined ? { versionFrom: 'routing' } : {};
  const parsed = postgresSink.config.parse({ url: readEndpoints().DATABASE_URL, ...versions, ...config });
  const created = await postgresSink.create(parsed, {
    pipeline: 'test',
    logger: silentLogger,
    signal: new AbortController().signal,
    endpoints: readEndpoints(),
    resource: () => {
      throw new Error('no declared resources in this test');
    },
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

// Text that COPY's text format gives a meaning to, and text that SQL quoting does.
const awkward =
  'tab\there, line\nbreak, return\r, back\\slash \\N \\t, \'single\' "double", unicode é ✓ 𝄞, end\\';

describe.each(['copy', 'insert'] as const)('postgres sink (method %s)', (method) => {
  const table = (name: string) => `${schema}.${name}_${method}`;
  // COPY even the small batches of these tests.
  const methodSink = (config: Record<string, unknown>) =>
    sink({ method, ...(method === 'copy' ? { copyMinRows: 1 } : {}), ...config });

  it('keeps the newest version of each key, whatever order the writes come in', async () => {
    const s = await methodSink({ table: table('docs'), createTable: true, key: ['doc_id'] });
    await s.write([
      rec('a', { n: 1 }, 1),
      rec('a', { n: 3 }, 3),
      rec('a', { n: 2 }, 2),
      rec('b', { n: 1 }, 5),
    ]);
    await s.write([rec('a', { n: 0 }, 0), rec('b', { n: 9 }, 9)]);
    const rows = await db.any('SELECT doc_id, version, doc FROM $1:raw ORDER BY doc_id', [table('docs')]);
    expect(rows).toEqual([
      { doc_id: 'a', version: 3n, doc: { n: 3 } },
      { doc_id: 'b', version: 9n, doc: { n: 9 } },
    ]);
  });

  it('deletes a key unless the table holds a newer version', async () => {
    const s = await methodSink({ table: table('docs2'), createTable: true, key: ['doc_id'] });
    await s.write([rec('a', { n: 1 }, 1), rec('b', { n: 1 }, 10)]);
    await s.write([rec('a', null, 2, 'delete'), rec('b', null, 5, 'delete')]);
    const rows = await db.any('SELECT doc_id, version FROM $1:raw ORDER BY doc_id', [table('docs2')]);
    expect(rows).toEqual([{ doc_id: 'b', version: 10n }]);
  });

  it('stamps updated_at with the time of the write', async () => {
    const s = await methodSink({ table: table('stamped'), createTable: true, key: ['doc_id'] });
    const before = await db.one<{ now: Date }>('SELECT now() AS now');
    await s.write([rec('a', { n: 1 }, 1), rec('b', { n: 1 }, 1)]);
    const rows = await db.any<{ updated_at: Date }>('SELECT updated_at FROM $1:raw', [table('stamped')]);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.updated_at.getTime()).toBeGreaterThanOrEqual(before.now.getTime());
  });

  it('writes documents with text COPY and SQL must escape, unchanged', async () => {
    const s = await methodSink({ table: table('awkward_docs'), createTable: true, key: ['doc_id'] });
    const doc = {
      text: awkward,
      nested: { deeper: { list: [1, 'two', null, { three: awkward }], empty: {} }, flag: true },
      nothing: null,
      [awkward]: 'a key that needs escaping',
    };
    const key = `key ${awkward}`;
    await s.write([rec(key, doc, 1)]);
    expect(await db.any('SELECT doc_id, doc FROM $1:raw', [table('awkward_docs')])).toEqual([
      { doc_id: key, doc },
    ]);
  });

  it('writes columns of every common type, nulls included, unchanged', async () => {
    await db.none(
      `CREATE TABLE $1:raw (id text PRIMARY KEY, version bigint NOT NULL, note text, count int, big bigint,
        ratio double precision, ok boolean, at timestamptz, tags text[], payload jsonb, list jsonb, bytes bytea)`,
      [table('typed')],
    );
    const s = await methodSink({
      table: table('typed'),
      mode: 'columns',
      key: ['id'],
      versionField: 'version',
      columns: ['note', 'count', 'big', 'ratio', 'ok', 'at', 'tags', 'payload', 'list', 'bytes'],
    });
    const full = {
      id: awkward,
      version: 7,
      note: awkward,
      count: -3,
      big: 9007199254740993n,
      ratio: 0.125,
      ok: false,
      at: new Date('2026-03-01T12:34:56.789Z'),
      tags: ['plain', awkward, '', 'NULL', null, '{braces}, "quotes"'],
      payload: { a: { b: [awkward, 2, { c: null }] }, big: 12345678901234567890n },
      list: ['x', { y: 1 }],
      bytes: Buffer.from([0, 9, 10, 92, 255]),
    };
    const empty = { id: 'nulls', version: 1, note: null, count: null, payload: null };
    await s.write([rec('r1', full, 7), rec('r2', empty, 1)]);
    const rows = await db.any('SELECT * FROM $1:raw ORDER BY version DESC', [table('typed')]);
    expect(rows).toEqual([
      {
        ...full,
        version: 7n,
        big: 9007199254740993n,
        payload: { a: { b: [awkward, 2, { c: null }] }, big: 12345678901234567000 },
      },
      {
        id: 'nulls',
        version: 1n,
        note: null,
        count: null,
        big: null,
        ratio: null,
        ok: null,
        at: null,
        tags: null,
        payload: null,
        list: null,
        bytes: null,
      },
    ]);
  });

  it('writes value fields as columns under a composite key', async () => {
    await db.none(
      'CREATE TABLE $1:raw (doc_id text, row_index int, name text, visits int, version bigint NOT NULL, PRIMARY KEY (doc_id, row_index))',
      [table('rows')],
    );
    const s = await methodSink({
      table: table('rows'),
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
      'SELECT doc_id, row_index, name, visits, version FROM $1:raw ORDER BY row_index',
      [table('rows')],
    );
    expect(rows).toEqual([
      { doc_id: 'c1', row_index: 0, name: 'Ada', visits: 2, version: 4n },
      { doc_id: 'c1', row_index: 1, name: 'Bo', visits: 1, version: 4n },
    ]);
  });

  it('keeps the newest version of each composite key in a batch and deletes by composite key', async () => {
    await db.none(
      'CREATE TABLE $1:raw (doc_id text, row_index int, name text, version bigint NOT NULL, PRIMARY KEY (doc_id, row_index))',
      [table('rows2')],
    );
    const s = await methodSink({
      table: table('rows2'),
      mode: 'columns',
      key: ['doc_id', 'row_index'],
      columns: ['name'],
    });
    const row = (docId: string, rowIndex: number, name: string) => ({
      doc_id: docId,
      row_index: rowIndex,
      name,
    });
    await s.write([
      rec('c1', row('c1', 0, 'v2'), 2),
      rec('c1', row('c1', 0, 'v3'), 3),
      rec('c1', row('c1', 0, 'v1'), 1),
      // The same parts in another split must stay another key.
      rec('c1', row('c1', 1, 'kept'), 1),
      rec('c11', row('c1', 10, 'other'), 1),
    ]);
    await s.write([
      { ...rec('c1', row('c1', 1, ''), 2, 'delete') },
      { ...rec('c11', row('c1', 10, ''), 0, 'delete') },
    ]);
    const rows = await db.any('SELECT doc_id, row_index, name, version FROM $1:raw ORDER BY row_index', [
      table('rows2'),
    ]);
    expect(rows).toEqual([
      { doc_id: 'c1', row_index: 0, name: 'v3', version: 3n },
      { doc_id: 'c1', row_index: 10, name: 'other', version: 1n },
    ]);
  });

  it('writes a batch in one transaction: a row the table refuses leaves nothing of its batch behind', async () => {
    await db.none(
      'CREATE TABLE $1:raw (doc_id text PRIMARY KEY, visits int CHECK (visits >= 0), version bigint NOT NULL)',
      [table('checked')],
    );
    const s = await methodSink({
      table: table('checked'),
      mode: 'columns',
      key: ['doc_id'],
      columns: ['visits'],
    });
    const refused = s.write([
      rec('ok', { doc_id: 'ok', visits: 1 }, 1),
      rec('bad', { doc_id: 'bad', visits: -1 }, 1),
    ]);
    await expect(refused).rejects.toThrow(/check constraint/);
    await expect(refused).rejects.toMatchObject({ code: '23514' });
    await expect(refused.catch((error: unknown) => isRetryable(error))).resolves.toBe(false);
    expect(await db.any('SELECT doc_id FROM $1:raw', [table('checked')])).toEqual([]);
  });

  it('writes the batches after a refused one', async () => {
    await db.none(
      'CREATE TABLE $1:raw (doc_id text PRIMARY KEY, visits int NOT NULL, version bigint NOT NULL)',
      [table('after')],
    );
    const s = await methodSink({
      table: table('after'),
      mode: 'columns',
      key: ['doc_id'],
      columns: ['visits'],
    });
    await expect(s.write([rec('a', { doc_id: 'a', visits: null }, 1)])).rejects.toThrow(/not-null/);
    for (let i = 0; i < 12; i++) await s.write([rec(`k${i}`, { doc_id: `k${i}`, visits: i }, 1)]);
    expect(await db.one('SELECT count(*)::int AS n FROM $1:raw', [table('after')])).toEqual({ n: 12 });
  });

  it('lists a record that cannot become a row as failed and writes the rest', async () => {
    const s = await methodSink({ table: table('docs4'), createTable: true, key: ['doc_id'] });
    const result = await s.write([
      rec('a', { n: 1 }, 1),
      { ...rec('b', { n: 1 }, 1), routing: { version: 'not a number' } },
    ]);
    expect(result.failed.map((f) => f.index)).toEqual([1]);
    expect(await db.any('SELECT doc_id FROM $1:raw', [table('docs4')])).toEqual([{ doc_id: 'a' }]);
  });

  it('lets a connection failure through unchanged, as retryable', async () => {
    const s = await methodSink({ url: 'postgres://nobody@127.0.0.1:1/none', table: 'docs', key: ['doc_id'] });
    const failing = s.write([rec('a', { n: 1 }, 1)]);
    await expect(failing).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(failing.catch((error: unknown) => isRetryable(error))).resolves.toBe(true);
  });

  it('fails a batch whose connection is lost midway as retryable, and writes the next one', async () => {
    const s = await methodSink({ table: table('lost'), createTable: true, key: ['doc_id'] });
    // Hold the batch on a lock, then end its backend the way an administrator or a failover would.
    const write = await db.tx(async (t) => {
      await t.none('LOCK TABLE $1:raw IN ACCESS EXCLUSIVE MODE', [table('lost')]);
      const pending = s.write([rec('a', { n: 1 }, 1)]).then(
        () => undefined,
        (error: unknown) => error,
      );
      let ended = false;
      for (let attempt = 0; attempt < 100 && !ended; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const row = await t.one<{ ended: boolean }>(
          `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) > 0 AS ended FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND application_name = 'tributary' AND query LIKE $1`,
          [`%${schema}%lost_${method}%`],
        );
        ended = row.ended;
      }
      expect(ended).toBe(true);
      return pending;
    });
    const error = await write;
    expect(error).toMatchObject({ code: '57P01' });
    expect(isRetryable(error)).toBe(true);
    await s.write([rec('a', { n: 2 }, 2)]);
    expect(await db.any('SELECT doc_id, version FROM $1:raw', [table('lost')])).toEqual([
      { doc_id: 'a', version: 2n },
    ]);
  });

  it('routes a record to the table its routing names', async () => {
    const s = await methodSink({ table: table('docs3'), createTable: true, key: ['doc_id'] });
    await db.none(
      'CREATE TABLE $1:raw (doc_id text PRIMARY KEY, version bigint NOT NULL, doc jsonb, updated_at timestamptz)',
      [table('other')],
    );
    const routed = { ...rec('x', { n: 1 }, 1), routing: { version: 1, target: table('other') } };
    await s.write([routed]);
    expect(await db.any('SELECT doc_id FROM $1:raw', [table('other')])).toEqual([{ doc_id: 'x' }]);
    expect(await db.any('SELECT doc_id FROM $1:raw', [table('docs3')])).toEqual([]);
  });
});

describe('postgres sink with method copy', () => {
  it('writes a table with fewer upserts than copyMinRows by INSERT in the same transaction', async () => {
    const s = await sink({
      method: 'copy',
      copyMinRows: 3,
      table: `${schema}.many`,
      createTable: true,
      key: ['doc_id'],
    });
    await db.none('CREATE TABLE $1:raw (LIKE $2:raw INCLUDING ALL)', [`${schema}.few`, `${schema}.many`]);
    const few = { ...rec('f', { n: 1 }, 1), routing: { version: 1, target: `${schema}.few` } };
    const bad = { ...rec('g', { n: 1 }, 1), routing: { version: 1, target: `${schema}.missing` } };
    const many = [rec('a', { n: 1 }, 1), rec('b', { n: 1 }, 1), rec('c', { n: 1 }, 1)];
    await expect(s.write([...many, few, bad])).rejects.toMatchObject({ code: '42P01' });
    await s.write([...many, few]);
    expect(await db.any('SELECT doc_id FROM $1:raw ORDER BY 1', [`${schema}.many`])).toEqual([
      { doc_id: 'a' },
      { doc_id: 'b' },
      { doc_id: 'c' },
    ]);
    expect(await db.any('SELECT doc_id FROM $1:raw', [`${schema}.few`])).toEqual([{ doc_id: 'f' }]);
  });
});
