/**
 * The small Kafka interface Tributary runs on, so that the engine and connectors do not depend
 * on one client library. Two implementations: kafkajs (kafkajs-client.ts) and @platformatic/kafka
 * (platformatic-client.ts); test/conformance/kafka-client.test.ts holds both to the same contract.
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface FetchedMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  /** Offset as a decimal string (offsets are int64). */
  offset: string;
  /** Broker or producer timestamp, ms since the epoch. */
  timestamp: number;
}

export interface FetchedBatch extends TopicPartition {
  /** In offset order; never empty. */
  messages: FetchedMessage[];
  /** Offset of the next message the broker will write (the partition's end offset), if known. */
  highWatermark?: string;
}

export interface BatchControl {
  /** Keeps group membership alive during long work; cheap to call often. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or this partition was revoked: finish, do not start new work. */
  isActive(): boolean;
}

export interface ConsumerHandlers {
  /**
   * Called with the next batch of one partition. Batches of one partition are delivered one at a
   * time, in order (the next only after this one resolves); different partitions concurrently,
   * up to `partitionsInFlight`. A rejection is a client bug in the caller: handle errors inside.
   */
  onBatch(batch: FetchedBatch, control: BatchControl): Promise<void>;
  /** After partitions are assigned to this member, before their first batch. */
  onAssigned?(partitions: TopicPartition[]): Promise<void>;
  /**
   * Before partitions are taken away (rebalance or stop). Resolve once in-flight work of those
   * partitions is drained and committed; the client waits for it, within the rebalance timeout.
   */
  onRevoked?(partitions: TopicPartition[]): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. */
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  /** Upper bound on bytes per fetch response. */
  maxBytes: number;
  /** Partitions processed at the same time by one member. */
  partitionsInFlight: number;
  clientId?: string;
  /** Static membership: a restarted member with the same id takes its partitions back without a rebalance. */
  groupInstanceId?: string;
}

export interface CommitOffset extends TopicPartition {
  /** The next offset to consume (last processed + 1), as a decimal string. */
  offset: string;
}

export interface GroupConsumer {
  /** Joins the group and starts delivering batches; resolves once running. Offsets are never committed automatically. */
  start(handlers: ConsumerHandlers): Promise<void>;
  commit(offsets: CommitOffset[]): Promise<void>;
  /**
   * Stops delivering batches of these partitions until resumed (backpressure), without growing
   * memory; in-flight batches continue. A revoked partition forgets that it was paused.
   */
  pause(partitions: TopicPartition[]): void;
  resume(partitions: TopicPartition[]): void;
  /** Stops fetching, waits for in-flight batches and onRevoked, leaves the group. Idempotent. */
  stop(): Promise<void>;
}

export interface ProducedMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
  partition?: number;
}

export interface Producer {
  /**
   * Resolves once every message is acknowledged by all in-sync replicas (acks = all). Rejects with
   * a BadRecordError when the broker refuses a record (too large, invalid), and with a
   * RetryableError for anything else (the transport's fault): retry the same messages then.
   */
  send(topic: string, messages: ProducedMessage[]): Promise<void>;
  /** Resolves when a broker answers one request, without retrying; for a retry loop waiting on the brokers. */
  probe?(): Promise<void>;
  close(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor?: number;
  /** Topic-level configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configs?: Record<string, string>;
}

export interface TopicDescription {
  topic: string;
  partitions: number;
  configs: Record<string, string>;
}

export interface PartitionOffsets {
  partition: number;
  /** Earliest available offset. */
  low: string;
  /** End offset: the offset the next message will get. */
  high: string;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  members: { memberId: string; clientId: string; host: string; assignments: TopicPartition[] }[];
}

export interface Admin {
  /** Creates missing topics; returns the names it created. Existing topics are left as they are. */
  createTopics(specs: TopicSpec[]): Promise<string[]>;
  /** Describes existing topics (partition count and the configs named in `configNames`); missing ones are omitted. */
  describeTopics(topics: string[], configNames: string[]): Promise<TopicDescription[]>;
  deleteTopics(topics: string[]): Promise<void>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Offsets of the first message at or after `timestampMs` per partition (the end offset where none). */
  offsetsForTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: string }[]>;
  /** Committed offsets of a group for a topic; `-1` where the group has none. */
  groupOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]>;
  /** Overwrites a group's committed offsets; fails while the group has members. */
  setGroupOffsets(
    groupId: string,
    topic: string,
    offsets: { partition: number; offset: string }[],
  ): Promise<void>;
  describeGroup(groupId: string): Promise<GroupDescription>;
  close(): Promise<void>;
}

/** Where a client's own log lines go; a pino logger fits. */
export interface KafkaLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  /** Receives the library's and the adapter's log lines; silent when omitted. */
  logger?: KafkaLogger;
}

export interface KafkaClient {
  readonly library: 'kafkajs' | 'platformatic';
  consumer(options: ConsumerOptions): GroupConsumer;
  producer(): Promise<Producer>;
  admin(): Promise<Admin>;
}
