import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';
import {
  createTopic,
  eventually,
  produceDocs,
  tableVersions,
  testDatabase,
  versionedDocs,
} from '../support/pipeline-fixtures.js';
import { startWorker, writePipelineFile, type Worker } from '../support/worker.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
const workers: Worker[] = [];
const KEYS = 3000;
const VERSIONS = 10;

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

/** A topic of KEYS × VERSIONS documents and a pipeline file that materialises it. */
async function scenario(label: string, extraDelivery = '') {
  const topic = names.topic(label);
  const table = `${names.pgSchema()}.${label}`;
  await createTopic(topic, 6);
  await produceDocs(topic, versionedDocs(KEYS, VERSIONS));
  const file = writePipelineFile(`
name: ${names.id}-${label}
source:
  type: kafka
  topics: [${topic}]
  partitions: 6
  compact: false
  sessionTimeoutMs: 8000
  heartbeatIntervalMs: 1000
  rebalanceTimeoutMs: 15000
sinks:
  table: { type: postgres, table: ${table}, key: [doc_id], versionField: version, createTable: true }
delivery:
  maxBatchRecords: 100
  maxBatchBytes: 20000
  shutdownTimeoutMs: 10000
${extraDelivery}`);
  const group = `${names.id}-${label}`;
  const start = () => {
    const worker = startWorker(file);
    workers.push(worker);
    return worker;
  };
  const converged = async (last = VERSIONS) => {
    const versions = await tableVersions(database.db, table);
    return versions.size === KEYS && [...versions.values()].every((v) => v === BigInt(last));
  };
  const rows = async () => (await tableVersions(database.db, table)).size;
  return { topic, table, group, start, converged, rows };
}

const members = async (kafka: Awaited<ReturnType<typeof admin>>, group: string) =>
  (await kafka.describeGroups([group])).groups[0]?.members.length ?? 0;

const admin = async () => {
  const a = new Kafka({ brokers: [...readEndpoints().KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
  await a.connect();
  return a;
};

describe('worker processes', () => {
  it(
    'converges to the same final state after a worker is killed with SIGKILL mid-stream and restarted',
    { timeout: 120_000 },
    async () => {
      const s = await scenario('killed');
      const first = s.start();
      expect(await eventually(async () => (await s.rows()) > 0, 30_000, 50)).toBe(true);
      first.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      expect(await s.converged()).toBe(false);

      const second = s.start();
      expect(await eventually(() => s.converged(), 60_000)).toBe(true);
      second.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    },
  );

  it(
    'moves partitions when one of three workers dies and another joins, reaching the same final state',
    { timeout: 150_000 },
    async () => {
      const s = await scenario('three');
      const [a, b, c] = [s.start(), s.start(), s.start()];
      const kafka = await admin();
      try {
        expect(await eventually(async () => (await members(kafka, s.group)) === 3, 40_000)).toBe(true);
        b.kill('SIGKILL');
        await b.exited;
        // The survivors take the dead member's partitions once its session times out, and process
        // what arrives next on every partition.
        expect(await eventually(async () => (await members(kafka, s.group)) === 2, 40_000)).toBe(true);
        await produceDocs(s.topic, versionedDocs(KEYS, 15, VERSIONS + 1));
        const d = s.start();
        expect(await eventually(async () => (await members(kafka, s.group)) === 3, 40_000)).toBe(true);
        await produceDocs(s.topic, versionedDocs(KEYS, 20, 16));
        expect(await eventually(() => s.converged(20), 60_000)).toBe(true);
        for (const w of [a, c, d]) w.kill('SIGTERM');
        const codes = await Promise.all([a, c, d].map((w) => w.exited.then((e) => e.code)));
        expect(codes).toEqual([0, 0, 0]);
      } finally {
        await kafka.disconnect();
      }
    },
  );

  it(
    'exits 0 on SIGTERM within the shutdown bound, with committed offsets matching durable writes',
    { timeout: 120_000 },
    async () => {
      const s = await scenario('sigterm');
      const worker = s.start();
      expect(await eventually(async () => (await s.rows()) > 0, 30_000, 50)).toBe(true);
      const sentAt = worker.kill('SIGTERM');
      const exit = await worker.exited;
      expect(exit.code).toBe(0);
      expect(exit.at - sentAt).toBeLessThan(10_000 + 2_000);

      // Everything up to the committed offsets is in the table, and nothing beyond them.
      const kafka = await admin();
      const committed = await kafka.fetchOffsets({ groupId: s.group, topics: [s.topic] });
      await kafka.disconnect();
      const expected = await foldCommittedPrefix(s.topic, committed[0]!.partitions);
      const actual = await tableVersions(database.db, s.table);
      expect(actual).toEqual(expected);
    },
  );
});

/** Reads each partition up to its committed offset and keeps the last version of every key. */
async function foldCommittedPrefix(
  topic: string,
  partitions: { partition: number; offset: string }[],
): Promise<Map<string, bigint>> {
  const kafka = new Kafka({ brokers: [...readEndpoints().KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${names.id}-fold-${Date.now()}` });
  const remaining = new Map(
    partitions.filter((p) => Number(p.offset) > 0).map((p) => [p.partition, Number(p.offset)]),
  );
  const state = new Map<string, bigint>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    if (!remaining.size) resolve();
    void consumer.run({
      eachMessage: ({ partition, message }) => {
        const end = remaining.get(partition);
        if (end !== undefined && Number(message.offset) < end) {
          const doc = JSON.parse(message.value!.toString()) as { id: string; version: number };
          state.set(doc.id, BigInt(doc.version));
          if (Number(message.offset) === end - 1) remaining.delete(partition);
          if (!remaining.size) resolve();
        }
        return Promise.resolve();
      },
    });
  });
  await done;
  await consumer.disconnect();
  return state;
}
