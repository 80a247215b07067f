/**
 * The contract of connectors/kafka/kafka-client.ts, held against the real broker, the same way for
 * every library behind it.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { createKafkaClient } from '../../connectors/kafka/create-kafka-client.js';
import type {
  Admin,
  BatchControl,
  ConsumerHandlers,
  ConsumerOptions,
  FetchedBatch,
  GroupConsumer,
  KafkaClient,
  Producer,
} from '../../connectors/kafka/kafka-client.js';
import { murmur2Partition } from '../../connectors/kafka/murmur2-partition.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const brokers = [...readEndpoints().KAFKA_BROKERS];
const libraries = ['kafkajs', 'platformatic'] as const;
type Library = (typeof libraries)[number];

const clients = Object.fromEntries(
  libraries.map((library) => [
    library,
    createKafkaClient(library, { brokers, clientId: `${names.id}-${library}` }),
  ]),
) as Record<Library, KafkaClient>;
const admins = {} as Record<Library, Admin>;
const producers = {} as Record<Library, Producer>;
const createdTopics = new Set<string>();
const runningMembers = new Set<Member>();

beforeAll(async () => {
  for (const library of libraries) {
    admins[library] = await clients[library].admin();
    producers[library] = await clients[library].producer();
  }
});

afterAll(async () => {
  // Members a failed test left running; bounded, so one stuck member cannot hide the failure.
  await Promise.race([Promise.allSettled([...runningMembers].map((member) => member.stop())), sleep(15_000)]);
  for (const library of libraries) {
    await producers[library]?.close();
  }
  await admins.kafkajs?.deleteTopics([...createdTopics]).catch(() => undefined);
  for (const library of libraries) await admins[library]?.close();
});

// ---- fixtures ------------------------------------------------------------------------------------

async function topicWith(library: Library, name: string, partitions: number): Promise<string> {
  const topic = names.topic(`${library}.${name}`);
  await admins[library].createTopics([{ topic, partitions, replicationFactor: 1 }]);
  createdTopics.add(topic);
  return topic;
}

function consumerOptions(
  groupId: string,
  topics: string[],
  overrides: Partial<ConsumerOptions> = {},
): ConsumerOptions {
  return {
    groupId,
    topics,
    fromBeginning: true,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 15_000,
    maxBytes: 1_048_576,
    partitionsInFlight: 4,
    ...overrides,
  };
}

interface Received {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

interface BatchSpan {
  partition: number;
  first: bigint;
  last: bigint;
  startedAt: number;
  endedAt: number;
}

/** A consumer that records what it is given and, unless told otherwise, commits after each batch. */
class Member {
  readonly consumer: GroupConsumer;
  readonly received: Received[] = [];
  readonly spans: BatchSpan[] = [];
  readonly owned = new Set<number>();
  readonly assignedAt = new Map<number, number>();
  readonly revokedAt = new Map<number, number>();
  readonly revocations: number[][] = [];
  readonly inactiveSeen: string[] = [];
  /** Times one partition had two batches in onBatch at once (the contract says never). */
  overlaps = 0;
  /** Batches of a partition this member did not own: before onAssigned or after onRevoked. */
  unownedBatches = 0;
  maxConcurrentPartitions = 0;
  private readonly running = new Set<number>();

  constructor(
    client: KafkaClient,
    options: ConsumerOptions,
    private readonly behaviour: {
      commit?: boolean;
      onBatch?: (batch: FetchedBatch, control: BatchControl, member: Member) => Promise<void>;
      revokeDelayMs?: number;
    } = {},
  ) {
    this.consumer = client.consumer(options);
  }

  async start(): Promise<this> {
    runningMembers.add(this);
    const handlers: ConsumerHandlers = {
      onBatch: (batch, control) => this.onBatch(batch, control),
      onAssigned: (partitions) => {
        for (const tp of partitions) {
          this.owned.add(tp.partition);
          this.assignedAt.set(tp.partition, Date.now());
        }
        return Promise.resolve();
      },
      onRevoked: async (partitions) => {
        this.revocations.push(partitions.map((tp) => tp.partition).sort());
        if (this.behaviour.revokeDelayMs) await sleep(this.behaviour.revokeDelayMs);
        for (const tp of partitions) {
          this.owned.delete(tp.partition);
          this.revokedAt.set(tp.partition, Date.now());
        }
      },
    };
    await this.consumer.start(handlers);
    return this;
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    runningMembers.delete(this);
  }

  commitAfter(partition: number, offset: bigint, topic: string): Promise<void> {
    return this.consumer.commit([{ topic, partition, offset: String(offset + 1n) }]);
  }

  values(partition?: number): string[] {
    return this.received
      .filter((m) => partition === undefined || m.partition === partition)
      .map((m) => m.value ?? '');
  }

  private async onBatch(batch: FetchedBatch, control: BatchControl): Promise<void> {
    if (this.running.has(batch.partition)) this.overlaps++;
    if (!this.owned.has(batch.partition)) this.unownedBatches++;
    this.running.add(batch.partition);
    this.maxConcurrentPartitions = Math.max(this.maxConcurrentPartitions, this.running.size);
    const startedAt = Date.now();
    try {
      for (const message of batch.messages) {
        this.received.push({
          partition: batch.partition,
          offset: BigInt(message.offset),
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers: Object.fromEntries(
            Object.entries(message.headers).map(([name, value]) => [name, value.toString()]),
          ),
        });
      }
      if (this.behaviour.onBatch) await this.behaviour.onBatch(batch, control, this);
      if (!control.isActive()) this.inactiveSeen.push(`${batch.partition}@${batch.messages[0]!.offset}`);
      const last = BigInt(batch.messages[batch.messages.length - 1]!.offset);
      if (this.behaviour.commit !== false) await this.commitAfter(batch.partition, last, batch.topic);
      this.spans.push({
        partition: batch.partition,
        first: BigInt(batch.messages[0]!.offset),
        last,
        startedAt,
        endedAt: Date.now(),
      });
    } finally {
      this.running.delete(batch.partition);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

function messages(count: number, prefix: string, keys = 10) {
  return Array.from({ length: count }, (_, i) => ({
    key: `${prefix}-k${i % keys}`,
    value: `${prefix}-${i}`,
  }));
}

// ---- the contract ----------------------------------------------------------------------------------

describe.each(libraries)('Kafka client on %s', (library) => {
  const client = clients[library];
  const admin = () => admins[library];
  const producer = () => producers[library];
  const group = (name: string) => names.topic(`${library}.${name}.group`);

  it('creates only missing topics and describes their partitions and configs', async () => {
    const topic = names.topic(`${library}.compacted`);
    createdTopics.add(topic);
    const spec = { topic, partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } };

    expect(await admin().createTopics([spec])).toEqual([topic]);
    expect(await admin().createTopics([spec, { ...spec, partitions: 5 }])).toEqual([]);

    const missing = names.topic(`${library}.never-created`);
    expect(await admin().describeTopics([topic, missing], ['cleanup.policy'])).toEqual([
      { topic, partitions: 3, configs: { 'cleanup.policy': 'compact' } },
    ]);
  });

  it('delivers keys, values and headers with the order of each key kept, one batch per partition at a time', async () => {
    const topic = await topicWith(library, 'roundtrip', 3);
    const sent = messages(90, 'rt', 12).map((m, i) => ({
      ...m,
      headers: { source: 'test', seq: String(i) },
    }));
    await producer().send(topic, sent);
    await producer().send(topic, [{ key: 'tombstone', value: null }]);

    const member = await new Member(
      client,
      consumerOptions(group('roundtrip'), [topic], { partitionsInFlight: 2 }),
      { onBatch: () => sleep(20) },
    ).start();
    await waitFor(() => member.received.length >= sent.length + 1, 'every message');
    await member.stop();

    expect(member.received).toHaveLength(sent.length + 1);
    expect(member.overlaps).toBe(0);
    expect(member.unownedBatches).toBe(0);
    expect(member.maxConcurrentPartitions).toBeLessThanOrEqual(2);
    for (const k of new Set(sent.map((m) => m.key))) {
      const ofKey = member.received.filter((m) => m.key === k);
      expect(new Set(ofKey.map((m) => m.partition)).size).toBe(1);
      expect(ofKey.map((m) => m.value)).toEqual(sent.filter((m) => m.key === k).map((m) => m.value));
    }
    const first = member.received.find((m) => m.value === 'rt-0')!;
    expect(first.headers).toEqual({ source: 'test', seq: '0' });
    expect(member.received.find((m) => m.key === 'tombstone')?.value).toBeNull();
    for (const partition of [0, 1, 2]) {
      const offsets = member.received.filter((m) => m.partition === partition).map((m) => m.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
    }
  });

  it('resumes a group after its committed offset: nothing before it again, nothing after it lost', async () => {
    const topic = await topicWith(library, 'resume', 2);
    const sent = messages(40, 'rs', 8).map((m, i) => ({ ...m, partition: i % 2 }));
    await producer().send(topic, sent);
    const groupId = group('resume');

    // The first member commits only up to its tenth message of each partition.
    const committed = new Map<number, bigint>();
    const first = await new Member(client, consumerOptions(groupId, [topic]), {
      commit: false,
      onBatch: async (batch, _control, member) => {
        const ofPartition = member.received.filter((m) => m.partition === batch.partition);
        const tenth = ofPartition[9];
        if (tenth && !committed.has(batch.partition)) {
          committed.set(batch.partition, tenth.offset);
          await member.commitAfter(batch.partition, tenth.offset, topic);
        }
      },
    }).start();
    await waitFor(() => first.received.length >= sent.length, 'every message');
    await first.stop();
    expect([...committed.keys()].sort()).toEqual([0, 1]);

    const offsets = await admin().groupOffsets(groupId, topic);
    expect(offsets).toEqual(
      [0, 1].map((partition) => ({ partition, offset: String(committed.get(partition)! + 1n) })),
    );

    const second = await new Member(client, consumerOptions(groupId, [topic])).start();
    const expected = first.received.filter((m) => m.offset > committed.get(m.partition)!);
    await waitFor(() => second.received.length >= expected.length, 'the uncommitted messages');
    await sleep(500);
    await second.stop();
    const sortKey = (m: Received) => `${m.partition}:${String(m.offset).padStart(8, '0')}`;
    expect(second.received.map(sortKey).sort()).toEqual(expected.map(sortKey).sort());
  });

  it('delivers everything again to the next member when nothing was committed', async () => {
    const topic = await topicWith(library, 'redeliver', 2);
    const sent = messages(30, 'rd');
    await producer().send(topic, sent);
    const groupId = group('redeliver');

    const first = await new Member(client, consumerOptions(groupId, [topic]), { commit: false }).start();
    await waitFor(() => first.received.length >= sent.length, 'every message');
    await first.stop();
    expect((await admin().groupOffsets(groupId, topic)).map((p) => p.offset)).toEqual(['-1', '-1']);

    const second = await new Member(client, consumerOptions(groupId, [topic]), { commit: false }).start();
    await waitFor(() => second.received.length >= sent.length, 'every message again');
    await second.stop();
    expect(second.values().sort()).toEqual(sent.map((m) => m.value).sort());
  });

  it('stops delivering a paused partition until it is resumed, while the others go on', async () => {
    const topic = await topicWith(library, 'pause', 2);
    const value = (tag: string, i: number) => `${tag}-${i}-${'x'.repeat(1_000)}`;
    const produce = (partition: number, tag: string, count: number) =>
      producer().send(
        topic,
        Array.from({ length: count }, (_, i) => ({ key: `${tag}${i}`, value: value(tag, i), partition })),
      );
    await produce(0, 'a', 20);
    await produce(1, 'b', 20);

    let pausedAt: number | undefined;
    const member = await new Member(client, consumerOptions(group('pause'), [topic], { maxBytes: 65_536 }), {
      onBatch: (batch, _control, self) => {
        if (batch.partition === 0 && pausedAt === undefined) {
          pausedAt = self.received.filter((m) => m.partition === 0).length;
          self.consumer.pause([{ topic, partition: 0 }]);
        }
        return Promise.resolve();
      },
    }).start();
    await waitFor(() => member.values(1).length >= 20 && pausedAt !== undefined, 'partition 1 and the pause');

    // More than a paused partition may hold, so an adapter that buffers must drop and refetch.
    await produce(0, 'c', 300);
    await produce(1, 'd', 20);
    await waitFor(() => member.values(1).length >= 40, 'partition 1 going on');
    await sleep(1_500);
    expect(member.values(0)).toHaveLength(pausedAt!);

    member.consumer.resume([{ topic, partition: 0 }]);
    await waitFor(() => member.values(0).length >= 320, 'partition 0 after resume');
    await member.stop();
    expect(member.values(0).map((v) => v.slice(0, v.indexOf('-x')))).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `a-${i}`),
      ...Array.from({ length: 300 }, (_, i) => `c-${i}`),
    ]);
    expect(member.overlaps).toBe(0);
  });

  it('splits partitions with a second member, handing each over only after its revocation', async () => {
    const topic = await topicWith(library, 'rebalance', 4);
    const groupId = group('rebalance');
    let producing = true;
    let produced = 0;
    const feeder = (async () => {
      while (producing) {
        await producer().send(topic, messages(8, `f${produced}`, 8));
        produced += 8;
        await sleep(50);
      }
    })();
    onTestFinished(async () => {
      producing = false;
      await feeder;
    });
    const slowly = () => sleep(30);
    const first = await new Member(client, consumerOptions(groupId, [topic]), {
      onBatch: slowly,
      revokeDelayMs: 300,
    }).start();
    await waitFor(
      () => first.owned.size === 4 && first.received.length > 0,
      'the first member to own everything',
    );

    const second = await new Member(client, consumerOptions(groupId, [topic]), {
      onBatch: slowly,
      revokeDelayMs: 300,
    }).start();
    await waitFor(
      () => first.owned.size > 0 && second.owned.size > 0 && first.owned.size + second.owned.size === 4,
      'the partitions to be split',
    );
    await waitFor(
      () => [...second.owned].every((p) => second.spans.some((s) => s.partition === p)),
      'the second member to consume',
    );

    const firstOwned = [...first.owned].sort();
    const secondOwned = [...second.owned].sort();
    expect([...firstOwned, ...secondOwned].sort()).toEqual([0, 1, 2, 3]);
    for (const partition of secondOwned) {
      // Revoked from the first member (and its onRevoked resolved) before the second one got it.
      expect(first.revokedAt.get(partition)).toBeLessThanOrEqual(second.assignedAt.get(partition)!);
      // Handed over exactly at the first member's last commit: nothing twice, nothing skipped.
      const lastOfFirst = first.spans.filter(
        (s) => s.partition === partition && s.startedAt < second.assignedAt.get(partition)!,
      );
      const firstOfSecond = second.spans.filter((s) => s.partition === partition)[0]!;
      const handedOver = lastOfFirst.length > 0 ? lastOfFirst[lastOfFirst.length - 1]!.last + 1n : 0n;
      expect(firstOfSecond.first).toBe(handedOver);
      expect(Math.max(...lastOfFirst.map((s) => s.endedAt))).toBeLessThanOrEqual(firstOfSecond.startedAt);
    }

    const description = await admin().describeGroup(groupId);
    expect(description.state).toBe('Stable');
    expect(description.members).toHaveLength(2);
    const assignedByBroker = description.members
      .flatMap((m) => m.assignments.map((tp) => tp.partition))
      .sort();
    expect(assignedByBroker).toEqual([0, 1, 2, 3]);

    // On stop the first member revokes what it has left, and the second one takes it over.
    const revocationsBefore = first.revocations.length;
    await first.stop();
    expect(first.revocations.length).toBe(revocationsBefore + 1);
    expect(first.revocations[first.revocations.length - 1]).toEqual(firstOwned);
    await waitFor(() => second.owned.size === 4, 'the second member to own everything');
    await second.stop();
    expect(first.overlaps + second.overlaps).toBe(0);
    expect(first.unownedBatches + second.unownedBatches).toBe(0);
  });

  it('leaves the group at once on stop', async () => {
    const topic = await topicWith(library, 'leave', 1);
    await producer().send(topic, messages(3, 'lv'));
    const groupId = group('leave');
    const member = await new Member(client, consumerOptions(groupId, [topic])).start();
    await waitFor(() => member.received.length >= 3, 'the messages');
    expect((await admin().describeGroup(groupId)).members).toHaveLength(1);

    const stopping = Date.now();
    await member.stop();
    const description = await admin().describeGroup(groupId);
    expect(Date.now() - stopping).toBeLessThan(3_000);
    expect(description).toEqual({ groupId, state: 'Empty', members: [] });
    expect(member.revocations).toEqual([[0]]);
    await member.stop(); // idempotent
  });

  it('reports topic offsets, offsets for a time and group offsets, and sets those of an idle group', async () => {
    const topic = await topicWith(library, 'offsets', 2);
    await producer().send(
      topic,
      [0, 1, 0, 1, 0].map((partition, i) => ({ key: null, value: `early-${i}`, partition })),
    );
    await sleep(50);
    const between = Date.now();
    await sleep(50);
    await producer().send(
      topic,
      [0, 1, 1].map((partition, i) => ({ key: null, value: `late-${i}`, partition })),
    );

    expect(await admin().topicOffsets(topic)).toEqual([
      { partition: 0, low: '0', high: '4' },
      { partition: 1, low: '0', high: '4' },
    ]);
    expect(await admin().offsetsForTime(topic, between)).toEqual([
      { partition: 0, offset: '3' },
      { partition: 1, offset: '2' },
    ]);
    expect(await admin().offsetsForTime(topic, Date.now() + 60_000)).toEqual([
      { partition: 0, offset: '4' },
      { partition: 1, offset: '4' },
    ]);

    const groupId = group('offsets');
    expect(await admin().groupOffsets(groupId, topic)).toEqual([
      { partition: 0, offset: '-1' },
      { partition: 1, offset: '-1' },
    ]);
    await admin().setGroupOffsets(groupId, topic, [
      { partition: 0, offset: '3' },
      { partition: 1, offset: '1' },
    ]);
    expect(await admin().groupOffsets(groupId, topic)).toEqual([
      { partition: 0, offset: '3' },
      { partition: 1, offset: '1' },
    ]);

    const member = await new Member(client, consumerOptions(groupId, [topic]), { commit: false }).start();
    await waitFor(() => member.received.length >= 4, 'the messages after the set offsets');
    await expect(admin().setGroupOffsets(groupId, topic, [{ partition: 0, offset: '0' }])).rejects.toThrow();
    await member.stop();
    expect(member.received.map((m) => `${m.partition}@${m.offset}`).sort()).toEqual([
      '0@3',
      '1@1',
      '1@2',
      '1@3',
    ]);
  });

  it('keeps its membership through a batch longer than the session timeout when it heartbeats', async () => {
    const topic = await topicWith(library, 'heartbeat', 1);
    await producer().send(topic, [{ key: 'a', value: 'slow' }]);
    const member = await new Member(
      client,
      consumerOptions(group('heartbeat'), [topic], { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 }),
      {
        onBatch: async (batch, control) => {
          if (batch.messages[0]!.value?.toString() !== 'slow') return;
          for (let elapsed = 0; elapsed < 9_000; elapsed += 1_000) {
            await sleep(1_000);
            await control.heartbeat();
          }
        },
      },
    ).start();
    await waitFor(() => member.spans.length >= 1, 'the slow batch', 20_000);
    await producer().send(topic, [{ key: 'b', value: 'after' }]);
    await waitFor(() => member.received.length >= 2, 'the next message');
    await member.stop();

    expect(member.values()).toEqual(['slow', 'after']);
    expect(member.inactiveSeen).toEqual([]);
    expect(member.revocations).toEqual([[0]]); // only the one of stop()
  });
});

describe('Kafka clients together', () => {
  it('put each key on the same partition whichever library produced it, as the Java client does', async () => {
    const topic = names.topic('together.keys');
    createdTopics.add(topic);
    await admins.kafkajs.createTopics([{ topic, partitions: 7, replicationFactor: 1 }]);
    const keys = Array.from({ length: 200 }, (_, i) => `document-${i}-${(i * 7919).toString(36)}`);
    for (const library of libraries) {
      await producers[library].send(
        topic,
        keys.map((k) => ({ key: k, value: library })),
      );
    }

    const member = await new Member(
      clients.kafkajs,
      consumerOptions(names.topic('together.group'), [topic]),
      { commit: false },
    ).start();
    await waitFor(() => member.received.length >= keys.length * libraries.length, 'every message');
    await member.stop();
    for (const k of keys) {
      const partitions = member.received.filter((m) => m.key === k).map((m) => [m.value, m.partition]);
      const expected = murmur2Partition(Buffer.from(k), 7);
      expect(partitions.sort()).toEqual(libraries.map((library) => [library, expected]));
    }
  });
});
