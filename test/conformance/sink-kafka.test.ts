import { Kafka, logLevel } from 'kafkajs';
import { afterAll } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { kafkaSink } from '../../connectors/kafka/kafka-sink.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { standaloneContext } from '../../runtime/engine/standalone-context.js';
import { createTopic } from '../support/pipeline-fixtures.js';
import { PrivateKafka } from '../support/private-kafka.js';
import { testNames } from '../support/resources.js';
import {
  describeSinkConformance,
  sinkRecord,
  type ConformanceValue,
  type SinkUnderTest,
} from './sink-conformance.js';

const names = testNames(import.meta.url);
const schemaFile = 'test/conformance/conformance-value.avsc';
let topics = 0;
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/**
 * The topic as its readers see it: per key, the record of the highest `tributary.version` (the
 * later one on a tie), absent when that record is a tombstone.
 */
async function readTopic(brokers: string[], topic: string): Promise<Map<string, ConformanceValue>> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${Date.now()}` });
  const newest = new Map<string, { version: bigint; value: ConformanceValue | null }>();
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    if (total === 0) return resolve();
    void consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key!.toString();
        const version = BigInt(message.headers!['tributary.version']!.toString());
        // Avro in the Confluent wire format: magic byte, schema id, then the int as a zigzag varint.
        const value = message.value === null ? null : { n: zigzag(message.value.subarray(5)) };
        const known = newest.get(key);
        if (!known || known.version <= version) newest.set(key, { version, value });
        if (++seen >= total) resolve();
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  const view = new Map<string, ConformanceValue>();
  for (const [key, { value }] of newest) if (value) view.set(key, value);
  return view;
}

function zigzag(bytes: Buffer): number {
  let result = 0;
  let shift = 0;
  for (const byte of bytes) {
    result |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
    shift += 7;
  }
  return (result >>> 1) ^ -(result & 1);
}

async function open(brokers: string[], create: (topic: string) => Promise<void>): Promise<SinkUnderTest> {
  const resources = new ResourcePool();
  const topic = names.topic(`sink-${++topics}`);
  await create(topic);
  const config = kafkaSink.config.parse({ topic, brokers, value: { format: 'avro', schemaFile } });
  const sink = await kafkaSink.create(
    config,
    standaloneContext({ pipeline: names.id, endpoints: readEndpoints(), resources }),
  );
  return { sink, read: () => readTopic(brokers, topic), close: () => resources.close() };
}

describeSinkConformance(
  'kafka',
  {
    open: () => open([...readEndpoints().KAFKA_BROKERS], (topic) => createTopic(topic, 2)),
    record: (key, version, value) =>
      sinkRecord(key, value, value === null ? { version, op: 'delete' } : { version }),
    // A value the topic's Avro schema cannot hold.
    malformed: (key, version) => sinkRecord(key, { n: 'not an int' }, { version }),
    unreachable: async () => {
      const broker = new PrivateKafka();
      cleanups.push(() => broker.destroy());
      await broker.start();
      const under = await open(broker.brokers, async (topic) => {
        const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        await admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        });
        await admin.disconnect();
      });
      await broker.stop();
      return { under, restore: () => broker.start() };
    },
  },
  // The producer keeps re-sending under one producer id for about two minutes (as the Java client's
  // delivery.timeout.ms) before a write to a dead broker fails: the unreachable case waits that out.
  100_000,
);
