import { Kafka, logLevel } from 'kafkajs';
import { afterAll } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { kafkaSource } from '../../connectors/kafka/kafka-source.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { standaloneContext } from '../../runtime/engine/standalone-context.js';
import { createTopic, produce } from '../support/pipeline-fixtures.js';
import { testNames } from '../support/resources.js';
import { describeSourceConformance, type Written } from './source-conformance.js';

const names = testNames(import.meta.url);
const resources = new ResourcePool();
const topics: string[] = [];
let count = 0;

afterAll(async () => {
  await resources.close();
  const admin = new Kafka({
    brokers: [...readEndpoints().KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describeSourceConformance(
  'kafka',
  async () => {
    const topic = names.topic(`source-${++count}`);
    topics.push(topic);
    await createTopic(topic, 3);
    const ctx = standaloneContext({
      pipeline: topic,
      endpoints: readEndpoints(),
      resources,
      delivery: { maxBatchRecords: 3, maxInFlight: 3, maxBatchBytes: 1 << 20 },
    });
    const config = kafkaSource.config.parse({
      topics: [topic],
      value: { format: 'json' },
      fromBeginning: true,
    });
    return {
      append: (items) =>
        produce(
          topic,
          items.map((item) => ({ key: item.key, value: JSON.stringify(item) })),
        ),
      open: async () => kafkaSource.create(config, ctx),
      read: (record) => record.value as Written,
      cleanup: () => Promise.resolve(),
    };
  },
  90_000,
);
