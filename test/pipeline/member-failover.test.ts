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
const KEYS = 600;

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

/** A topic of KEYS documents at version 3, and a pipeline file (default group settings plus `source`) for it. */
async function scenario(label: string, source = '') {
  const topic = names.topic(label);
  const table = `${names.pgSchema()}.${label}`;
  await createTopic(topic, 6);
  await produceDocs(topic, versionedDocs(KEYS, 3));
  const file = writePipelineFile(`
name: ${names.id}-${label}
source:
  type: kafka
  topics: [${topic}]
  partitions: 6
  compact: false
${source}
sinks:
  table: { type: postgres, table: ${table}, key: [doc_id], versionField: version, createTable: true }
delivery:
  maxBatchRecords: 100
  shutdownTimeoutMs: 10000
`);
  const group = `${names.id}-${label}`;
  const start = (worker: string) => {
    const started = startWorker(file, { TRIBUTARY_WORKER: worker });
    workers.push(started);
    return started;
  };
  const converged = async (version: number) => {
    const versions = await tableVersions(database.db, table);
    return versions.size === KEYS && [...versions.values()].every((v) => v === BigInt(version));
  };
  return { topic, group, start, converged };
}

async function members(group: string): Promise<number> {
  const admin = new Kafka({
    brokers: [...readEndpoints().KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return (await admin.describeGroups([group])).groups[0]?.members.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}

/** Until the group has both members and each has been assigned partitions. */
const bothOwnPartitions = (group: string, a: Worker, b: Worker) =>
  eventually(
    async () =>
      (await members(group)) === 2 && /Lanes assigned/.test(a.output()) && /Lanes assigned/.test(b.output()),
    // Two processes starting and joining under a full test run's load: a precondition, not a figure.
    90_000,
  );

describe('a member killed with SIGKILL', () => {
  it(
    'hands its partitions to the survivor within the default 10 s session timeout, not the old 30 s',
    { timeout: 240_000 },
    async () => {
      const s = await scenario('failover');
      const a = s.start('0');
      const b = s.start('1');
      expect(await bothOwnPartitions(s.group, a, b)).toBe(true);
      expect(await eventually(() => s.converged(3), 60_000)).toBe(true);

      const killedAt = b.kill('SIGKILL');
      await b.exited;
      // Every key changes once more: half of them on partitions only the dead member owned.
      await produceDocs(s.topic, versionedDocs(KEYS, 4, 4));
      expect(await eventually(() => s.converged(4), 60_000, 100)).toBe(true);
      const stallMs = Date.now() - killedAt;
      console.info(`partitions of the killed member processed again ${stallMs} ms after the kill`);
      expect(stallMs).toBeLessThan(25_000);

      a.kill('SIGTERM');
      expect((await a.exited).code).toBe(0);
    },
  );

  it(
    'takes its partitions back at once when restarted in place with the same static member id',
    { timeout: 240_000 },
    async () => {
      // A long session, so that only static membership can explain a fast hand-back.
      const s = await scenario(
        'static',
        `  sessionTimeoutMs: 30000\n  groupInstanceId: ${names.id}-static-\${TRIBUTARY_WORKER}`,
      );
      const a = s.start('0');
      const b = s.start('1');
      expect(await bothOwnPartitions(s.group, a, b)).toBe(true);
      expect(await eventually(() => s.converged(3), 60_000)).toBe(true);
      const survivorLogBefore = a.output().length;

      const killedAt = b.kill('SIGKILL');
      await b.exited;
      const restarted = s.start('1');
      await produceDocs(s.topic, versionedDocs(KEYS, 4, 4));
      expect(await eventually(() => s.converged(4), 60_000, 100)).toBe(true);
      const stallMs = Date.now() - killedAt;
      console.info(`restarted in place: its partitions processed again ${stallMs} ms after the kill`);
      expect(stallMs).toBeLessThan(20_000);
      // The survivor kept its own partitions throughout: nothing was revoked from it.
      expect(a.output().slice(survivorLogBefore)).not.toMatch(/Lanes revoked/);

      for (const w of [a, restarted]) w.kill('SIGTERM');
      expect(await Promise.all([a, restarted].map((w) => w.exited.then((e) => e.code)))).toEqual([0, 0]);
    },
  );
});
