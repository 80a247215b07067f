import { z } from 'zod';
import {
  RetryableError,
  defineSink,
  isRetryable,
  type Sink,
  type SinkRecord,
  type WriteResult,
} from '../../runtime/contract/index.js';
import { byteChunks } from './byte-chunks.js';
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
  maxRequestBytes: z
    .number()
    .int()
    .min(65_536)
    .default(1_000_000)
    .describe(
      "Largest produce request, in bytes of keys, values and headers: a write is sent as several requests in order, so no record batch exceeds a topic's max.message.bytes (1 MiB by default, schemas/topics.yaml).",
    ),
  ...kafkaConnectionFields,
});

export const kafkaSink = defineSink({
  name: 'kafka',
  summary: 'Produces records to a topic (key = record key), acknowledged by all in-sync replicas.',
  description:
    'A record routed with `op: delete` or a null value becomes a tombstone. The record version (routing.version) ' +
    'travels in the `tributary.version` header, so readers of the topic can keep the newest version of each key.',
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
      await kafkaProducer(ctx.resources, config.client, config.brokers ?? [...ctx.endpoints.KAFKA_BROKERS]),
      routes,
      config.maxRequestBytes,
    );
  },
});

/**
 * True when the producer gave up without reaching any broker (every failure underneath is a
 * connection that could not be opened): nothing was written, so the batch can be sent again
 * without duplicating anything. A failure after a request went out stays as the client says.
 */
function noBrokerReached(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(noBrokerReached);
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === 'PLT_KFK_NETWORK' && typeof message === 'string' && /^Connection to .* failed\.?$/.test(message)
  );
}

/**
 * The record's headers, with its version as `tributary.version` when it has one: a log cannot
 * refuse an older version, so it carries the version for its readers to keep the newest.
 */
function withVersion(record: SinkRecord): Record<string, string> {
  const version = record.routing?.version;
  return version === undefined ? record.headers : { ...record.headers, 'tributary.version': String(version) };
}

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
    private readonly routes: Map<string, { topic: string; serde: ValueSerde }>,
    /** Writes are sent as requests of at most this many bytes (byte-chunks.ts). */
    private readonly maxRequestBytes: number,
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
    await Promise.all(
      records.map(async (record, index) => {
        if (this.delivered.has(record)) return;
        try {
          const deleted = record.routing?.op === 'delete' || record.value === null;
          const route = this.routeOf(record.routing?.target);
          const message: ProducedMessage = {
            key: record.key,
            value: deleted ? null : await route.serde.encode(record.value),
            headers: withVersion(record),
          };
          const topic = route.topic;
          const list = byTopic.get(topic) ?? [];
          list[index] = message;
          byTopic.set(topic, list);
        } catch (error) {
          if (isRetryable(error)) throw error;
          failed.push({ index, error: error as Error });
        }
      }),
    );
    // Sparse arrays keep the batch order per topic (encoding is async); the holes are skipped.
    for (const [topic, messages] of byTopic) {
      // Sent in requests of at most maxRequestBytes (byte-chunks.ts), in order; each request's
      // records count as delivered once the broker acknowledges it.
      const indices = messages.flatMap((message, index) => (message ? [index] : []));
      let at = 0;
      for (const chunk of byteChunks(
        indices.map((index) => messages[index]!),
        this.maxRequestBytes,
      )) {
        await this.producer.send(topic, chunk).catch((error: unknown) => {
          throw noBrokerReached(error)
            ? new RetryableError('no Kafka broker could be reached; nothing was written', { cause: error })
            : error;
        });
        for (const index of indices.slice(at, at + chunk.length)) this.delivered.add(records[index]!);
        at += chunk.length;
      }
    }
    return { failed };
  }
}
