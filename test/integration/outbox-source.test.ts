import { readEndpoints } from '../../connectors/endpoints.js';
import { afterAll, describe, expect, it } from 'vitest';
import { OutboxSource, outboxSource } from '../../connectors/outbox/outbox-source.js';
import { ensureOutboxTable, insertOutboxRows, type OutboxRow } from '../../connectors/outbox/outbox-table.js';
import type { ComponentContext, SourceHandler, SourceRecord } from '../../runtime/contract/index.js';
import { silentLogger } from '../../runtime/telemetry/logger.js';
import { postgresPool } from '../../connectors/postgres/postgres-pool.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { eventually, testDatabase } from '../support/pipeline-fixtures.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
const { db } = database;
const sources: OutboxSource[] = [];

afterAll(async () => {
  await Promise.all(sources.map((s) => s.stop().catch(() => undefined)));
  await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

const context = (): ComponentContext => ({
  pipeline: names.id,
  logger: silentLogger,
  signal: new AbortController().signal,
  endpoints: readEndpoints(),
  resources: { get: () => Promise.reject(new Error('no shared resources in this test')) },
  resource: () => {
    throw new Error('no declared resources in this test');
  },
  delivery: { maxBatchRecords: 500, maxBatchBytes: 1 << 20, maxWaitMs: 100, maxInFlight: 1 },
});

/** A fresh outbox table and channel, and a way to make relays on it. */
async function outbox(name: string, overrides: Record<string, unknown> = {}) {
  const table = `${names.pgSchema()}.${name}`;
  const channel = `${names.id}_${name}`;
  await ensureOutboxTable(db, table);
  const make = (extra: Record<string, unknown> = {}) => {
    const source = new OutboxSource(
      outboxSource.config.parse({
        table,
        channel,
        pollIntervalMs: 200,
        lockRetryMs: 100,
        ...overrides,
        ...extra,
      }),
      context(),
      db,
    );
    sources.push(source);
    return source;
  };
  const insert = (rows: OutboxRow[]) => db.tx((t) => insertOutboxRows(t, rows, { table, channel }));
  const remaining = async () =>
    (await db.any<{ id: bigint }>(`SELECT id FROM ${table} ORDER BY id`)).map((r) => r.id);
  return { table, channel, make, insert, remaining };
}

const change = (docId: string, version: number, topic = 'cases'): OutboxRow => ({
  topic,
  docId,
  docType: topic === 'cases' ? 'CommCareCase' : 'XFormInstance',
  version,
  payload: { doc_id: docId, version },
});

/** A handler keeping every batch; when given the source, it commits each batch as the engine would. */
function collector(commitTo?: () => OutboxSource) {
  const batches: { records: SourceRecord[]; next: string }[] = [];
  const handler: SourceHandler = {
    onBatch: async (lane, records, next) => {
      batches.push({ records, next });
      if (commitTo) await commitTo().commit(lane, next);
    },
    onAssigned: () => Promise.resolve(),
    onRevoked: () => Promise.resolve(),
  };
  const records = () => batches.flatMap((b) => b.records);
  const until = async (count: number, timeoutMs = 10_000) => {
    const ok = await eventually(() => Promise.resolve(records().length >= count), timeoutMs, 20);
    expect(ok, `expected ${count} records, got ${records().length}`).toBe(true);
  };
  return { handler, batches, records, until };
}

const versionsOf = (records: SourceRecord[]) => records.map((r) => `${r.key}@${String(r.routing?.version)}`);

describe('outbox source', () => {
  it('delivers rows of several transactions in id order, keyed and routed to their topic', async () => {
    const box = await outbox('order', { batchSize: 2 });
    await box.insert([change('c1', 1), change('f1', 1, 'forms')]);
    await box.insert([change('c1', 2)]);
    await box.insert([change('c2', 1), change('c1', 3)]);
    const relay = box.make();
    const seen = collector(() => relay);
    await relay.start(seen.handler);
    await seen.until(5);
    const records = seen.records();
    expect(versionsOf(records)).toEqual(['c1@1', 'f1@1', 'c1@2', 'c2@1', 'c1@3']);
    expect(records[1]).toMatchObject({ value: { doc_id: 'f1', version: 1 }, routing: { target: 'forms' } });
    const offsets = records.map((r) => BigInt(r.position.offset));
    expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
    expect(seen.batches.map((b) => b.records.length)).toEqual([2, 2, 1]);
    await relay.stop();
  });

  it('deletes exactly the rows of the committed batches', async () => {
    const box = await outbox('commit', { batchSize: 2 });
    await box.insert([change('a', 1), change('b', 1), change('c', 1), change('d', 1)]);
    const ids = await box.remaining();
    const relay = box.make();
    const seen = collector();
    await relay.start(seen.handler);
    await seen.until(4);
    await relay.commit('outbox', seen.batches[0]!.next);
    expect(await box.remaining()).toEqual(ids.slice(2));
    await relay.commit('outbox', seen.batches[1]!.next);
    expect(await box.remaining()).toEqual([]);
    await relay.stop();
  });

  it('is woken by a notification well before the poll interval', async () => {
    const box = await outbox('notify', { pollIntervalMs: 30_000 });
    const relay = box.make();
    const seen = collector(() => relay);
    await relay.start(seen.handler);
    await new Promise((resolve) => setTimeout(resolve, 500)); // past the first (empty) read
    const started = Date.now();
    await box.insert([change('n1', 1)]);
    await seen.until(1, 5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    await relay.stop();
  });

  it('picks up a row committed after rows with higher ids were delivered', async () => {
    const box = await outbox('late');
    const relay = box.make();
    const seen = collector(() => relay);
    await relay.start(seen.handler);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const didInsert = new Promise<void>((resolve) => (inserted = resolve));
    const slow = db.tx(async (t) => {
      await insertOutboxRows(t, [change('slow', 1)], { table: box.table, channel: box.channel });
      inserted();
      await held;
    });
    await didInsert;
    await box.insert([change('fast', 1)]);
    await seen.until(1);
    release();
    await slow;
    await seen.until(2);
    expect(seen.records().map((r) => r.key)).toEqual(['fast', 'slow']);
    await eventually(async () => (await box.remaining()).length === 0, 5_000);
    expect(await box.remaining()).toEqual([]);
    await relay.stop();
  });

  it('lets only the lock holder deliver, and a second relay takes over without loss or reordering', async () => {
    const box = await outbox('lock', { batchSize: 3 });
    const first = box.make();
    const second = box.make();
    const one = collector(() => first);
    const two = collector(() => second);
    await box.insert([change('d1', 1), change('d2', 1)]);
    await first.start(one.handler);
    await one.until(2);
    await second.start(two.handler);
    for (let v = 2; v <= 5; v++) await box.insert([change('d1', v), change('d2', v)]);
    await one.until(10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(two.records()).toEqual([]);

    await first.stop();
    for (let v = 6; v <= 8; v++) await box.insert([change('d1', v), change('d2', v)]);
    await two.until(6);
    const all = [...one.records(), ...two.records()];
    for (const doc of ['d1', 'd2'])
      expect(all.filter((r) => r.key === doc).map((r) => Number(r.routing?.version))).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
    expect(two.records()).toHaveLength(6);
    await eventually(async () => (await box.remaining()).length === 0, 5_000);
    expect(await box.remaining()).toEqual([]);
    await second.stop();
  });

  it(
    'survives a database restart: retries, resumes and delivers every row once',
    { timeout: 60_000 },
    async () => {
      const postgres = new PrivatePostgres();
      const resources = new ResourcePool();
      try {
        await postgres.start();
        const own = await postgresPool(resources, postgres.url);
        const config = outboxSource.config.parse({
          pollIntervalMs: 100,
          retryInitialMs: 50,
          retryMaxMs: 200,
        });
        const relay = new OutboxSource(config, context(), own);
        const seen = collector(() => relay);
        const insert = (rows: OutboxRow[]) => own.tx((t) => insertOutboxRows(t, rows));
        await relay.start(seen.handler);
        await eventually(async () => {
          const found = await own.oneOrNone<{ ok: boolean }>(
            "SELECT to_regclass('tributary_outbox') IS NOT NULL AS ok",
          );
          return found?.ok === true;
        }, 10_000);
        await insert([change('r1', 1), change('r2', 1)]);
        await seen.until(2);

        await postgres.stop();
        await new Promise((resolve) => setTimeout(resolve, 500));
        await postgres.start();
        await eventually(
          () =>
            insert([change('r1', 2)]).then(
              () => true,
              () => false,
            ),
          20_000,
        );
        await seen.until(3, 20_000);
        expect(versionsOf(seen.records())).toEqual(['r1@1', 'r2@1', 'r1@2']);
        await eventually(
          async () => (await own.one<{ n: bigint }>('SELECT count(*) AS n FROM tributary_outbox')).n === 0n,
          5_000,
        );

        const stopping = Date.now();
        await relay.stop();
        expect(Date.now() - stopping).toBeLessThan(2_000);
      } finally {
        await resources.close();
        await postgres.destroy();
      }
    },
  );
});
