/** The admin client of the Kafka client interface on @platformatic/kafka. */
import { Admin as PlatformaticAdmin, ConfigResourceTypes, ListOffsetTimestamps } from '@platformatic/kafka';
import type {
  Admin,
  GroupDescription,
  PartitionOffsets,
  TopicDescription,
  TopicSpec,
} from './kafka-client.js';
import { hasProtocolError, type GroupOptionsBase } from './platformatic-messages.js';

/** A connected admin client; rejects when the brokers cannot be reached. */
export async function createPlatformaticAdmin(base: GroupOptionsBase): Promise<Admin> {
  const admin = new PlatformaticAdmin(base);
  try {
    await admin.metadata({ topics: [] });
  } catch (error) {
    await admin.close().catch(() => undefined);
    throw error;
  }
  return new PlatformaticAdminAdapter(admin);
}

/** Group states as the Java tools and kafkajs name them. */
const groupStateNames: Record<string, string> = {
  PREPARING_REBALANCE: 'PreparingRebalance',
  COMPLETING_REBALANCE: 'CompletingRebalance',
  STABLE: 'Stable',
  DEAD: 'Dead',
  EMPTY: 'Empty',
};

class PlatformaticAdminAdapter implements Admin {
  constructor(private readonly admin: PlatformaticAdmin) {}

  async createTopics(specs: TopicSpec[]): Promise<string[]> {
    const existing = new Set(await this.admin.listTopics());
    const created: string[] = [];
    for (const spec of specs.filter((candidate) => !existing.has(candidate.topic))) {
      try {
        await this.admin.createTopics({
          topics: [spec.topic],
          partitions: spec.partitions,
          replicas: spec.replicationFactor ?? -1,
          configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
        created.push(spec.topic);
      } catch (error) {
        // Someone else created it meanwhile: it exists, which is all that was asked.
        if (!hasProtocolError(error, 'TOPIC_ALREADY_EXISTS')) throw error;
      }
    }
    if (created.length > 0) await this.waitForLeaders(created);
    return created;
  }

  async describeTopics(topics: string[], configNames: string[]): Promise<TopicDescription[]> {
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length === 0) return [];
    const metadata = await this.admin.metadata({ topics: present, forceUpdate: true });
    const configs = new Map<string, Record<string, string>>(present.map((topic) => [topic, {}]));
    if (configNames.length > 0) {
      const described = await this.admin.describeConfigs({
        resources: present.map((resourceName) => ({
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName,
          configurationKeys: configNames,
        })),
      });
      for (const resource of described) {
        const values = configs.get(resource.resourceName)!;
        for (const entry of resource.configs)
          if (typeof entry.value === 'string') values[entry.name] = entry.value;
      }
    }
    return present.flatMap((topic) => {
      const described = metadata.topics.get(topic);
      return described
        ? [{ topic, partitions: described.partitionsCount, configs: configs.get(topic)! }]
        : [];
    });
  }

  async deleteTopics(topics: string[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await this.admin.deleteTopics({ topics: present });
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const [low, high] = await Promise.all([
      this.listOffsets(topic, ListOffsetTimestamps.EARLIEST),
      this.listOffsets(topic, ListOffsetTimestamps.LATEST),
    ]);
    return [...high].map(([partition, offset]) => ({
      partition,
      low: String(low.get(partition) ?? 0n),
      high: String(offset),
    }));
  }

  async offsetsForTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: string }[]> {
    const [atTime, high] = await Promise.all([
      this.listOffsets(topic, BigInt(timestampMs)),
      this.listOffsets(topic, ListOffsetTimestamps.LATEST),
    ]);
    return [...high].map(([partition, end]) => {
      const offset = atTime.get(partition);
      return { partition, offset: String(offset !== undefined && offset >= 0n ? offset : end) };
    });
  }

  async groupOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]> {
    const partitions = await this.partitionsOf(topic);
    const [group] = await this.admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitions }] }],
    });
    const committed = new Map<number, bigint>();
    for (const listed of group?.topics ?? []) {
      if (listed.name !== topic) continue;
      for (const { partitionIndex, committedOffset } of listed.partitions)
        committed.set(partitionIndex, committedOffset);
    }
    return partitions.map((partition) => ({ partition, offset: String(committed.get(partition) ?? -1n) }));
  }

  async setGroupOffsets(
    groupId: string,
    topic: string,
    offsets: { partition: number; offset: string }[],
  ): Promise<void> {
    const group = await this.describeGroup(groupId);
    if (group.members.length > 0) {
      throw new Error(
        `cannot set the offsets of group ${groupId} while it has ${group.members.length} member(s)`,
      );
    }
    await this.admin.alterConsumerGroupOffsets({
      groupId,
      topics: [
        {
          name: topic,
          partitionOffsets: offsets.map(({ partition, offset }) => ({ partition, offset: BigInt(offset) })),
        },
      ],
    });
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const groups = await this.admin.describeGroups({ groups: [groupId] });
    const group = groups.get(groupId);
    if (!group) return { groupId, state: 'Dead', members: [] };
    return {
      groupId,
      state: groupStateNames[group.state] ?? group.state,
      members: [...group.members.values()].map((member) => ({
        memberId: member.id,
        clientId: member.clientId,
        host: member.clientHost,
        assignments: [...(member.assignments?.values() ?? [])].flatMap(({ topic, partitions }) =>
          partitions.map((partition) => ({ topic, partition })),
        ),
      })),
    };
  }

  close(): Promise<void> {
    return this.admin.close();
  }

  private async partitionsOf(topic: string): Promise<number[]> {
    const metadata = await this.admin.metadata({ topics: [topic] });
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    return Array.from({ length: count }, (_, partition) => partition);
  }

  private async listOffsets(topic: string, timestamp: bigint): Promise<Map<number, bigint>> {
    const partitions = await this.partitionsOf(topic);
    const listed = await this.admin.listOffsets({
      topics: [
        { name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) },
      ],
    });
    const offsets = new Map<number, bigint>();
    for (const { partitions: listedPartitions } of listed) {
      for (const { partitionIndex, offset } of listedPartitions) offsets.set(partitionIndex, offset);
    }
    return new Map([...offsets].sort(([a], [b]) => a - b));
  }

  /** Until every partition of the new topics has a leader, so producing to them works at once. */
  private async waitForLeaders(topics: string[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const metadata = await this.admin.metadata({ topics, forceUpdate: true }).catch(() => undefined);
      const ready =
        metadata &&
        topics.every((topic) => metadata.topics.get(topic)?.partitions.every((p) => p.leader >= 0));
      if (ready || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
