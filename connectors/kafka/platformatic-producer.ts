/**
 * The producer of the Kafka client interface on @platformatic/kafka: idempotent, acks=all, and the
 * Java client's key partitioning.
 */
import { Producer as PlatformaticProducer, ProduceAcks, type MessageToProduce } from '@platformatic/kafka';
import type { ProducedMessage, Producer } from './kafka-client.js';
import { BadRecordError } from '../../runtime/contract/index.js';
import { murmur2 } from './murmur2-partition.js';
import { classifyProduceError } from './produce-errors.js';
import type { GroupOptionsBase } from './platformatic-messages.js';

/** A connected idempotent producer; rejects when the brokers cannot be reached. */
export async function createPlatformaticProducer(base: GroupOptionsBase): Promise<Producer> {
  const producer = new PlatformaticProducer({
    ...base,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    partitioner: javaCompatiblePartitioner(),
    // The library retries a send with the same producer id and sequence numbers, so a batch the
    // broker wrote just before it died is recognised as a duplicate when it returns. After it gives
    // up it starts a new producer id, and the runtime's retry of the batch could then write it
    // twice: so it keeps trying for about as long as the Java client's delivery.timeout.ms (120 s,
    // one attempt a second), longer than a broker takes to restart.
    retries: 120,
  });
  try {
    // As long as connecting took before sends retried longer (about 25 s), not two minutes.
    await producer.metadata({ topics: [], retries: 25 });
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
        throw new BadRecordError(
          'bad-partition',
          `topic ${topic} has ${count} partitions; cannot send to partition ${wrong.partition}`,
        );
    }
    try {
      await this.sendAll(topic, messages);
    } catch (error) {
      throw classifyProduceError(error, topic);
    }
  }

  private async sendAll(topic: string, messages: ProducedMessage[]): Promise<void> {
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

  async probe(): Promise<void> {
    await this.producer.metadata({ topics: [], forceUpdate: true, retries: 0 });
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}
