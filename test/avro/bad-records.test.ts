import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { householdMemberCase } from '../../bench/documents.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { createAvroSerde } from '../../connectors/kafka/avro-serde.js';
import { SchemaRegistryClient } from '../../connectors/kafka/schema-registry-client.js';
import { BadRecordError } from '../../runtime/contract/index.js';
import { caseSchema, type Case } from '../../schemas/generated/index.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const topic = names.topic('cases');
const subject = names.valueSubject(topic);
const endpoints = readEndpoints();
const kafka = new Kafka({
  clientId: names.id,
  brokers: [...endpoints.KAFKA_BROKERS],
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const registry = new SchemaRegistryClient({ url: endpoints.SCHEMA_REGISTRY_URL });

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
  });
});
afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

/** An id no registry will have handed out yet. */
const unknownId = 2_000_000_000;

describe('bad records on an Avro topic', () => {
  it('rejects a corrupt payload, an unknown schema id and plain JSON with their reasons; the records around them decode', async () => {
    const producerSerde = createAvroSerde<Case>({ subject, schema: caseSchema }, registry);
    const good = await Promise.all([1, 2, 3, 4].map((i) => producerSerde.encode(householdMemberCase(i))));
    const corrupt = Buffer.concat([good[0]!.subarray(0, 5), Buffer.alloc(32, 0xff)]);
    const unknown = Buffer.from(good[0]!);
    unknown.writeInt32BE(unknownId, 1);
    const json = Buffer.from(JSON.stringify(householdMemberCase(9)));
    const sent = [good[0]!, corrupt, good[1]!, unknown, good[2]!, json, good[3]!];

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: sent.map((value, i) => ({ key: `k${i}`, value })) });
    await producer.disconnect();

    // A consumer that decodes each record as a source would: good ones pass on, bad ones carry their reason.
    const consumerSerde = createAvroSerde<Case>(
      { subject, schema: caseSchema },
      new SchemaRegistryClient({ url: registry.url }),
    );
    const outcomes: string[] = [];
    const consumer = kafka.consumer({ groupId: names.topic('group'), sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      void consumer
        .run({
          eachMessage: async ({ message }) => {
            try {
              const value = await consumerSerde.decode(message.value!);
              outcomes.push(value.doc_id);
            } catch (error) {
              outcomes.push(error instanceof BadRecordError ? error.reason : `crash ${String(error)}`);
            }
            if (outcomes.length === sent.length) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    const ids = [1, 2, 3, 4].map((i) => householdMemberCase(i).doc_id);
    expect(outcomes).toEqual([
      ids[0],
      'avro-decode',
      ids[1],
      'unknown-schema-id',
      ids[2],
      'not-wire-format',
      ids[3],
    ]);
  });
});
