import nano from 'nano';
import { afterAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { CouchdbSource, couchdbSource } from '../../connectors/couchdb/couchdb-source.js';
import type { ComponentContext, Logger, SourceHandler, SourceRecord } from '../../runtime/contract/index.js';
import { silentLogger } from '../../runtime/telemetry/logger.js';
import { eventually } from '../support/pipeline-fixtures.js';
import { PrivateCouchdb } from '../support/private-couchdb.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const couchUrl = readEndpoints().COUCHDB_URL;
const couch = nano(couchUrl);
const created: string[] = [];

afterAll(async () => {
  await Promise.all(created.map((db) => couch.db.destroy(db).catch(() => undefined)));
});

async function freshDb(name: string) {
  const db = names.couchDb(name);
  await couch.db.create(db);
  created.push(db);
  return { name: db, db: couch.use<Record<string, unknown>>(db) };
}

const context = (pipeline: string, logger: Logger = silentLogger): ComponentContext => ({
  pipeline,
  logger,
  signal: new AbortController().signal,
  endpoints: readEndpoints(),
  resources: { get: () => Promise.reject(new Error('no shared resources in this test')) },
  resource: () => {
    throw new Error('no declared resources in this test');
  },
  delivery: { maxBatchRecords: 500, maxBatchBytes: 1 << 20, maxWaitMs: 100, maxInFlight: 1 },
});

function source(config: Record<string, unknown>, pipeline = names.id, logger?: Logger): CouchdbSource {
  return new CouchdbSource(couchdbSource.config.parse(config), context(pipeline, logger));
}

/** A logger keeping the messages of its warnings. */
function warningsLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (_fields, message) => void warnings.push(message),
    child: () => logger,
  };
  return { logger, warnings };
}

interface Batch {
  lane: string;
  records: SourceRecord[];
  next: string;
}

/** A handler that keeps every batch and, when given the source, commits each one as the engine would. */
function collector(commitTo?: () => CouchdbSource) {
  const batches: Batch[] = [];
  const handler: SourceHandler = {
    onBatch: async (lane, records, next) => {
      batches.push({ lane, records, next });
      if (commitTo) await commitTo().commit(lane, next);
    },
    onAssigned: () => Promise.resolve(),
    onRevoked: () => Promise.resolve(),
  };
  const records = () => batches.flatMap((b) => b.records);
  const keys = () => records().map((r) => r.key);
  const until = async (count: number) => {
    const ok = await eventually(() => Promise.resolve(records().length >= count), 20_000, 50);
    expect(ok, `expected ${count} records, got ${JSON.stringify(keys())}`).toBe(true);
  };
  return { handler, batches, records, keys, until };
}

describe('couchdb source', () => {
  it('delivers every change in feed order with the envelope and the topic of its doc type', async () => {
    const { name, db } = await freshDb('feed');
    const u1 = await db.insert({ _id: 'u1', doc_type: 'CommCareUser', domain: 'demo', username: 'ada' });
    await db.insert({ _id: 'g1', doc_type: 'Group', domain: 'demo', name: 'team' });
    await db.insert({ _id: '_design/views', views: {} });
    await db.insert({ _id: 'x1', doc_type: 'SomethingElse', domain: 'demo' });
    await db.insert({ _id: 'd1', doc_type: 'Domain', name: 'demo' });
    await db.insert({ _id: 'u1', _rev: u1.rev, doc_type: 'CommCareUser', domain: 'demo', username: 'ada2' });

    const feed = source({ databases: [name], batchSize: 2 });
    const seen = collector();
    await feed.start(seen.handler);
    await seen.until(3);
    const started = Date.now();
    await feed.stop();
    expect(Date.now() - started).toBeLessThan(2_000); // the waiting longpoll is ended, not waited out

    expect(seen.keys()).toEqual(['g1', 'd1', 'u1']);
    expect(seen.batches.every((b) => b.lane === name)).toBe(true);
    expect(seen.records().map((r) => r.routing?.target)).toEqual(['groups', 'domains', 'users']);
    expect(seen.records()[2]!.value).toMatchObject({
      doc_id: 'u1',
      domain: 'demo',
      doc_type: 'CommCareUser',
      version: 2,
      deleted: false,
      username: 'ada2',
    });
    expect(seen.records()[1]!.value).toMatchObject({ doc_id: 'd1', domain: 'demo', version: 1 });
    expect(seen.records()[2]!.routing?.version).toBe(2);
    expect(typeof (seen.records()[0]!.value as { changed_on: unknown }).changed_on).toBe('number');
    // Positions grow within the lane and each batch ends at its page's last_seq.
    const offsets = seen.records().map((r) => Number(r.position.offset));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it('turns a deletion into a deleted event carrying the last state, on its doc type topic', async () => {
    const { name, db } = await freshDb('deletes');
    const saved = await db.insert({ _id: 'w1', doc_type: 'WebUser', domain: 'demo', username: 'bo' });
    await db.destroy('w1', saved.rev);

    const feed = source({ databases: [name] });
    const seen = collector();
    await feed.start(seen.handler);
    await seen.until(1);
    await feed.stop();

    expect(seen.records()).toHaveLength(1);
    expect(seen.records()[0]!.routing?.target).toBe('users');
    expect(seen.records()[0]!.value).toMatchObject({
      doc_id: 'w1',
      doc_type: 'WebUser',
      domain: 'demo',
      version: 2,
      deleted: true,
      username: 'bo',
    });
  });

  it('resumes a new instance after the committed checkpoint: nothing redelivered, nothing lost', async () => {
    const { name, db } = await freshDb('resume');
    for (const id of ['a1', 'a2', 'a3']) await db.insert({ _id: id, doc_type: 'Group', domain: 'demo' });

    const first = source({ databases: [name], batchSize: 2 }, 'resume-pipeline');
    const before = collector(() => first);
    await first.start(before.handler);
    await before.until(3);
    await first.stop();
    expect(before.keys()).toEqual(['a1', 'a2', 'a3']);
    const checkpoint = await db.get('_local/tributary-resume-pipeline');
    expect(String(checkpoint.since)).toBe(before.batches.at(-1)!.next);

    for (const id of ['b1', 'b2']) await db.insert({ _id: id, doc_type: 'Group', domain: 'demo' });
    const second = source({ databases: [name], batchSize: 2 }, 'resume-pipeline');
    const after = collector(() => second);
    await second.start(after.handler);
    await after.until(2);
    await db.insert({ _id: 'b3', doc_type: 'Group', domain: 'demo' });
    await after.until(3);
    await second.stop();
    expect(after.keys()).toEqual(['b1', 'b2', 'b3']);
  });

  it('misses no change when CouchDB restarts mid-feed', { timeout: 120_000 }, async () => {
    const server = new PrivateCouchdb();
    await server.start();
    const admin = nano(server.url);
    await admin.db.create('configs');
    const db = admin.use<Record<string, unknown>>('configs');
    const insert = async (ids: string[]) => {
      for (const id of ids) await db.insert({ _id: id, doc_type: 'Group', domain: 'demo' });
    };
    await insert(['r1', 'r2', 'r3']);

    const log = warningsLogger();
    const feed = source(
      {
        url: server.url,
        databases: ['configs'],
        batchSize: 2,
        checkpointStore: 'memory',
        retryInitialMs: 50,
        retryMaxMs: 200,
      },
      'restart-pipeline',
      log.logger,
    );
    const seen = collector();
    try {
      await feed.start(seen.handler);
      await seen.until(3);
      await server.stop(); // the longpoll waiting for r4 is cut
      await new Promise((resolve) => setTimeout(resolve, 500)); // a few failed retries
      await server.start();
      await insert(['r4', 'r5', 'r6', 'r7']);
      await seen.until(7);
      await server.stop();
      await server.start();
      await insert(['r8']);
      await seen.until(8);
      expect(seen.keys()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8']);
      expect(log.warnings.length).toBeGreaterThan(0); // it did lose the server and retry
    } finally {
      await feed.stop();
      await server.destroy();
    }
  });
});
