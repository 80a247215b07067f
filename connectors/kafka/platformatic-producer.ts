/**
 * The producer of the Kafka client interface on @platformatic/kafka: idempotent, acks=all, and the
 * Java client's key partitioning.
 */
import { Producer as PlatformaticProducer, ProduceAcks, type MessageToProduce } from '@platformatic/kafka';
import type { ProducedMessage, Producer } from './kafka-client.js';
import { murmur2 } from './murmur2-partition.js';
import type { GroupOptionsBase } from './platformatic-messages.js';

/** A connected idempotent producer; rejects when the brokers cannot be reached. */
export async function createPlatformaticProducer(base: GroupOptionsBase): Promise<Producer> {
  const producer = new PlatformaticProducer({
    ...base,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    partitioner: javaCompatiblePartitioner(),
    // Bounded (about 25 s), so a send to a broker that stays away rejects and the caller's own
    // retry policy takes over instead of waiting forever.
    retries: 25,
  });
  try {
    await producer.metadata({ topics: [] });
  } catch (error) {
    await producer.close().catch(() => undefined);
    throw error;
  }
  return new PlatformaticProducerAdapter(producer);
}

/**
 * Keys hash like the Java client and kafkajs (murmur2, positive, modulo the partition count; the
 * library takes the modulo). Messages without a key go round-robin, per topic.
 */
function javaCompatiblePartitioner() {
  const counters = new Map<string, number>();
  return (message: MessageToProduce, key: Buffer | undefined): number => {
    if (key) return murmur2(key) & 0x7fffffff;
    const next = ((counters.get(message.topic) ?? Math.floor(Math.random() * 1024)) + 1) & 0x7fffffff;
    counters.set(message.topic, next);
    return next;
  };
}

class PlatformaticProducerAdapter implements Producer {
  constructor(private readonly producer: PlatformaticProducer) {}

  async send(topic: string, messages: ProducedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (messages.some((message) => message.partition !== undefined)) {
      // The library would take an explicit partition modulo the partition count; refuse instead.
      const count =
        (await this.producer.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount ?? 0;
      const wrong = messages.find(
        ({ partition }) => partition !== undefined && (partition < 0 || partition >= count),
      );
      if (wrong)
        throw new Error(
          `topic ${topic} has ${count} partitions; cannot send to partition ${wrong.partition}`,
        );
    }
    await this.producer.send({
      messages: messages.map((message) => {
        const headers = new Map<Buffer, Buffer>();
        for (const [name, value] of Object.entries(message.headers ?? {}))
          headers.set(Buffer.from(name), toBuffer(value));
        return {
          topic,
          key: message.key === null ? undefined : toBuffer(message.key),
          value: (message.value === null ? null : toBuffer(message.value)) as Buffer,
          headers,
          partition: message.partition,
        };
      }),
    });
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}
