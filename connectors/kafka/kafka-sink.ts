import { z } from 'zod';
import { readEndpoints } from '../endpoints.js';
import {
  defineSink,
  isRetryable,
  type Sink,
  type SinkRecord,
  type WriteResult,
} from '../../runtime/contract/index.js';
import type { ProducedMessage, Producer } from './kafka-client.js';
import { kafkaConnectionFields, kafkaProducer } from './kafka-resources.js';
import type { ValueSerde } from './serde.js';
import { valueFormatSchema, valueSerde } from './value-format.js';

const kafkaSinkConfig = z.object({
  topic: z
    .string()
    .min(1)
    .describe('Topic to write; a record routed with a `target` goes to that topic instead.'),
  value: valueFormatSchema,
  ...kafkaConnectionFields,
});

export const kafkaSink = defineSink({
  name: 'kafka',
  summary: 'Produces records to a topic (key = record key), acknowledged by all in-sync replicas.',
  config: kafkaSinkConfig,
  example: `type: kafka
topic: cases
value: { format: avro }`,
  topics: (config) => [{ topic: config.topic, partitions: config.partitions, compact: config.compact }],
  create: async (config, ctx) =>
    new KafkaSink(
      config.topic,
      await kafkaProducer(ctx.resources, config.client, config.brokers ?? [...readEndpoints().KAFKA_BROKERS]),
      await valueSerde(config.value, config.topic, ctx),
    ),
});

export class KafkaSink implements Sink {
  constructor(
    private readonly topic: string,
    private readonly producer: Producer,
    private readonly serde: ValueSerde,
  ) {}

  async write(records: SinkRecord[]): Promise<WriteResult> {
    const failed: WriteResult['failed'] = [];
    const byTopic = new Map<string, ProducedMessage[]>();
    await Promise.all(
      records.map(async (record, index) => {
        try {
          const deleted = record.routing?.op === 'delete' || record.value === null;
          const message: ProducedMessage = {
            key: record.key,
            value: deleted ? null : await this.serde.encode(record.value),
            headers: record.headers,
          };
          const topic = record.routing?.target ?? this.topic;
          const list = byTopic.get(topic) ?? [];
          list[index] = message;
          byTopic.set(topic, list);
        } catch (error) {
          if (isRetryable(error)) throw error;
          failed.push({ index, error: error as Error });
        }
      }),
    );
    // Sparse arrays keep the batch order per topic; filter drops the holes.
    for (const [topic, messages] of byTopic) await this.producer.send(topic, messages.filter(Boolean));
    return { failed };
  }
}
