import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGenerated } from '../../cli/commands/submit.js';
import { registry } from '../../cli/registry.js';
import { SubmissionClient } from '../../cli/submission-client.js';
import { outboxSource } from '../../connectors/outbox/outbox-source.js';
import { primaryStoreTables as T } from '../../connectors/postgres/primary-store.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { silentLogger } from '../../runtime/telemetry/logger.js';
import { caseSchema, formSchema } from '../../schemas/generated/index.js';
import { eventually, planOf, startPipelines, testDatabase } from '../support/pipeline-fixtures.js';
import { PrivateKafka } from '../support/private-kafka.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
const kafka = new PrivateKafka();
const formType = avro.Type.forSchema(formSchema as unknown as avro.Schema);
const caseType = avro.Type.forSchema(caseSchema as unknown as avro.Schema);
let receiver: TestReceiver;

beforeAll(async () => {
  await kafka.start();
  receiver = await startTestReceiver(names, { users: 6 });
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await kafka.destroy();
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

const admin = () => new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();

/** The version of every change on a topic, by document id, in topic order. */
async function versionsOnTopic(
  topic: string,
  type: avro.Type,
  count: number,
): Promise<Map<string, number[]>> {
  const consumer = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: `${topic}.reader.${randomUUID()}`,
  });
  const byKey = new Map<string, number[]>();
  let seen = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const { version } = type.fromBuffer(message.value!.subarray(5)) as { version: number };
        const key = message.key!.toString();
        byKey.set(key, [...(byKey.get(key) ?? []), version]);
        seen++;
        return Promise.resolve();
      },
    });
    await eventually(() => Promise.resolve(seen >= count), 60_000, 200);
    // Anything beyond the expected count would be a duplicate: give it a moment to show up.
    await new Promise((resolve) => setTimeout(resolve, 1500));
  } finally {
    await consumer.disconnect();
  }
  return byKey;
}

/** Every document's versions as the primary store says they must be on the topic: 1…last, once each. */
async function expectedVersions(table: string, idColumn: string): Promise<Map<string, number[]>> {
  const rows = await database.db.manyOrNone<{ id: string; version: bigint }>(
    `SELECT ${idColumn} AS id, version FROM ${table} WHERE domain = $1`,
    [receiver.domain],
  );
  return new Map(rows.map((r) => [r.id, Array.from({ length: Number(r.version) }, (_, i) => i + 1)]));
}

async function outboxBacklog(): Promise<number> {
  const resources = new ResourcePool();
  try {
    const config = outboxSource.config.parse({
      table: receiver.outboxTable,
      channel: receiver.outboxChannel,
    });
    return (
      await outboxSource.backlog!(config, {
        pipeline: 'status',
        endpoints: readEndpoints(),
        resources,
        logger: silentLogger,
      })
    ).pending;
  } finally {
    await resources.close();
  }
}

async function endOffsets(topic: string): Promise<number> {
  const client = admin();
  await client.connect();
  try {
    return (await client.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await client.disconnect();
  }
}

describe('the relay when its broker is killed while it publishes', () => {
  it(
    'publishes every (document, version) exactly once, in order, after the broker comes back',
    { timeout: 300_000 },
    async () => {
      const [forms, cases] = [names.topic('forms'), names.topic('cases')];
      const client = admin();
      await client.connect();
      await client.createTopics({
        waitForLeaders: true,
        topics: [forms, cases].map((topic) => ({ topic, numPartitions: 4, replicationFactor: 1 })),
      });
      await client.disconnect();
      const relay = await startPipelines([
        planOf(
          `
name: ${names.id}_relay
source: { type: outbox, table: ${receiver.outboxTable}, channel: ${receiver.outboxChannel}, batchSize: 200 }
sinks:
  topics:
    type: kafka
    topic: ${forms}
    brokers: ['${kafka.brokers[0]}']
    value: { format: avro, schemaOf: forms }
    routes:
      forms: { topic: '${forms}', value: { format: avro, schemaOf: forms } }
      cases: { topic: '${cases}', value: { format: avro, schemaOf: cases } }
`,
          registry,
        ),
      ]);
      const submissions = new SubmissionClient(receiver.service.url, 8);
      try {
        // 1,000 forms at about 100 a second; the broker dies while the relay is publishing them.
        const posting = postGenerated(submissions, {
          domain: receiver.domain,
          count: 1000,
          concurrency: 8,
          rate: 100,
          seed: 31,
          users: receiver.users,
        });
        expect(await eventually(async () => (await endOffsets(forms)) >= 150, 60_000, 100)).toBe(true);
        // Longer than a client's first round of retries (about 25 s), so the failure reaches the runtime.
        await kafka.stop();
        await new Promise((resolve) => setTimeout(resolve, 35_000));
        await kafka.start();
        const summary = await posting;
        expect(summary.refused).toBe(0);
        expect(await eventually(async () => (await outboxBacklog()) === 0, 180_000, 500)).toBe(true);

        const formVersions = await expectedVersions(T.forms, 'form_id');
        const caseVersions = await expectedVersions(T.cases, 'case_id');
        expect(formVersions.size).toBe(1000);
        const count = (m: Map<string, number[]>) => [...m.values()].reduce((sum, v) => sum + v.length, 0);
        expect(await versionsOnTopic(forms, formType, count(formVersions))).toEqual(formVersions);
        expect(await versionsOnTopic(cases, caseType, count(caseVersions))).toEqual(caseVersions);
      } finally {
        submissions.close();
        await relay.stop();
      }
    },
  );
});
