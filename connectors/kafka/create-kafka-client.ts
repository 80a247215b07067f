/** Picks the Kafka client library behind the KafkaClient interface. */
import type { KafkaClient, KafkaClientOptions } from './kafka-client.js';
import { createKafkajsClient } from './kafkajs-client.js';
import { createPlatformaticClient } from './platformatic-client.js';

/** A client on `library`; both pass test/conformance/kafka-client.test.ts. */
export function createKafkaClient(library: KafkaClient['library'], options: KafkaClientOptions): KafkaClient {
  switch (library) {
    case 'kafkajs':
      return createKafkajsClient(options);
    case 'platformatic':
      return createPlatformaticClient(options);
  }
}
