/**
 * `topics ensure` gives every topic the max.message.bytes the schemas need (schemas/topics.yaml),
 * which the receiver keeps every change event under, and flags an existing topic that accepts less.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopics } from '../../cli/topics.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { createKafkaClient } from '../../connectors/kafka/create-kafka-client.js';
import type { Admin, Producer } from '../../connectors/kafka/kafka-client.js';
import { KafkaSink } from '../../connectors/kafka/kafka-sink.js';
import { jsonSerde } from '../../connectors/kafka/serde.js';
import type { SinkRecord } from '../../runtime/contract/index.js';
import { loadSchemaCatalog, maxMessageBytesOf } from '../../schemas/schema-catalog.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  const client = createKafkaClient('platformatic', {
    brokers: [...readEndpoints().KAFKA_BROKERS],
    clientId: names.id,
  });
  admin = await client.admin();
  producer = await client.producer();
});

afterAll(async () => {
  await admin
    .deleteTopics([names.topic('forms'), names.topic('small'), names.topic('burst')])
    .catch(() => undefined);
  await producer.close();
  await admin.close();
});

describe('topics ensure', () => {
  it('creates topics with the max.message.bytes of schemas/topics.yaml', async () => {
    const needed = maxMessageBytesOf(await loadSchemaCatalog(), 'forms');
    expect(needed).toBe(1_048_576);
    const topic = names.topic('forms');
    expect(await ensureTopics(admin, [{ topic, partitions: 2, compact: true }])).toEqual([
      { topic, status: 'created' },
    ]);
    const [described] = await admin.describeTopics([topic], ['max.message.bytes', 'cleanup.policy']);
    expect(described!.configs).toEqual({ 'max.message.bytes': String(needed), 'cleanup.policy': 'compact' });
    expect(await ensureTopics(admin, [{ topic, partitions: 2, compact: true }])).toEqual([
      { topic, status: 'ok' },
    ]);
  });

  it('flags an existing topic that accepts smaller messages than the schemas need', async () => {
    const topic = names.topic('small');
    await admin.createTopics([
      { topic, partitions: 1, configs: { 'cleanup.policy': 'compact', 'max.message.bytes': '100000' } },
    ]);
    const [check] = await ensureTopics(admin, [{ topic, partitions: 1, compact: true }]);
    expect(check).toEqual({
      topic,
      status: 'mismatch',
      detail: expect.stringContaining('max.message.bytes=100000, the schemas need 1048576') as unknown,
    });
  });

  it('lets the kafka sink write a burst of large events in requests the topic accepts', async () => {
    const topic = names.topic('burst');
    await ensureTopics(admin, [{ topic, partitions: 1, compact: true }]);
    // Twelve events of 200 KB for one partition: 2.4 MB, more than the topic's 1 MiB in one batch.
    const records = Array.from(
      { length: 12 },
      (_, i) =>
        ({ key: `doc-${i}`, value: { i, body: 'x'.repeat(200_000) }, headers: {} }) as unknown as SinkRecord,
    );
    const sink = new KafkaSink({ topic, serde: jsonSerde }, producer, new Map(), 1_000_000);
    expect(await sink.write(records)).toEqual({ failed: [] });
    const [offsets] = await admin.topicOffsets(topic);
    expect(Number(offsets!.high) - Number(offsets!.low)).toBe(12);
  });
});
