/**
 * The Kafka client interface on @platformatic/kafka 2.x, in three modules with one job each: the
 * group consumer (platformatic-consumer.ts: cooperative rebalancing, manual commits, per-partition
 * batches), the producer (platformatic-producer.ts) and the admin client (platformatic-admin.ts).
 */
import type { KafkaClient, KafkaClientOptions, KafkaLogger } from './kafka-client.js';
import { createPlatformaticAdmin } from './platformatic-admin.js';
import { PlatformaticGroupConsumer } from './platformatic-consumer.js';
import { createPlatformaticProducer } from './platformatic-producer.js';

const silentLogger: KafkaLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A KafkaClient on @platformatic/kafka. Producers are idempotent with acks=all and the Java
 * client's key partitioning; consumers commit only through `commit()`.
 */
export function createPlatformaticClient(options: KafkaClientOptions): KafkaClient {
  const log = options.logger ?? silentLogger;
  const base = { clientId: options.clientId, bootstrapBrokers: options.brokers };
  return {
    library: 'platformatic',
    consumer: (consumerOptions) => new PlatformaticGroupConsumer(base, consumerOptions, log),
    producer: () => createPlatformaticProducer(base),
    admin: () => createPlatformaticAdmin(base),
  };
}
