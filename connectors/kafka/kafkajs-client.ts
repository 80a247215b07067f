/**
 * The Kafka client interface on kafkajs 2.2.4 (eager rebalancing, one `eachBatch` per partition
 * fetch, manual commits only).
 *
 * Revocation: kafkajs has no revoke callback, so the adapter approximates one. kafkajs never
 * rejoins while an `eachBatch` call is running: a fetcher waits for every batch of its response
 * before the group rejoins. The adapter heartbeats on a timer while a batch runs (kafkajs itself
 * heartbeats only between fetches) and after each batch; when that heartbeat reports
 * a rebalance it stops starting batches, waits for the batches still running, awaits
 * `onRevoked(every assigned partition)` and only then lets kafkajs rejoin, so commits made in
 * `onRevoked` land in the old generation, before any other member can own those partitions.
 * When kafkajs notices the rebalance itself (an idle member heartbeating between empty fetches),
 * `onRevoked` runs from the REBALANCING event beside the rejoin instead of before it: its commits
 * are retried by kafkajs and may land after the partitions moved, which can redeliver work to the
 * new owner but never skips any. `stop()` always drains and calls `onRevoked` before leaving.
 */
import kafkajs, {
  type Admin as KafkajsAdmin,
  type Consumer,
  type EachBatchPayload,
  type KafkaMessage,
  type LogEntry,
  type Kafka as KafkaInstance,
  type Producer as KafkajsProducer,
} from 'kafkajs';
import type {
  Admin,
  BatchControl,
  CommitOffset,
  ConsumerHandlers,
  ConsumerOptions,
  FetchedMessage,
  GroupConsumer,
  GroupDescription,
  KafkaClient,
  KafkaClientOptions,
  KafkaLogger,
  PartitionOffsets,
  ProducedMessage,
  Producer,
  TopicDescription,
  TopicPartition,
  TopicSpec,
} from './kafka-client.js';
import { guardKafkajsTimers } from './kafkajs-timers.js';
import { classifyProduceError } from './produce-errors.js';

// kafkajs is CommonJS: Node's ESM loader does not see all of its named exports (ConfigResourceTypes).
const { AssignerProtocol, ConfigResourceTypes, Kafka, Partitioners, logLevel } = kafkajs;

/** How long a fetch waits at the broker for data; also bounds how long `stop()` waits for a fetch. */
const maxWaitMs = 500;
/** kafkajs fetches at most this much per partition (its default), and less when `maxBytes` is smaller. */
const maxBytesPerPartition = 1_048_576;
/** Before a batch whose `onBatch` rejected is delivered again. */
const redeliveryDelayMs = 1_000;

const silentLogger: KafkaLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A KafkaClient on kafkajs. Producers are idempotent with acks=all and the Java client's key
 * partitioning; consumers commit only through `commit()`. See the file comment for what
 * `onRevoked` guarantees here.
 */
export function createKafkajsClient(options: KafkaClientOptions): KafkaClient {
  guardKafkajsTimers();
  const log = options.logger ?? silentLogger;
  const connect = (clientId: string) =>
    new Kafka({
      clientId,
      brokers: options.brokers,
      logLevel: options.logger ? logLevel.INFO : logLevel.NOTHING,
      logCreator: () => (entry) => routeLog(log, entry),
    });
  const kafka = connect(options.clientId);
  return {
    library: 'kafkajs',
    consumer: (consumerOptions) =>
      new KafkajsGroupConsumer(
        consumerOptions.clientId ? connect(consumerOptions.clientId) : kafka,
        consumerOptions,
        log,
      ),
    producer: async () => {
      const producer = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: true,
        allowAutoTopicCreation: false,
        // Bounded (about 25 s), so a send to a broker that stays away rejects and the caller's own
        // retry policy takes over instead of waiting forever.
        retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5_000 },
      });
      await producer.connect();
      return new KafkajsProducerAdapter(producer);
    },
    admin: async () => {
      const admin = kafka.admin();
      await admin.connect();
      return new KafkajsAdminAdapter(admin);
    },
  };
}

function routeLog(log: KafkaLogger, { namespace, level, log: content }: LogEntry): void {
  const { message, timestamp: _timestamp, logger: _logger, ...fields } = content;
  // Our producer bounds its retries on purpose (see above); the warning about it is noise.
  if (message.startsWith('Limiting retries for the idempotent producer')) return;
  const entry = { library: 'kafkajs', namespace, ...fields };
  if (level === logLevel.ERROR) log.error(entry, message);
  else if (level === logLevel.WARN) log.warn(entry, message);
  else log.debug(entry, message);
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

function toFetchedMessage(message: KafkaMessage): FetchedMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) headers[name] = Buffer.isBuffer(last) ? last : Buffer.from(last);
  }
  return {
    key: message.key ?? null,
    value: message.value ?? null,
    headers,
    offset: message.offset,
    timestamp: Number(message.timestamp),
  };
}

function byTopic(partitions: TopicPartition[]): { topic: string; partitions: number[] }[] {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = topics.get(topic) ?? [];
    list.push(partition);
    topics.set(topic, list);
  }
  return [...topics].map(([topic, list]) => ({ topic, partitions: list }));
}

/** Errors after which this member must rejoin: its partitions are being taken away. */
function needsRejoin(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return (
    type === 'REBALANCE_IN_PROGRESS' ||
    type === 'ILLEGAL_GENERATION' ||
    type === 'UNKNOWN_MEMBER_ID' ||
    type === 'NOT_COORDINATOR_FOR_GROUP'
  );
}

class KafkajsGroupConsumer implements GroupConsumer {
  private readonly consumer: Consumer;
  private handlers: ConsumerHandlers | undefined;
  /** Partitions of the current generation, and when each is ready for its first batch. */
  private assigned = new Map<string, { tp: TopicPartition; ready: Promise<void> }>();
  private readonly paused = new Map<string, TopicPartition>();
  /** `onBatch` calls still running. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Set once the current generation is being given up; cleared by the next GROUP_JOIN. */
  private revocation: Promise<void> | undefined;
  /** A rejoin error seen by a heartbeat during a batch, rethrown to kafkajs once drained. */
  private rejoinError: Error | undefined;
  private member = false;
  /** The generation whose partitions `onAssigned` is looking at; a newer join supersedes it. */
  private generation: symbol | undefined;
  private stopping: Promise<void> | undefined;
  private started = false;

  constructor(
    kafka: KafkaInstance,
    private readonly options: ConsumerOptions,
    private readonly log: KafkaLogger,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      maxBytes: options.maxBytes,
      maxBytesPerPartition: Math.min(maxBytesPerPartition, options.maxBytes),
      maxWaitTimeInMs: maxWaitMs,
      allowAutoTopicCreation: false,
    });
    const { GROUP_JOIN, REBALANCING, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => this.onGroupJoin(payload.memberAssignment));
    this.consumer.on(REBALANCING, () => {
      // kafkajs noticed the rebalance itself and is rejoining now; see the file comment.
      void this.revokeAll('rebalance noticed by kafkajs');
    });
    this.consumer.on(CRASH, ({ payload }) => {
      this.member = false;
      this.log.error(
        { groupId: options.groupId, err: payload.error, restart: payload.restart },
        'The kafkajs consumer crashed.',
      );
      void this.revokeAll('consumer crashed');
    });
  }

  async start(handlers: ConsumerHandlers): Promise<void> {
    if (this.started) throw new Error('start() was already called on this consumer');
    this.started = true;
    this.handlers = handlers;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsInFlight,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  async commit(offsets: CommitOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    // kafkajs silently drops a commit once its runner stopped; say so instead.
    if (!this.member)
      throw new Error(`cannot commit for group ${this.options.groupId}: this consumer is not a member of it`);
    await this.consumer.commitOffsets(
      offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
    );
  }

  pause(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.paused.set(partitionKey(tp.topic, tp.partition), tp);
    if (this.member) this.consumer.pause(byTopic(partitions));
  }

  resume(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.paused.delete(partitionKey(tp.topic, tp.partition));
    if (this.member) this.consumer.resume(byTopic(partitions));
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    if (!this.started) return;
    // Commits must happen while the kafkajs runner still runs, so drain first, then disconnect.
    if (this.member) this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
    await this.revokeAll('stopping');
    // A rebalance that was completing meanwhile may have handed us a new generation: give it up too.
    while (this.assigned.size > 0) await this.revokeAll('stopping');
    // Everything was drained and committed: a failed leave only leaves the member to time out.
    await this.consumer
      .disconnect()
      .catch((error: unknown) =>
        this.log.warn(
          { groupId: this.options.groupId, err: error },
          'Could not leave the group; its coordinator drops this member after the session timeout.',
        ),
      );
    this.member = false;
  }

  private onGroupJoin(memberAssignment: Record<string, number[]>): void {
    this.member = true;
    // onAssigned of this generation comes after onRevoked of the previous one has resolved.
    const previous = this.revocation ?? Promise.resolve();
    this.revocation = undefined;
    this.rejoinError = undefined;
    const partitions = Object.entries(memberAssignment).flatMap(([topic, list]) =>
      list.map((partition) => ({ topic, partition })),
    );
    // No fetch until onAssigned has looked at the partitions: kafkajs answers an offset out of
    // range (records deleted before they were processed) by committing its default offset
    // itself, which would skip them silently. onAssigned pauses the partitions it refuses.
    if (partitions.length > 0) this.consumer.pause(byTopic(partitions));
    const generation = Symbol('generation');
    this.generation = generation;
    const settled = previous
      .then(() => (partitions.length > 0 ? this.handlers?.onAssigned?.(partitions) : undefined))
      .catch((error: unknown) => {
        this.log.error(
          { groupId: this.options.groupId, err: error },
          'onAssigned rejected; delivering the partitions anyway.',
        );
      })
      .then(() => {
        if (this.generation !== generation || !this.member || this.stopping) return;
        const free = partitions.filter((tp) => !this.paused.has(partitionKey(tp.topic, tp.partition)));
        if (free.length > 0) this.consumer.resume(byTopic(free));
      });
    this.assigned = new Map(
      partitions.map((tp) => [partitionKey(tp.topic, tp.partition), { tp, ready: settled }]),
    );
    // Pauses asked for before the rebalance still hold for the partitions we kept.
    const stillPaused = [...this.paused.values()].filter((tp) =>
      this.assigned.has(partitionKey(tp.topic, tp.partition)),
    );
    if (stillPaused.length > 0) this.consumer.pause(byTopic(stillPaused));
    if (this.stopping) this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
  }

  /**
   * Gives up every partition of the current generation once: no new batch starts, the running
   * ones finish, then `onRevoked` resolves. Idempotent within one generation.
   */
  private revokeAll(reason: string): Promise<void> {
    this.revocation ??= (async () => {
      const generation = this.assigned;
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      const partitions = [...generation.values()].map(({ tp }) => tp);
      if (this.assigned === generation) this.assigned = new Map();
      for (const tp of partitions) this.paused.delete(partitionKey(tp.topic, tp.partition));
      if (partitions.length === 0 || !this.handlers?.onRevoked) return;
      this.log.info(
        { groupId: this.options.groupId, reason, partitions: partitions.length },
        'Revoking partitions.',
      );
      try {
        await this.handlers.onRevoked(partitions);
      } catch (error) {
        this.log.error({ groupId: this.options.groupId, err: error }, 'onRevoked rejected.');
      }
    })();
    return this.revocation;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const heartbeat = () => payload.heartbeat();
    const isRunning = () => payload.isRunning();
    const isStale = () => payload.isStale();
    const key = partitionKey(batch.topic, batch.partition);
    const assignment = this.assigned.get(key);
    // Not resolving the offset makes kafkajs fetch these messages again when the partition is
    // delivered next (after a resume, or by whoever owns it after the rebalance).
    if (this.stopping || this.revocation || !assignment || this.paused.has(key) || isStale()) return;
    await assignment.ready;
    if (this.stopping || this.revocation || this.paused.has(key) || !isRunning()) return;

    const control: BatchControl = {
      heartbeat: () => this.heartbeat(heartbeat),
      isActive: () =>
        !this.stopping && !this.revocation && this.rejoinError === undefined && isRunning() && !isStale(),
    };
    const messages = batch.messages.map(toFetchedMessage);
    const handled = this.handlers!.onBatch(
      { topic: batch.topic, partition: batch.partition, messages, highWatermark: batch.highWatermark },
      control,
    );
    const running = handled.then(
      () => true,
      (error: unknown) => {
        this.log.error(
          { topic: batch.topic, partition: batch.partition, offset: batch.firstOffset(), err: error },
          'onBatch rejected; the batch will be delivered again.',
        );
        return false;
      },
    );
    const tracked = running.then(() => undefined);
    this.inFlight.add(tracked);
    // kafkajs heartbeats only when asked: keep the membership alive on a timer of its own while the
    // batch runs, so a slow batch never costs the session (the session timeout stays short).
    const beat = setInterval(() => void this.heartbeat(heartbeat), this.options.heartbeatIntervalMs);
    const ok = await running.finally(() => clearInterval(beat));
    this.inFlight.delete(tracked);

    if (ok) payload.resolveOffset(batch.lastOffset());
    else await new Promise((resolve) => setTimeout(resolve, redeliveryDelayMs));

    // Notice a rebalance here, while kafkajs still waits for this batch, so that onRevoked runs
    // before the rejoin rather than beside it.
    if (this.rejoinError === undefined && !this.stopping) await this.heartbeat(heartbeat);
    if (this.rejoinError !== undefined) {
      const error = this.rejoinError;
      await this.revokeAll('rebalance');
      throw error;
    }
  }

  private async heartbeat(heartbeat: () => Promise<void>): Promise<void> {
    try {
      await heartbeat();
    } catch (error) {
      if (needsRejoin(error)) this.rejoinError ??= error as Error;
      else this.log.warn({ groupId: this.options.groupId, err: error }, 'A heartbeat failed.');
    }
  }
}

class KafkajsProducerAdapter implements Producer {
  constructor(private readonly producer: KafkajsProducer) {}

  async send(topic: string, messages: ProducedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.producer.send({
        topic,
        acks: -1,
        messages: messages.map((message) => ({
          key: message.key,
          value: message.value,
          headers: message.headers,
          partition: message.partition,
        })),
      });
    } catch (error) {
      // kafkajs keeps a partition's sequence number until a send succeeds, so the runtime's retry
      // of the same batch is recognised by the broker as a duplicate where it was written.
      throw classifyProduceError(error, topic);
    }
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

class KafkajsAdminAdapter implements Admin {
  constructor(private readonly admin: KafkajsAdmin) {}

  async createTopics(specs: TopicSpec[]): Promise<string[]> {
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length === 0) return [];
    try {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor ?? -1,
          configEntries: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (error) {
      // Someone else created one of them meanwhile: report only the ones this call created.
      if ((error as { type?: unknown }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
      const after = await this.admin.listTopics();
      return missing
        .filter((spec) => after.includes(spec.topic) && !existing.has(spec.topic))
        .map((spec) => spec.topic);
    }
    return missing.map((spec) => spec.topic);
  }

  async describeTopics(topics: string[], configNames: string[]): Promise<TopicDescription[]> {
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length === 0) return [];
    const { topics: metadata } = await this.admin.fetchTopicMetadata({ topics: present });
    const configs = new Map<string, Record<string, string>>(present.map((topic) => [topic, {}]));
    if (configNames.length > 0) {
      const described = await this.admin.describeConfigs({
        includeSynonyms: false,
        resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames })),
      });
      for (const resource of described.resources) {
        const values = configs.get(resource.resourceName)!;
        for (const entry of resource.configEntries) values[entry.configName] = entry.configValue;
      }
    }
    return metadata.map((topic) => ({
      topic: topic.name,
      partitions: topic.partitions.length,
      configs: configs.get(topic.name) ?? {},
    }));
  }

  async deleteTopics(topics: string[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await this.admin.deleteTopics({ topics: present });
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets
      .map(({ partition, low, high }) => ({ partition, low, high }))
      .sort((a, b) => a.partition - b.partition);
  }

  async offsetsForTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: string }[]> {
    const offsets = await this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
    return offsets
      .map(({ partition, offset }) => ({ partition, offset }))
      .sort((a, b) => a.partition - b.partition);
  }

  async groupOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]> {
    const [fetched] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return (fetched?.partitions ?? [])
      .map(({ partition, offset }) => ({ partition, offset }))
      .sort((a, b) => a.partition - b.partition);
  }

  async setGroupOffsets(
    groupId: string,
    topic: string,
    offsets: { partition: number; offset: string }[],
  ): Promise<void> {
    await this.admin.setOffsets({ groupId, topic, partitions: offsets });
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const { groups } = await this.admin.describeGroups([groupId]);
    const group = groups[0];
    if (!group) return { groupId, state: 'Dead', members: [] };
    return {
      groupId,
      state: group.state,
      members: group.members.map((member) => {
        const decoded =
          member.memberAssignment.length > 0
            ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment)
            : null;
        const assignments = Object.entries(decoded?.assignment ?? {}).flatMap(([topic, partitions]) =>
          partitions.map((partition) => ({ topic, partition })),
        );
        return { memberId: member.memberId, clientId: member.clientId, host: member.clientHost, assignments };
      }),
    };
  }

  close(): Promise<void> {
    return this.admin.disconnect();
  }
}
