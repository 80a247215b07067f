/**
 * The group consumer of the Kafka client interface on @platformatic/kafka 2.x: cooperative-sticky
 * rebalancing (classic group protocol), manual commits only, per-partition batches cut from the
 * library's message stream.
 *
 * Revocation: the library calls the group's `protocolsMetadata` hook before every JoinGroup it
 * sends, and with cooperative-sticky it sends a second JoinGroup after a SyncGroup that takes
 * partitions away, with its assignment already reduced. The adapter uses that hook: it compares
 * the partitions it owns with the library's assignment and, for those no longer assigned, stops
 * delivering, waits for their running batches and awaits `onRevoked` before the hook resolves.
 * Until then the group cannot complete the round that hands those partitions to another member,
 * so commits made in `onRevoked` are in place before the next owner starts (the cooperative
 * protocol's guarantee, as with the Java client). Partitions kept across a rebalance are never
 * revoked. Partitions lost without a rejoin round (the member was expelled) are revoked when the
 * adapter notices, after the fact: their commits may fail and the work is redelivered.
 *
 * Delivery: the library fetches every assigned partition into one stream. The adapter keeps the
 * messages of each partition in order, hands out one batch per partition at a time (up to
 * `partitionsInFlight` partitions at once) and pauses the stream while too much is buffered.
 * The library cannot stop fetching one partition, so `pause()` holds that partition's messages up
 * to a bound and drops the rest; `resume()` then reopens the stream at the first dropped offset.
 * Each stream reads from positions the adapter gives it (its first one from the committed
 * offsets), and a rebalance also reopens it, so data fetched before a change is never mixed
 * with data fetched after it.
 */
import { Consumer, type ConsumerGroupJoinPayload, type MessagesStream } from '@platformatic/kafka';
import type {
  BatchControl,
  CommitOffset,
  ConsumerHandlers,
  ConsumerOptions,
  GroupConsumer,
  KafkaLogger,
  TopicPartition,
} from './kafka-client.js';
import {
  byTopic,
  messageBytes,
  partitionKey,
  toFetchedMessage,
  type GroupOptionsBase,
  type RawMessage,
} from './platformatic-messages.js';

/** How long a fetch waits at the broker for data; also bounds how long closing a stream waits. */
const maxWaitMs = 500;
/** Largest batch handed to `onBatch`, and what a paused partition may hold before dropping. */
const maxBatchBytes = 1_048_576;
/** Before a batch whose `onBatch` rejected is delivered again. */
const redeliveryDelayMs = 1_000;
/** Before a stream that failed is reopened. */
const reopenDelayMs = 1_000;

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/** What the adapter knows of one partition of the current assignment. */
interface PartitionState {
  readonly tp: TopicPartition;
  readonly key: string;
  /** Fetched, not yet delivered, in offset order from `head`; `sizes` holds their weights. */
  buffer: RawMessage[];
  sizes: number[];
  head: number;
  bufferedBytes: number;
  /** Next offset this partition needs; anything below it is a duplicate. */
  position: bigint | undefined;
  /** `onAssigned` has resolved: batches may start. */
  ready: boolean;
  paused: boolean;
  /** Messages were dropped while paused: the stream must be reopened at `position` on resume. */
  dropped: boolean;
  /** A batch is in `onBatch`. */
  running: Promise<void> | undefined;
  /** No batch before this time (after a rejected `onBatch`). */
  holdUntil: number;
  revoked: boolean;
}

/** A GroupConsumer on @platformatic/kafka; see the file comment for what `onRevoked` and `pause()` guarantee. */
export class PlatformaticGroupConsumer implements GroupConsumer {
  private consumer: Consumer | undefined;
  private handlers: ConsumerHandlers | undefined;
  private readonly parts = new Map<string, PartitionState>();
  /** Batches in `onBatch`, one per partition at most. */
  private running = 0;
  /** The stream whose messages are accepted; messages of any earlier stream are ignored. */
  private stream: Stream | undefined;
  /** Bumped whenever the current stream is retired; an open that started before is stale. */
  private streamEpoch = 0;
  private reopening: Promise<void> = Promise.resolve();
  /** Streams replaced by a reopen, closed once their successor is open. */
  private readonly retired: Stream[] = [];
  private joinedOnce = false;
  /** Bytes buffered in partitions that are not paused; the stream pauses above `highWaterBytes`. */
  private activeBytes = 0;
  /** Set above `highWaterBytes`, cleared below `lowWaterBytes`. */
  private overHighWater = false;
  /** Whether the adapter has paused the current stream: too much buffered, or every partition paused. */
  private streamPaused = false;
  private readonly highWaterBytes: number;
  private readonly lowWaterBytes: number;
  private readonly batchBytes: number;
  /** onAssigned and onRevoked calls, one after another in the order the group dictates. */
  private lifecycle: Promise<void> = Promise.resolve();
  private commits: Promise<void> = Promise.resolve();
  private commitsInFlight = 0;
  /** Revocations being awaited before a JoinGroup or at stop; commits go through meanwhile. */
  private handingOver = 0;
  private dispatchScheduled = false;
  private closing = false;
  private stopping: Promise<void> | undefined;
  private rotation = 0;
  private lastState: PartitionState | undefined;

  constructor(
    private readonly base: GroupOptionsBase,
    private readonly options: ConsumerOptions,
    private readonly log: KafkaLogger,
  ) {
    this.batchBytes = Math.max(1, Math.min(maxBatchBytes, options.maxBytes));
    this.highWaterBytes = Math.max(2 * options.maxBytes, 2 * this.batchBytes);
    this.lowWaterBytes = this.highWaterBytes / 2;
  }

  async start(handlers: ConsumerHandlers): Promise<void> {
    if (this.consumer) throw new Error('start() was already called on this consumer');
    this.handlers = handlers;
    const consumer = new Consumer({
      ...this.base,
      clientId: this.options.clientId ?? this.base.clientId,
      groupId: this.options.groupId,
      ...(this.options.groupInstanceId !== undefined
        ? { groupInstanceId: this.options.groupInstanceId }
        : {}),
      autocommit: false,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      protocols: [{ name: 'cooperative-sticky', version: 3 }],
      protocolsMetadata: () => this.beforeJoin(),
      maxBytes: this.options.maxBytes,
      maxBytesPerPartition: this.batchBytes,
      maxWaitTime: maxWaitMs,
    });
    this.consumer = consumer;
    consumer.on('consumer:group:join', (payload) => this.onJoin(payload));
    consumer.on('consumer:heartbeat:stalled', (payload) =>
      this.log.warn(
        { groupId: this.options.groupId, stalledForMs: payload.stalledFor, err: payload.lastError },
        'Group heartbeats are stalled.',
      ),
    );
    consumer.on('error', (error: unknown) =>
      this.log.error({ groupId: this.options.groupId, err: error }, 'The consumer failed.'),
    );
    const stream = await consumer.consume({
      topics: this.options.topics,
      mode: 'committed',
      fallbackMode: this.options.fromBeginning ? 'earliest' : 'latest',
      autocommit: false,
    });
    this.attach(stream);
  }

  commit(offsets: CommitOffset[]): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return Promise.reject(new Error('commit() before start()'));
    if (offsets.length === 0) return Promise.resolve();
    // One commit at a time, in call order, so a later offset is never overwritten by an earlier one.
    const next = this.commits.then(async () => {
      await this.untilCommittable(consumer);
      this.commitsInFlight++;
      try {
        await consumer.commit({
          offsets: offsets.map(({ topic, partition, offset }) => ({
            topic,
            partition,
            offset: BigInt(offset),
            leaderEpoch: -1,
          })),
        });
      } finally {
        this.commitsInFlight--;
      }
    });
    this.commits = next.catch(() => undefined);
    return next;
  }

  /**
   * While the library is between a JoinGroup and its SyncGroup the broker refuses commits, and
   * the library answers a refused commit by rejoining (and, for ILLEGAL_GENERATION, by forgetting
   * its assignment). So commits wait for the end of a rejoin, except those of a hand-over: while
   * partitions are being revoked the group waits for our JoinGroup, and commits are accepted.
   */
  private async untilCommittable(consumer: Consumer): Promise<void> {
    const deadline = Date.now() + this.options.rebalanceTimeoutMs;
    while (!consumer.isActive() && this.handingOver === 0 && !this.closing && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  pause(partitions: TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const state = this.parts.get(partitionKey(topic, partition));
      if (!state || state.paused) continue;
      state.paused = true;
      this.activeBytes -= state.bufferedBytes;
    }
    this.syncStreamFlow();
  }

  resume(partitions: TopicPartition[]): void {
    let reopen = false;
    for (const { topic, partition } of partitions) {
      const state = this.parts.get(partitionKey(topic, partition));
      if (!state?.paused) continue;
      state.paused = false;
      this.activeBytes += state.bufferedBytes;
      reopen ||= state.dropped;
    }
    if (reopen) this.reopen('a paused partition dropped messages');
    this.syncStreamFlow();
    this.scheduleDispatch();
  }

  stop(): Promise<void> {
    if (!this.stopping) {
      this.closing = true;
      this.stopping = this.shutdown();
    }
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    this.stream?.pause();
    this.handingOver++;
    try {
      await this.revoke([...this.parts.values()], 'stopping');
    } finally {
      this.handingOver--;
    }
    await this.reopening;
    await this.leave(consumer);
  }

  /**
   * Leaves the group and closes the client. Everything was drained and committed before, so a
   * leave the coordinator refuses (it may be in the middle of a rebalance) is tried once more and
   * then only logged: the group drops this member when its session times out.
   */
  private async leave(consumer: Consumer): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await consumer.close(true);
        return;
      } catch (error) {
        this.log.warn(
          { groupId: this.options.groupId, attempt, err: error },
          attempt === 1
            ? 'Leaving the group failed; trying once more.'
            : 'Could not leave the group; its coordinator drops this member after the session timeout.',
        );
        if (attempt === 2) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  // ---- group membership ------------------------------------------------------------------------

  /** The library's hook before every JoinGroup: give up what the group has taken away. */
  private async beforeJoin(): Promise<Buffer> {
    const assigned = new Set(
      (this.consumer?.assignments ?? []).flatMap(({ topic, partitions }) =>
        partitions.map((p) => partitionKey(topic, p)),
      ),
    );
    const lost = [...this.parts.values()].filter((state) => !assigned.has(state.key));
    if (lost.length === 0) return Buffer.alloc(0);
    if (this.commitsInFlight > 0) {
      // This rejoin comes from a commit the broker refused (our generation is gone): the batch
      // that made it waits for the rejoin, so revoking must not wait for that batch.
      void this.revoke(lost, 'membership lost');
      return Buffer.alloc(0);
    }
    this.handingOver++;
    try {
      await this.revoke(lost, 'rebalance');
    } finally {
      this.handingOver--;
    }
    return Buffer.alloc(0);
  }

  private onJoin(payload: ConsumerGroupJoinPayload): void {
    if (this.closing) return;
    const assignments = payload.assignments ?? [];
    this.log.debug(
      {
        groupId: this.options.groupId,
        memberId: payload.memberId,
        generationId: payload.generationId,
        assignments,
      },
      'Joined the group.',
    );
    const assigned = new Map<string, TopicPartition>();
    for (const { topic, partitions } of assignments) {
      for (const partition of partitions) assigned.set(partitionKey(topic, partition), { topic, partition });
    }
    // Taken away without a rejoin round that would have let us revoke first (we were expelled).
    const lost = [...this.parts.values()].filter((state) => !assigned.has(state.key));
    if (lost.length > 0) void this.revoke(lost, 'lost');

    const added: PartitionState[] = [];
    for (const [key, tp] of assigned) {
      if (this.parts.has(key)) continue;
      const state: PartitionState = {
        tp,
        key,
        buffer: [],
        sizes: [],
        head: 0,
        bufferedBytes: 0,
        position: undefined,
        ready: false,
        paused: false,
        dropped: false,
        running: undefined,
        holdUntil: 0,
        revoked: false,
      };
      this.parts.set(key, state);
      added.push(state);
    }
    if (added.length > 0) {
      this.lifecycle = this.lifecycle.then(async () => {
        const live = added.filter((state) => !state.revoked);
        if (live.length === 0) return;
        try {
          await this.handlers?.onAssigned?.(live.map((state) => state.tp));
        } catch (error) {
          this.log.error(
            { groupId: this.options.groupId, err: error },
            'onAssigned rejected; delivering the partitions anyway.',
          );
        }
        for (const state of live) state.ready = true;
        this.scheduleDispatch();
      });
    }
    // The first stream starts from the committed offsets by itself; later joins get a fresh one.
    if (this.joinedOnce) this.reopen('rebalance');
    this.joinedOnce = true;
    this.syncStreamFlow();
  }

  /** Stops delivering `states`, waits for their running batches, then awaits `onRevoked`. */
  private revoke(states: PartitionState[], reason: string): Promise<void> {
    const revoked = states.filter((state) => !state.revoked);
    if (revoked.length === 0) return Promise.resolve();
    for (const state of revoked) {
      state.revoked = true;
      this.parts.delete(state.key);
      this.dropBuffer(state);
    }
    const running = revoked.flatMap((state) => (state.running ? [state.running] : []));
    const done = this.lifecycle.then(async () => {
      await Promise.allSettled(running);
      this.log.info(
        { groupId: this.options.groupId, reason, partitions: revoked.length },
        'Revoking partitions.',
      );
      try {
        await this.handlers?.onRevoked?.(revoked.map((state) => state.tp));
      } catch (error) {
        this.log.error({ groupId: this.options.groupId, err: error }, 'onRevoked rejected.');
      }
    });
    this.lifecycle = done;
    return done;
  }

  // ---- streams ---------------------------------------------------------------------------------

  private attach(stream: Stream): void {
    this.stream = stream;
    if (this.streamPaused) stream.pause();
    stream.on('data', (message) => this.onMessage(stream, message));
    stream.on('error', (error) => {
      if (stream !== this.stream || this.closing) return;
      this.log.warn(
        { groupId: this.options.groupId, err: error },
        'The message stream failed; reopening it.',
      );
      this.reopen('stream error', reopenDelayMs);
    });
  }

  /**
   * Retires the current stream now (its messages are ignored from here on) and opens a new one at
   * the adapter's positions. The old one is closed only after, since closing the last stream of
   * a topic would make the library rejoin the group without it.
   */
  private reopen(reason: string, delayMs = 0): void {
    if (this.stream) {
      this.stream.pause();
      this.retired.push(this.stream);
      this.stream = undefined;
    }
    const epoch = ++this.streamEpoch;
    this.reopening = this.reopening
      .then(async () => {
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (epoch !== this.streamEpoch || this.closing) return;
        if (!(await this.openAtPositions(epoch))) return;
        const retired = this.retired.splice(0);
        await Promise.all(retired.map((stream) => stream.close().catch(() => undefined)));
      })
      .catch((error: unknown) => {
        if (epoch !== this.streamEpoch || this.closing) return;
        this.log.warn(
          { groupId: this.options.groupId, reason, err: error },
          'Could not reopen the message stream; trying again.',
        );
        this.reopen(reason, reopenDelayMs);
      });
  }

  /** Opens a stream at the adapter's positions; false when a newer reopen made it pointless. */
  private async openAtPositions(epoch: number): Promise<boolean> {
    const consumer = this.consumer!;
    const owned = [...this.parts.values()];
    const offsets: { topic: string; partition: number; offset: bigint }[] = [];
    const unknown: TopicPartition[] = [];
    for (const state of owned) {
      if (state.position !== undefined) offsets.push({ ...state.tp, offset: state.position });
      else unknown.push(state.tp);
    }
    if (unknown.length > 0) {
      const committed = await consumer.listCommittedOffsets({ topics: byTopic(unknown) });
      for (const { topic, partition } of unknown) {
        const offset = committed.get(topic)?.[partition];
        // Without a commit the stream falls back to the earliest or latest offset.
        if (offset !== undefined && offset >= 0n) offsets.push({ topic, partition, offset });
      }
    }
    const stream = await consumer.consume({
      topics: this.options.topics,
      mode: 'manual',
      offsets,
      fallbackMode: this.options.fromBeginning ? 'earliest' : 'latest',
      autocommit: false,
    });
    if (epoch !== this.streamEpoch || this.closing) {
      await stream.close().catch(() => undefined);
      return false;
    }
    for (const state of owned) state.dropped = false;
    this.attach(stream);
    this.log.debug(
      { groupId: this.options.groupId, offsets: offsets.map((o) => `${o.partition}@${o.offset}`) },
      'Reopened the message stream.',
    );
    return true;
  }

  private onMessage(stream: Stream, message: RawMessage): void {
    if (stream !== this.stream || this.closing) return;
    // Messages come in runs of one partition: remember the last lookup.
    let state = this.lastState;
    if (state?.tp.partition !== message.partition || state.tp.topic !== message.topic || state.revoked) {
      state = this.parts.get(partitionKey(message.topic, message.partition));
      this.lastState = state;
    }
    if (!state) return;
    if (state.position !== undefined && message.offset < state.position) return;
    if (state.dropped) return;
    const bytes = messageBytes(message);
    if (state.paused && state.bufferedBytes + bytes > this.batchBytes) {
      state.dropped = true;
      return;
    }
    state.buffer.push(message);
    state.sizes.push(bytes);
    state.bufferedBytes += bytes;
    state.position = message.offset + 1n;
    if (!state.paused) {
      this.activeBytes += bytes;
      if (this.activeBytes >= this.highWaterBytes && !this.overHighWater) this.syncStreamFlow();
    }
    this.scheduleDispatch();
  }

  /**
   * Pauses the stream while too much is buffered (until half of it is delivered), and while
   * every partition is paused, since all it would fetch is dropped; resumes it otherwise.
   */
  private syncStreamFlow(): void {
    if (this.activeBytes >= this.highWaterBytes) this.overHighWater = true;
    else if (this.activeBytes <= this.lowWaterBytes) this.overHighWater = false;
    const states = [...this.parts.values()];
    const allPaused = states.length > 0 && states.every((state) => state.paused);
    const pause = this.overHighWater || allPaused;
    if (pause === this.streamPaused) return;
    this.streamPaused = pause;
    if (pause) this.stream?.pause();
    else this.stream?.resume();
  }

  private dropBuffer(state: PartitionState): void {
    if (!state.paused) this.activeBytes -= state.bufferedBytes;
    state.buffer = [];
    state.sizes = [];
    state.head = 0;
    state.bufferedBytes = 0;
    this.syncStreamFlow();
  }

  // ---- delivery --------------------------------------------------------------------------------

  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    // After the current fetch response is fully buffered, so a batch carries all of it.
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.closing) return;
    const states = [...this.parts.values()];
    const now = Date.now();
    let earliestHold = Infinity;
    // Start from a different partition each time, so none waits behind the same neighbours.
    this.rotation = (this.rotation + 1) % Math.max(1, states.length);
    for (let i = 0; i < states.length && this.running < this.options.partitionsInFlight; i++) {
      const state = states[(this.rotation + i) % states.length]!;
      if (state.running || state.paused || !state.ready || state.head === state.buffer.length) continue;
      if (state.holdUntil > now) {
        earliestHold = Math.min(earliestHold, state.holdUntil);
        continue;
      }
      this.deliver(state);
    }
    if (earliestHold !== Infinity) setTimeout(() => this.scheduleDispatch(), earliestHold - now);
    this.syncStreamFlow();
  }

  private deliver(state: PartitionState): void {
    let end = state.head;
    let bytes = 0;
    while (end < state.buffer.length) {
      const size = state.sizes[end]!;
      if (end > state.head && bytes + size > this.batchBytes) break;
      bytes += size;
      end++;
    }
    const raw = state.buffer.slice(state.head, end);
    const sizes = state.sizes.slice(state.head, end);
    state.head = end;
    if (state.head === state.buffer.length) {
      state.buffer = [];
      state.sizes = [];
      state.head = 0;
    } else if (state.head > 4096) {
      state.buffer = state.buffer.slice(state.head);
      state.sizes = state.sizes.slice(state.head);
      state.head = 0;
    }
    state.bufferedBytes -= bytes;
    this.activeBytes -= bytes;

    const control: BatchControl = {
      // The library heartbeats on its own timer, whatever the batches do.
      heartbeat: () => Promise.resolve(),
      isActive: () => !this.closing && !state.revoked,
    };
    this.running++;
    const batch = { ...state.tp, messages: raw.map(toFetchedMessage) };
    const running = this.handlers!.onBatch(batch, control).then(
      () => undefined,
      (error: unknown) => {
        this.log.error(
          { ...state.tp, offset: batch.messages[0]!.offset, err: error },
          'onBatch rejected; the batch will be delivered again.',
        );
        if (state.revoked || this.closing) return;
        state.buffer = [...raw, ...state.buffer.slice(state.head)];
        state.sizes = [...sizes, ...state.sizes.slice(state.head)];
        state.head = 0;
        state.bufferedBytes += bytes;
        if (!state.paused) this.activeBytes += bytes;
        state.holdUntil = Date.now() + redeliveryDelayMs;
      },
    );
    state.running = running.finally(() => {
      state.running = undefined;
      this.running--;
      this.scheduleDispatch();
    });
  }
}
