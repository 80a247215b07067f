import { z } from 'zod';
import { FormBodies } from '../blob/form-body.js';
import {
  BadConfigError,
  BadRecordError,
  RetryableError,
  isRetryable,
  defineSource,
  type ComponentContext,
  type Position,
  type Source,
  type SourceHandler,
  type SourceRecord,
} from '../../runtime/contract/index.js';
import type {
  Admin,
  BatchControl,
  FetchedBatch,
  FetchedMessage,
  GroupConsumer,
  KafkaClient,
  TopicPartition,
} from './kafka-client.js';
import { OffsetGapGuard, type OffsetGap } from './offset-gaps.js';
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
  createTopics: z
    .boolean()
    .default(false)
    .describe(
      'Create the topics this source reads when they are missing. Off: a missing topic is a start-up error naming ' +
        'it and `tributary topics ensure`, since a misspelt name would otherwise wait forever on an empty topic.',
    ),
  sessionTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe(
      'Group session timeout: how long after its last heartbeat a member that died without leaving (SIGKILL, a lost ' +
        'machine) keeps its partitions. Heartbeats run on their own timer, beside batch processing; a member ' +
        'starved of CPU for longer than this is taken out of the group and its work redelivered (README, delivery).',
    ),
  heartbeatIntervalMs: z
    .number()
    .int()
    .positive()
    .default(1_000)
    .describe('Heartbeat interval; members also learn of a rebalance at their next heartbeat.'),
  groupInstanceId: z
    .string()
    .regex(/^\S+$/, 'expected an id without spaces')
    .optional()
    .describe(
      'Static membership (@platformatic/kafka only): a stable id per worker, e.g. `${HOSTNAME}-${TRIBUTARY_WORKER:-0}`. ' +
        'A worker restarted in place with the same id takes its partitions back at once, without a rebalance; one ' +
        'that does not come back keeps them until the session timeout. Two running workers must never share an id.',
    ),
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
  create: async (config, ctx) => {
    if (config.groupInstanceId !== undefined && config.client === 'kafkajs')
      throw new BadConfigError(
        'groupInstanceId',
        'kafkajs has no static membership; use client: platformatic',
      );
    return new KafkaSource(
      config,
      await kafkaClient(ctx.resources, config.client, config.brokers ?? [...ctx.endpoints.KAFKA_BROKERS]),
      await valueSerde(config.value, config.topics[0]!, ctx),
      ctx,
    );
  },
});

/** Longest wait between attempts to reach the registry or the broker's admin API for a batch. */
const waitCapMs = 5_000;

const laneOf = (topic: string, partition: number) => `${topic}:${partition}`;

export function parseLane(lane: string): { topic: string; partition: number } {
  const at = lane.lastIndexOf(':');
  return { topic: lane.slice(0, at), partition: Number(lane.slice(at + 1)) };
}

export class KafkaSource implements Source {
  private consumer: GroupConsumer | undefined;
  /** Large form bodies travel beside their events (connectors/blob/form-body.ts); decoding puts them back. */
  private readonly formBodies = new FormBodies(() => this.ctx.endpoints);
  private admin: Promise<Admin> | undefined;
  /** Recognises batches that start past records deleted before they were processed. */
  private readonly gaps = new OffsetGapGuard({
    committed: (topic, partition) =>
      this.askBroker(async (admin) => {
        const offsets = await admin.groupOffsets(this.groupId, topic);
        const offset = BigInt(offsets.find((o) => o.partition === partition)?.offset ?? '-1');
        return offset >= 0n ? offset : undefined;
      }),
    logStart: (topic, partition) =>
      this.askBroker(async (admin) => {
        const offsets = await admin.topicOffsets(topic);
        return BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0');
      }),
  });
  /** Lanes refused for a gap: nothing of them is handed on until they are revoked. */
  private readonly refused = new Set<string>();
  /** The last position committed per lane (durable), to restore one a client overwrote. */
  private readonly committed = new Map<string, bigint>();
  private stopped = false;

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
    await this.ensureTopicsExist();
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
      ...(this.config.groupInstanceId !== undefined ? { groupInstanceId: this.config.groupInstanceId } : {}),
    });
    await this.consumer.start({
      onAssigned: async (partitions) => {
        await handler.onAssigned(partitions.map((p) => laneOf(p.topic, p.partition)));
        await this.refuseGaps(partitions, handler);
      },
      onRevoked: (partitions) => {
        for (const { topic, partition } of partitions) {
          this.gaps.forget(topic, partition);
          this.refused.delete(laneOf(topic, partition));
          this.committed.delete(laneOf(topic, partition));
        }
        return handler.onRevoked(partitions.map((p) => laneOf(p.topic, p.partition)));
      },
      onBatch: (batch, control) => this.onBatch(batch, control, handler),
    });
  }

  /**
   * Before the first batch of newly assigned partitions: a committed offset the log no longer
   * holds is refused (the client would otherwise resume at the log start, silently).
   */
  private async refuseGaps(partitions: TopicPartition[], handler: SourceHandler): Promise<void> {
    const stopping = () => this.ctx.signal.aborted || this.stopped;
    for (const topic of new Set(partitions.map((p) => p.topic))) {
      const offsets = await this.untilAnswered(stopping, () =>
        this.askBroker((admin) =>
          Promise.all([admin.groupOffsets(this.groupId, topic), admin.topicOffsets(topic)]),
        ),
      );
      if (!offsets) return;
      const [committed, ends] = offsets;
      for (const { partition } of partitions.filter((p) => p.topic === topic)) {
        const done = BigInt(committed.find((c) => c.partition === partition)?.offset ?? '-1');
        const low = BigInt(ends.find((e) => e.partition === partition)?.low ?? '0');
        const refusal = this.gaps.assigned(topic, partition, done >= 0n ? done : undefined, low);
        if (refusal) this.refuse(topic, partition, refusal, handler);
      }
    }
  }

  private refuse(
    topic: string,
    partition: number,
    refusal: { gap: OffsetGap; message: string },
    handler: SourceHandler,
  ): void {
    const lane = laneOf(topic, partition);
    // Never skip silently: hold the partition, and say why until an operator decides.
    this.refused.add(lane);
    this.consumer?.pause([{ topic, partition }]);
    handler.onLaneRefused?.(lane, {
      reason: 'offset-gap',
      message: refusal.message,
      gapRecords: refusal.gap.records,
    });
  }

  /** Retries a broker request with capped backoff until it answers; null once `stopping()` says so. */
  private async untilAnswered<T>(stopping: () => boolean, request: () => Promise<T>): Promise<T | null> {
    for (let attempt = 1; !stopping(); attempt++) {
      try {
        return await request();
      } catch (error) {
        const delayMs = Math.min(waitCapMs, 250 * 2 ** Math.min(attempt - 1, 7));
        this.ctx.logger.warn(
          { attempt, delayMs, error: (error as Error).message },
          'The broker did not answer; retrying.',
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    return null;
  }

  private async onBatch(batch: FetchedBatch, control: BatchControl, handler: SourceHandler): Promise<void> {
    const lane = laneOf(batch.topic, batch.partition);
    if (this.refused.has(lane)) return;
    const first = BigInt(batch.messages[0]!.offset);
    const refusal = await this.waitingOut(control, 'look up the committed offset and the log start', () =>
      this.gaps.check(batch.topic, batch.partition, first),
    );
    if (refusal === null) return; // stopping or revoked meanwhile: redelivered to whoever owns it
    if (refusal) {
      this.refuse(batch.topic, batch.partition, refusal, handler);
      // A client may have committed its own reset position (kafkajs does, on an offset out of
      // range): put the last durable position back, so the gap stays visible to status and rewind.
      if (this.committed.get(lane) === refusal.gap.position)
        await this.commit(lane, refusal.gap.position.toString()).catch(() => undefined);
      return;
    }
    const records = await this.waitingOut(control, 'decode the batch (schema registry unreachable?)', () =>
      this.decodeBatch(batch),
    );
    if (records === null) return; // stopping or revoked while the registry was away: redelivered later
    const next = BigInt(batch.messages[batch.messages.length - 1]!.offset) + 1n;
    await handler.onBatch(lane, records, next.toString(), control, batch.highWatermark);
    this.gaps.delivered(batch.topic, batch.partition, next);
  }

  /**
   * The source never creates what it reads unless told to: a missing topic (a misspelt name)
   * would otherwise be created empty and waited on forever.
   */
  private async ensureTopicsExist(): Promise<void> {
    const admin = await this.adminClient();
    const present = new Set((await admin.describeTopics(this.config.topics, [])).map((t) => t.topic));
    const missing = this.config.topics.filter((topic) => !present.has(topic));
    if (!missing.length) return;
    if (!this.config.createTopics) {
      throw new BadConfigError(
        'topics',
        `${missing.map((t) => `topic '${t}'`).join(', ')} of pipeline ${this.ctx.pipeline} does not exist; ` +
          'create it with `tributary topics ensure <pipeline file>` (or set `createTopics: true` on the source)',
      );
    }
    const configs = { 'cleanup.policy': this.config.compact ? 'compact' : 'delete' };
    await admin.createTopics(
      missing.map((topic) => ({ topic, partitions: this.config.partitions, configs })),
    );
    this.ctx.logger.info({ topics: missing }, 'Created the topics this source reads (createTopics: true).');
  }

  /** An admin request; any failure of it is the broker's (unreachable, moving), so it is retried. */
  private async askBroker<T>(request: (admin: Admin) => Promise<T>): Promise<T> {
    try {
      return await request(await this.adminClient());
    } catch (error) {
      throw new RetryableError(`the broker did not answer: ${(error as Error).message}`, { cause: error });
    }
  }

  private adminClient(): Promise<Admin> {
    this.admin ??= this.client.admin();
    this.admin.catch(() => (this.admin = undefined));
    return this.admin;
  }

  /**
   * Runs `work`; while it fails transiently (the registry or the broker unreachable), waits with
   * capped backoff and tries again, heartbeating, instead of dead-lettering good records. Null when
   * the lane stops being ours meanwhile.
   */
  private async waitingOut<T>(
    control: BatchControl,
    what: string,
    work: () => Promise<T>,
  ): Promise<T | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!isRetryable(error)) throw error;
        const delayMs = Math.min(waitCapMs, 250 * 2 ** Math.min(attempt - 1, 7));
        this.ctx.logger.warn(
          { attempt, delayMs, error: (error as Error).message },
          `Cannot ${what} now; retrying.`,
        );
        const until = Date.now() + delayMs;
        while (Date.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, until - Date.now())));
          await control.heartbeat().catch(() => undefined);
          if (!control.isActive()) return null;
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
    const records = this.decoder.decodeSync
      ? batch.messages.map((message) => this.decodeMessageSync(lane, message))
      : await Promise.all(batch.messages.map((message) => this.decodeMessage(lane, message)));
    await this.formBodies.resolve(records);
    return records;
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
    } catch (error) {
      this.markUndecodable(record, error);
    }
    return record;
  }

  async decodeMessage(lane: string, message: FetchedMessage): Promise<SourceRecord> {
    const record = this.envelope(lane, message);
    try {
      record.value = message.value === null ? null : await this.decoder.decode(message.value);
    } catch (error) {
      this.markUndecodable(record, error);
    }
    return record;
  }

  async decode(raw: SourceRecord['raw'], position: Position, timestamp: number): Promise<SourceRecord> {
    const record = await this.decodeMessage(position.lane, {
      key: raw.key,
      value: raw.value,
      headers: raw.headers,
      offset: position.offset,
      timestamp,
    });
    await this.formBodies.resolve([record]);
    return record;
  }

  async commit(lane: string, next: string): Promise<void> {
    const { topic, partition } = parseLane(lane);
    await this.consumer?.commit([{ topic, partition, offset: next }]);
    this.committed.set(lane, BigInt(next));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.stop();
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.close()).catch(() => undefined);
  }
}
