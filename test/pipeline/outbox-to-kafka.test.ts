import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { registry } from '../../cli/registry.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { ensureOutboxTable, insertOutboxRows, type OutboxRow } from '../../connectors/outbox/outbox-table.js';
import {
  createTopic,
  eventually,
  planOf,
  startPipelines,
  testDatabase,
} from '../support/pipeline-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const table = `${names.pgSchema()}.outbox`;
const channel = `${names.id}_outbox`;
const topics = { cases: names.topic('cases'), forms: names.topic('forms') };
const database = await testDatabase();

afterAll(async () => {
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

const pipeline = `
name: ${names.id}
source: { type: outbox, table: ${table}, channel: ${channel}, batchSize: 50 }
sinks:
  topics: { type: kafka, topic: ${topics.cases}, value: { format: json } }
`;

/** Every message of a topic as key and version, in topic order per partition. */
async function readTopic(topic: string, count: number): Promise<{ key: string; version: number }[]> {
  const kafka = new Kafka({ brokers: [...readEndpoints().KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}.reader` });
  const seen: { key: string; version: number }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const value = JSON.parse(message.value!.toString()) as { version: number };
        seen.push({ key: message.key!.toString(), version: value.version });
        return Promise.resolve();
      },
    });
    await eventually(() => Promise.resolve(seen.length >= count), 30_000, 100);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('outbox → kafka pipeline', () => {
  it(
    'publishes every outbox row to its topic in per-document order and empties the outbox',
    { timeout: 90_000 },
    async () => {
      await createTopic(topics.cases, 4);
      await createTopic(topics.forms, 2);
      await ensureOutboxTable(database.db, table);
      const host = await startPipelines([planOf(pipeline, registry, process.env)]);
      try {
        for (let version = 1; version <= 10; version++) {
          await Promise.all(
            Array.from({ length: 20 }, (_, doc) =>
              database.db.tx((t) => {
                const rows: OutboxRow[] = [
                  {
                    topic: topics.cases,
                    docId: `case-${doc}`,
                    docType: 'CommCareCase',
                    version,
                    payload: { version },
                  },
                  {
                    topic: topics.forms,
                    docId: `form-${doc}-${version}`,
                    docType: 'XFormInstance',
                    version: 1,
                    payload: { version: 1 },
                  },
                ];
                return insertOutboxRows(t, rows, { table, channel });
              }),
            ),
          );
        }
        const cases = await readTopic(topics.cases, 200);
        const forms = await readTopic(topics.forms, 200);
        expect(forms).toHaveLength(200);
        expect(cases).toHaveLength(200);
        for (let doc = 0; doc < 20; doc++)
          expect(cases.filter((m) => m.key === `case-${doc}`).map((m) => m.version)).toEqual([
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
          ]);
        const drained = await eventually(
          async () => (await database.db.one<{ n: bigint }>(`SELECT count(*) AS n FROM ${table}`)).n === 0n,
          10_000,
        );
        expect(drained).toBe(true);
      } finally {
        await host.stop();
      }
    },
  );
});
