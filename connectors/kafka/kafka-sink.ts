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
    .describe(
      'Topic to write; a record routed with a `target` goes to the route of that name, or else to the topic of that name.',
    ),
  value: valueFormatSchema,
  routes: z
    .record(
      z.string(),
      z
        .object({
          topic: z
            .string()
            .min(1)
            .optional()
            .describe('Topic for records routed to this target; the target itself when absent.'),
          value: valueFormatSchema,
        })
        .strict(),
    )
    .default({})
    .describe(
      'Per routing target (e.g. `forms`, `cases` from the outbox): the topic and value format its records are written with.',
    ),
  ...kafkaConnectionFields,
});

export const kafkaSink = defineSink({
  name: 'kafka',
  summary: 'Produces records to a topic (key = record key), acknowledged by all in-sync replicas.',
  config: kafkaSinkConfig,
  example: `type: kafka
topic: cases
value: { format: avro }`,
  topics: (config) => {
    const names = new Set([
      config.topic,
      ...Object.entries(config.routes).map(([target, route]) => route.topic ?? target),
    ]);
    return [...names].map((topic) => ({ topic, partitions: config.partitions, compact: config.compact }));
  },
  create: async (config, ctx) => {
    const routes = new Map<string, { topic: string; serde: ValueSerde }>();
    for (const [target, route] of Object.entries(config.routes)) {
      const topic = route.topic ?? target;
      routes.set(target, { topic, serde: await valueSerde(route.value, topic, ctx) });
    }
    return new KafkaSink(
      { topic: config.topic, serde: await valueSerde(config.value, config.topic, ctx) },
      await kafkaProducer(ctx.resources, config.client, config.brokers ?? [...readEndpoints().KAFKA_BROKERS]),
      routes,
    );
  },
});

export class KafkaSink implements Sink {
  /**
   * Records of a batch already acknowledged by the broker. A batch spanning several topics that
   * fails on one is retried by the runtime with the same records: those sent before are skipped,
   * so a retry never writes them twice.
   */
  private readonly delivered = new WeakSet<SinkRecord>();

  constructor(
    private readonly fallback: { topic: string; serde: ValueSerde },
    private readonly producer: Producer,
    private readonly routes: Map<string, { topic: string; serde: ValueSerde }> = new Map(),
  ) {}

  /** A configured route; else the topic named by the target, written with the sink's own format. */
  private routeOf(target: string | undefined): { topic: string; serde: ValueSerde } {
    if (target === undefined) return this.fallback;
    let route = this.routes.get(target);
    if (!route) this.routes.set(target, (route = { topic: target, serde: this.fallback.serde }));
    return route;
  }

  /** One round trip to the brokers (metadata): a retry of a failed send goes as soon as they answer. */
  async probe(): Promise<void> {
    await this.producer.probe?.();
  }

  async write(records: SinkRecord[]): Promise<WriteResult> {
    const failed: WriteResult['failed'] = [];
    const byTopic = new Map<string, ProducedMessage[]>();
    const sentByTopic = new Map<string, SinkRecord[]>();
    await Promise.all(
      records.map(async (record, index) => {
        if (this.delivered.has(record)) return;
        try {
          const deleted = record.routing?.op === 'delete' || record.value === null;
          const route = this.routeOf(record.routing?.target);
          const message: ProducedMessage = {
            key: record.key,
            value: deleted ? null : await route.serde.encode(record.value),
            headers: record.headers,
          };
          const topic = route.topic;
          const list = byTopic.get(topic) ?? [];
          list[index] = message;
          byTopic.set(topic, list);
          const sent = sentByTopic.get(topic) ?? [];
          sent.push(record);
          sentByTopic.set(topic, sent);
        } catch (error) {
          if (isRetryable(error)) throw error;
          failed.push({ index, error: error as Error });
        }
      }),
    );
    // Sparse arrays keep the batch order per topic; filter drops the holes.
    for (const [topic, messages] of byTopic) {
      await this.producer.send(topic, messages.filter(Boolean));
      for (const record of sentByTopic.get(topic)!) this.delivered.add(record);
    }
    return { failed };
  }
}
