/**
 * `topics ensure` gives every topic the max.message.bytes the schemas need (schemas/topics.yaml),
 * which the receiver keeps every change event under, and flags an existing topic that accepts less.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopics } from '../../cli/topics.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { createKafkaClient } from '../../connectors/kafka/create-kafka-client.js';
import type { Admin } from '../../connectors/kafka/kafka-client.js';
import { loadSchemaCatalog, maxMessageBytesOf } from '../../schemas/schema-catalog.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
let admin: Admin;

beforeAll(async () => {
  admin = await createKafkaClient('platformatic', {
    brokers: [...readEndpoints().KAFKA_BROKERS],
    clientId: names.id,
  }).admin();
});

afterAll(async () => {
  await admin.deleteTopics([names.topic('forms'), names.topic('small')]).catch(() => undefined);
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
});
