import { silentLogger } from '../../runtime/telemetry/logger.js';
import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGenerated } from '../../cli/commands/submit.js';
import { registry } from '../../cli/registry.js';
import { SubmissionClient } from '../../cli/submission-client.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { outboxSource } from '../../connectors/outbox/outbox-source.js';
import { primaryStoreTables as T } from '../../connectors/postgres/primary-store.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { caseSchema, formSchema } from '../../schemas/generated/index.js';
import { eventually, planOf, startPipelines, testDatabase } from '../support/pipeline-fixtures.js';
import { PrivateKafka } from '../support/private-kafka.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames, type TestNames } from '../support/resources.js';

const database = await testDatabase();
const formType = avro.Type.forSchema(formSchema as unknown as avro.Schema);
const caseType = avro.Type.forSchema(caseSchema as unknown as avro.Schema);
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await database.close();
});

interface Change {
  key: string;
  partition: number;
  version: number;
  docType: string;
}

/** The relay pipeline as shipped, pointed at this test's outbox, topics and broker. */
function relayPlan(names: TestNames, receiver: TestReceiver, brokers?: string[]) {
  const brokerLine = brokers ? `\n    brokers: [${brokers.map((b) => `'${b}'`).join(', ')}]` : '';
  return planOf(
    `
name: ${names.id}_relay
source: { type: outbox, table: ${receiver.outboxTable}, channel: ${receiver.outboxChannel}, batchSize: 200 }
sinks:
  topics:
    type: kafka
    topic: ${names.topic('forms')}
    partitions: 4${brokerLine}
    value: { format: avro, schemaOf: forms }
    routes:
      forms: { topic: '${names.topic('forms')}', value: { format: avro, schemaOf: forms } }
      cases: { topic: '${names.topic('cases')}', value: { format: avro, schemaOf: cases } }
`,
    registry,
  );
}

/** Every change on a topic (Confluent wire format: magic byte, schema id, Avro body), in partition order. */
async function readChanges(
  brokers: string[],
  topic: string,
  type: avro.Type,
  count: number,
): Promise<Change[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}.reader.${randomUUID()}` });
  const seen: Change[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message, partition }) => {
        const value = type.fromBuffer(message.value!.subarray(5)) as { version: number; doc_type: string };
        seen.push({
          key: message.key!.toString(),
          partition,
          version: value.version,
          docType: value.doc_type,
        });
        return Promise.resolve();
      },
    });
    await eventually(() => Promise.resolve(seen.length >= count), 60_000, 200);
    // Anything beyond the expected count would be a duplicate: give it a moment to show up.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** Checks every change of the store reached the topic once, in increasing version order per document. */
function expectOncePerVersionInOrder(changes: Change[], finalVersions: Map<string, number>): void {
  const byKey = new Map<string, number[]>();
  for (const change of changes) byKey.set(change.key, [...(byKey.get(change.key) ?? []), change.version]);
  expect(new Set(byKey.keys())).toEqual(new Set(finalVersions.keys()));
  for (const [key, versions] of byKey) {
    const last = finalVersions.get(key)!;
    expect(versions, key).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  }
}

/** The version of every document of the domain in the primary store: what the topic must end at. */
async function storeVersions(table: string, idColumn: string, domain: string): Promise<Map<string, number>> {
  const rows = await database.db.manyOrNone<{ id: string; version: bigint }>(
    `SELECT ${idColumn} AS id, version FROM ${table} WHERE domain = $1`,
    [domain],
  );
  return new Map(rows.map((r) => [r.id, Number(r.version)]));
}

async function outboxBacklog(receiver: TestReceiver): Promise<number> {
  const resources = new ResourcePool();
  try {
    const backlog = await outboxSource.backlog!(
      outboxSource.config.parse({ table: receiver.outboxTable, channel: receiver.outboxChannel }),
      { pipeline: 'status', endpoints: readEndpoints(), resources, logger: silentLogger },
    );
    return backlog.pending;
  } finally {
    await resources.close();
  }
}

async function receiverFor(names: TestNames): Promise<TestReceiver> {
  const receiver = await startTestReceiver(names, { users: 6 });
  cleanups.push(async () => {
    await receiver.close();
    await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  });
  return receiver;
}

describe('submissions to the forms and cases topics', () => {
  let names: TestNames;
  let receiver: TestReceiver;
  beforeAll(async () => {
    names = testNames(import.meta.url);
    receiver = await receiverFor(names);
  });

  it(
    'publishes multipart and raw submissions as Avro change events keyed by document id',
    { timeout: 120_000 },
    async () => {
      const host = await startPipelines([relayPlan(names, receiver)]);
      try {
        const client = new SubmissionClient(receiver.service.url, 4);
        const summary = await postGenerated(client, {
          domain: receiver.domain,
          count: 40,
          concurrency: 4,
          seed: 3,
          users: receiver.users,
        });
        const user = receiver.users[0]!;
        const formId = randomUUID();
        const raw = await fetch(`${receiver.service.url}/a/${receiver.domain}/receiver`, {
          method: 'POST',
          headers: {
            'content-type': 'text/xml',
            authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`,
          },
          body: `<data xmlns="http://example.org/raw"><q>1</q><meta xmlns="http://openrosa.org/jr/xforms"><instanceID>${formId}</instanceID></meta></data>`,
        });
        client.close();
        expect(summary.refused).toBe(0);
        expect(raw.status).toBe(201);

        const forms = await storeVersions(T.forms, 'form_id', receiver.domain);
        const cases = await storeVersions(T.cases, 'case_id', receiver.domain);
        expect(forms.size).toBe(41);
        const brokers = [...readEndpoints().KAFKA_BROKERS];
        const formChanges = await readChanges(brokers, names.topic('forms'), formType, forms.size);
        expectOncePerVersionInOrder(formChanges, forms);
        expect(formChanges.find((c) => c.key === formId)?.docType).toBe('XFormInstance');
        const caseChanges = await readChanges(
          brokers,
          names.topic('cases'),
          caseType,
          [...cases.values()].reduce((a, b) => a + b, 0),
        );
        expectOncePerVersionInOrder(caseChanges, cases);
        expect(await eventually(async () => (await outboxBacklog(receiver)) === 0, 30_000, 200)).toBe(true);
      } finally {
        await host.stop();
      }
    },
  );
});

describe('with two relays running at once', () => {
  it('keeps per-document order, also when the delivering relay stops', { timeout: 180_000 }, async () => {
    const names = testNames(import.meta.url);
    const receiver = await receiverFor(names);
    const first = await startPipelines([relayPlan(names, receiver)]);
    const second = await startPipelines([relayPlan(names, receiver)]);
    const client = new SubmissionClient(receiver.service.url, 8);
    try {
      const before = await postGenerated(client, {
        domain: receiver.domain,
        count: 150,
        concurrency: 8,
        seed: 11,
        users: receiver.users,
      });
      await first.stop();
      const after = await postGenerated(client, {
        domain: receiver.domain,
        count: 150,
        concurrency: 8,
        seed: 12,
        users: receiver.users,
      });
      expect(before.refused + after.refused).toBe(0);
      expect(await eventually(async () => (await outboxBacklog(receiver)) === 0, 60_000, 200)).toBe(true);
      const brokers = [...readEndpoints().KAFKA_BROKERS];
      const cases = await storeVersions(T.cases, 'case_id', receiver.domain);
      const changes = await readChanges(
        brokers,
        names.topic('cases'),
        caseType,
        [...cases.values()].reduce((a, b) => a + b, 0),
      );
      expectOncePerVersionInOrder(changes, cases);
    } finally {
      client.close();
      await second.stop();
    }
  });
});

describe('with Kafka stopped during 1,000 submissions', () => {
  const kafka = new PrivateKafka();
  beforeAll(async () => {
    await kafka.start();
    cleanups.push(() => kafka.destroy());
  }, 120_000);

  it(
    'keeps acknowledging forms, grows the outbox, and drains it in order when Kafka returns',
    { timeout: 300_000 },
    async () => {
      const names = testNames(import.meta.url);
      const receiver = await receiverFor(names);
      const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: ['forms', 'cases'].map((t) => ({
          topic: names.topic(t),
          numPartitions: 4,
          replicationFactor: 1,
        })),
      });
      await admin.disconnect();
      const relay = await startPipelines([relayPlan(names, receiver, kafka.brokers)]);
      const client = new SubmissionClient(receiver.service.url, 8);
      try {
        const run = (count: number, seed: number) =>
          postGenerated(client, {
            domain: receiver.domain,
            count,
            concurrency: 8,
            seed,
            users: receiver.users,
          });
        const first = await run(300, 21);
        await kafka.stop();
        const during = await run(400, 22);
        // Nothing can leave while the broker is down: the outbox holds every change since.
        const backlog = await outboxBacklog(receiver);
        expect(backlog).toBeGreaterThan(400);
        await kafka.start();
        const last = await run(300, 23);
        expect(first.refused + during.refused + last.refused).toBe(0);
        expect(await eventually(async () => (await outboxBacklog(receiver)) === 0, 120_000, 500)).toBe(true);

        const forms = await storeVersions(T.forms, 'form_id', receiver.domain);
        const cases = await storeVersions(T.cases, 'case_id', receiver.domain);
        expect(forms.size).toBe(1000);
        expectOncePerVersionInOrder(
          await readChanges(kafka.brokers, names.topic('forms'), formType, 1000),
          forms,
        );
        const caseCount = [...cases.values()].reduce((a, b) => a + b, 0);
        expectOncePerVersionInOrder(
          await readChanges(kafka.brokers, names.topic('cases'), caseType, caseCount),
          cases,
        );
      } finally {
        client.close();
        await relay.stop();
      }
    },
  );
});
