import { z } from 'zod';
import { readEndpoints } from '../endpoints.js';
import {
  BadRecordError,
  isRetryable,
  defineSource,
  type ComponentContext,
  type Position,
  type Source,
  type SourceHandler,
  type SourceRecord,
} from '../../runtime/contract/index.js';
import type {
  BatchControl,
  FetchedBatch,
  FetchedMessage,
  GroupConsumer,
  KafkaClient,
} from './kafka-client.js';
import { kafkaClient, kafkaConnectionFields } from './kafka-resources.js';
import type { ValueSerde } from './serde.js';
import { valueFormatSchema, valueSerde } from './value-format.js';

const kafkaSourceConfig = z.object({
  topics: z
    .array(z.string().min(1))
    .min(1)
    .describe('Topics to consume; all are read by one consumer group.'),
  group: z.string().min(1).optional().describe('Consumer group; the pipeline name when absent.'),
  fromBeginning: z
    .boolean()
    .default(true)
    .describe('Where a group with no committed offsets starts: the beginning (true) or the end.'),
  value: valueFormatSchema,
  ...kafkaConnectionFields,
  sessionTimeoutMs: z.number().int().positive().default(30_000).describe('Group session timeout.'),
  heartbeatIntervalMs: z.number().int().positive().default(3_000).describe('Heartbeat interval.'),
  rebalanceTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe('How long members have to drain and commit on a rebalance.'),
});

export type KafkaSourceConfig = z.output<typeof kafkaSourceConfig>;

export const kafkaSource = defineSource({
  name: 'kafka',
  summary: 'Consumes topics in a consumer group, committing only offsets whose writes are durable.',
  description:
    'One consumer group per pipeline; several partitions in flight at once, each in order; heartbeats during long batches; ' +
    'values decoded as Avro (Confluent wire format, through the schema registry), JSON, string or bytes. A value that ' +
    'cannot be decoded goes to the dead-letter topic with its reason.',
  config: kafkaSourceConfig,
  example: `type: kafka
topics: [cases]
value: { format: avro }`,
  topics: (config) =>
    config.topics.map((topic) => ({ topic, partitions: config.partitions, compact: config.compact })),
  group: (config, pipeline) => config.group ?? pipeline,
  create: async (config, ctx) =>
    new KafkaSource(
      config,
      await kafkaClient(ctx.resources, config.client, config.brokers ?? [...readEndpoints().KAFKA_BROKERS]),
      await valueSerde(config.value, config.topics[0]!, ctx),
      ctx,
    ),
});

const laneOf = (topic: string, partition: number) => `${topic}:${partition}`;

export function parseLane(lane: string): { topic: string; partition: number } {
  const at = lane.lastIndexOf(':');
  return { topic: lane.slice(0, at), partition: Number(lane.slice(at + 1)) };
}

export class KafkaSource implements Source {
  private consumer: GroupConsumer | undefined;

  constructor(
    private readonly config: KafkaSourceConfig,
    private readonly client: KafkaClient,
    private readonly decoder: ValueSerde,
    private readonly ctx: ComponentContext,
  ) {}

  get groupId(): string {
    return this.config.group ?? this.ctx.pipeline;
  }

  async start(handler: SourceHandler): Promise<void> {
    this.consumer = this.client.consumer({
      groupId: this.groupId,
      topics: this.config.topics,
      fromBeginning: this.config.fromBeginning,
      sessionTimeoutMs: this.config.sessionTimeoutMs,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      rebalanceTimeoutMs: this.config.rebalanceTimeoutMs,
      maxBytes: this.ctx.delivery.maxBatchBytes,
      partitionsInFlight: this.ctx.delivery.maxInFlight,
      clientId: `tributary-${this.ctx.pipeline}`,
    });
    await this.consumer.start({
      onAssigned: (partitions) => handler.onAssigned(partitions.map((p) => laneOf(p.topic, p.partition))),
      onRevoked: (partitions) => handler.onRevoked(partitions.map((p) => laneOf(p.topic, p.partition))),
      onBatch: async (batch, control) => {
        const records = await this.decodeBatchWaitingForRegistry(batch, control);
        if (!records) return; // stopping or revoked while the registry was away: redelivered later
        const last = batch.messages[batch.messages.length - 1]!;
        await handler.onBatch(
          laneOf(batch.topic, batch.partition),
          records,
          (BigInt(last.offset) + 1n).toString(),
          control,
          batch.highWatermark,
        );
      },
    });
  }

  /**
   * Decodes a batch; while something decoding needs is unreachable (the schema registry), waits
   * with capped backoff and tries again, heartbeating, instead of dead-lettering good records.
   * Undefined when the lane stops being ours meanwhile.
   */
  private async decodeBatchWaitingForRegistry(
    batch: FetchedBatch,
    control: BatchControl,
  ): Promise<SourceRecord[] | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.decodeBatch(batch);
      } catch (error) {
        if (!isRetryable(error)) throw error;
        const delayMs = Math.min(30_000, 250 * 2 ** Math.min(attempt - 1, 7));
        this.ctx.logger.warn(
          {
            topic: batch.topic,
            partition: batch.partition,
            attempt,
            delayMs,
            error: (error as Error).message,
          },
          'Cannot decode the batch now (schema registry unreachable?); retrying.',
        );
        const until = Date.now() + delayMs;
        while (Date.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, until - Date.now())));
          await control.heartbeat().catch(() => undefined);
          if (!control.isActive()) return undefined;
        }
      }
    }
  }

  /**
   * Decodes every message; one that cannot be decoded is marked for the dead-letter path. Throws
   * only a transient failure (the registry cannot be reached), which is not the record's fault.
   */
  async decodeBatch(batch: FetchedBatch): Promise<SourceRecord[]> {
    const lane = laneOf(batch.topic, batch.partition);
    if (this.decoder.decodeSync)
      return batch.messages.map((message) => this.decodeMessageSync(lane, message));
    return Promise.all(batch.messages.map((message) => this.decodeMessage(lane, message)));
  }

  private envelope(lane: string, message: FetchedMessage): SourceRecord {
    const headers: Record<string, string> = {};
    for (const name in message.headers) headers[name] = message.headers[name]!.toString('utf8');
    return {
      key: message.key === null ? null : message.key.toString('utf8'),
      value: null,
      headers,
      timestamp: message.timestamp,
      position: { lane, offset: message.offset },
      raw: { key: message.key, value: message.value, headers: message.headers },
    };
  }

  private markUndecodable(record: SourceRecord, error: unknown): void {
    if (isRetryable(error)) throw error;
    record.decodeError =
      error instanceof BadRecordError
        ? error
        : new BadRecordError('decode', (error as Error).message, { cause: error });
  }

  private decodeMessageSync(lane: string, message: FetchedMessage): SourceRecord {
    const record = this.envelope(lane, message);
    try {
      record.value = message.value === null ? null : this.decoder.decodeSync!(message.value);
      if (this.decoder.bytesAreJson) record.rawValueIsJson = true;
    } catch (error) {
      this.markUndecodable(record, error);
    }
    return record;
  }

  async decodeMessage(lane: string, message: FetchedMessage): Promise<SourceRecord> {
    const record = this.envelope(lane, message);
    try {
      record.value = message.value === null ? null : await this.decoder.decode(message.value);
      if (this.decoder.bytesAreJson) record.rawValueIsJson = true;
    } catch (error) {
      this.markUndecodable(record, error);
    }
    return record;
  }

  decode(raw: SourceRecord['raw'], position: Position, timestamp: number): Promise<SourceRecord> {
    return this.decodeMessage(position.lane, {
      key: raw.key,
      value: raw.value,
      headers: raw.headers,
      offset: position.offset,
      timestamp,
    });
  }

  async commit(lane: string, next: string): Promise<void> {
    const { topic, partition } = parseLane(lane);
    await this.consumer?.commit([{ topic, partition, offset: next }]);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
