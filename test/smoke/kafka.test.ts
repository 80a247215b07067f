import { Kafka, Partitioners, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const topic = names.topic('orders');
const kafka = new Kafka({
  clientId: names.id,
  brokers: [...readEndpoints().KAFKA_BROKERS],
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
let producer: Producer;
let consumer: Consumer;

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
  });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
});

afterAll(async () => {
  await consumer?.disconnect();
  await producer?.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('Kafka API broker', () => {
  it('refuses to auto-create a topic that was never declared', async () => {
    const metadata = admin.fetchTopicMetadata({ topics: [names.topic('undeclared')] });
    await expect(metadata).rejects.toThrow(/does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/i);
  });

  it('round-trips keyed messages through a consumer group and commits its offsets', async () => {
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `doc-${i % 10}`, value: `v${i}` }));
    await producer.send({ topic, messages: sent });

    const received: { key: string; value: string; partition: number }[] = [];
    consumer = kafka.consumer({ groupId: names.topic('group'), sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ message, partition }) => {
          received.push({ key: message.key!.toString(), value: message.value!.toString(), partition });
          if (received.length === sent.length) resolve();
          return Promise.resolve();
        },
      });
    });
    await done;

    expect(received.map((m) => m.value).sort()).toEqual(sent.map((m) => m.value).sort());
    // All messages of one key land on one partition, in the order they were sent.
    for (const key of new Set(sent.map((m) => m.key))) {
      const ofKey = received.filter((m) => m.key === key);
      expect(new Set(ofKey.map((m) => m.partition)).size).toBe(1);
      expect(ofKey.map((m) => m.value)).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
    }

    await consumer.stop();
    const [committed] = await admin.fetchOffsets({ groupId: names.topic('group'), topics: [topic] });
    const total = committed!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(total).toBe(sent.length);
  });
});
