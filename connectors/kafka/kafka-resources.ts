/** One Kafka client (and one producer) per library and broker list in a process, shared through Resources. */
import { z } from 'zod';
import type { Resources } from '../../runtime/contract/index.js';
import type { KafkaClient, Producer } from './kafka-client.js';
import { createKafkaClient } from './create-kafka-client.js';

/** The measured choice (README, "Kafka clients"): faster producing, equal consuming, cooperative rebalances. */
export const defaultKafkaLibrary = 'platformatic';

export const kafkaLibrarySchema = z
  .enum(['kafkajs', 'platformatic'])
  .default(defaultKafkaLibrary)
  .describe('Kafka client library (see the README for the measured choice of default).');

export type KafkaLibrary = z.output<typeof kafkaLibrarySchema>;

export function kafkaClient(
  resources: Resources,
  library: KafkaLibrary,
  brokers: string[],
): Promise<KafkaClient> {
  return resources.get(`kafka:${library}:${brokers.join(',')}`, () =>
    createKafkaClient(library, { brokers, clientId: 'tributary' }),
  );
}

export function kafkaProducer(
  resources: Resources,
  library: KafkaLibrary,
  brokers: string[],
): Promise<Producer> {
  return resources.get(
    `kafka-producer:${library}:${brokers.join(',')}`,
    async () => (await kafkaClient(resources, library, brokers)).producer(),
    (producer) => producer.close(),
  );
}

/** The config fields every Kafka component shares: which client, which brokers, how its topics are created. */
export const kafkaConnectionFields = {
  client: kafkaLibrarySchema,
  brokers: z
    .array(z.string())
    .optional()
    .describe('host:port list; KAFKA_BROKERS (or the local stack) when absent.'),
  partitions: z
    .number()
    .int()
    .positive()
    .default(6)
    .describe('Partitions of each topic when `topics ensure` creates it.'),
  compact: z
    .boolean()
    .default(true)
    .describe('Create topics with cleanup.policy=compact (change topics hold the latest state per key).'),
};
