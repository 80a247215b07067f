/**
 * Operator commands on pipelines: `topics ensure`, `status`, `rewind` (the dead letters are in
 * dlq.ts). Each reads the pipeline files for names (groups, topics) and talks to the broker and
 * the database; their failures are described once, by the command layer.
 */
import type { Admin } from '../../connectors/kafka/kafka-client.js';
import { defaultKafkaLibrary, kafkaClient } from '../../connectors/kafka/kafka-resources.js';
import { describeOffsetGap, findOffsetGaps, offsetGap } from '../../connectors/kafka/offset-gaps.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { countDeadLetters } from '../../connectors/postgres/postgres-dead-letters.js';
import { postgresPool } from '../../connectors/postgres/postgres-pool.js';
import type { SourceBacklog } from '../../runtime/contract/index.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { fetchStatuses } from '../admin-client.js';
import { flagOption, requiredOption, stringOption, UsageError, type CommandInput } from '../command.js';
import { formatTable } from '../format.js';
import { loadPlans } from '../load-plans.js';
import { declaredTopics, ensureTopics } from '../topics.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import {
  componentStatuses,
  formatComponentStatuses,
  type ComponentStatusAnswer,
} from '../component-status.js';

async function withAdmin<T>(resources: ResourcePool, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = await (
    await kafkaClient(resources, defaultKafkaLibrary, [...readEndpoints().KAFKA_BROKERS])
  ).admin();
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

const groupOf = (plan: PipelinePlan) =>
  plan.source.spec.group?.(plan.source.config as never, plan.name) ?? plan.name;
const sourceTopics = (plan: PipelinePlan) =>
  (plan.source.spec.topics?.(plan.source.config as never, plan.name) ?? []).map((t) => t.topic);

export async function topicsEnsureCommand({ positionals, registry, out }: CommandInput): Promise<number> {
  const plans = await loadPlans(positionals, registry);
  const resources = new ResourcePool();
  try {
    const checks = await withAdmin(resources, (admin) => ensureTopics(admin, plans.flatMap(declaredTopics)));
    out(
      formatTable(
        ['TOPIC', 'STATUS', 'DETAIL'],
        checks.map((c) => [c.topic, c.status, c.detail ?? '']),
      ),
    );
    return checks.some((c) => c.status === 'mismatch') ? 1 : 0;
  } finally {
    await resources.close();
  }
}

export interface PipelineStatus {
  pipeline: string;
  group: string;
  state: string;
  members: { memberId: string; clientId: string; host: string; partitions: string[] }[];
  partitions: {
    topic: string;
    partition: number;
    committed: string;
    end: string;
    lag: number;
    /** The first offset the partition still holds. */
    logStart: string;
    /** Records deleted before the group processed them (its committed offset is below the log start). */
    gap: number;
  }[];
  lag: number;
  deadLetters: { total: number; pending: number } | null;
  /** For sources that keep their own positions (the outbox); null when their store did not answer. */
  backlog?: SourceBacklog | null;
  /** What components with a status hook say (a catalog's tables and builds), by path in the file. */
  components: Record<string, ComponentStatusAnswer>;
}

export async function pipelineStatus(
  plan: PipelinePlan,
  admin: Admin,
  resources: ResourcePool,
): Promise<PipelineStatus> {
  const group = groupOf(plan);
  // Sources off the log (CouchDB feed, memory) keep their own positions: no consumer group to show.
  const description = plan.source.spec.topics
    ? await admin.describeGroup(group)
    : { groupId: group, state: `no consumer group (${plan.source.type} source)`, members: [] };
  const partitions: PipelineStatus['partitions'] = [];
  for (const topic of sourceTopics(plan)) {
    const [ends, committed] = await Promise.all([
      admin.topicOffsets(topic),
      admin.groupOffsets(group, topic),
    ]);
    for (const end of ends) {
      const done = committed.find((c) => c.partition === end.partition)?.offset ?? '-1';
      const from = BigInt(done) >= 0n ? BigInt(done) : BigInt(end.low);
      partitions.push({
        topic,
        partition: end.partition,
        committed: done,
        end: end.high,
        lag: Number(BigInt(end.high) - from),
        logStart: end.low,
        gap: offsetGap(topic, end.partition, done, end.low)?.records ?? 0,
      });
    }
  }
  const context = { endpoints: readEndpoints(), resources, logger: createLogger({ level: 'warn' }) };
  const backlog = plan.source.spec.backlog
    ? await plan.source.spec
        .backlog(plan.source.config as never, { ...context, pipeline: plan.name })
        .catch(() => null)
    : undefined;
  const components = await componentStatuses(plan, context);
  // The table lives in PostgreSQL; status still reports the log side without it.
  const deadLetters: PipelineStatus['deadLetters'] = await countDeadLetters(
    await postgresPool(resources, readEndpoints().DATABASE_URL),
    plan.name,
  ).catch(() => null);
  return {
    pipeline: plan.name,
    group,
    state: description.state,
    members: description.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.host,
      partitions: m.assignments.map((a) => `${a.topic}:${a.partition}`),
    })),
    partitions,
    lag: partitions.reduce((sum, p) => sum + p.lag, 0),
    deadLetters,
    ...(backlog !== undefined ? { backlog } : {}),
    components,
  };
}

export async function statusCommand({ values, positionals, registry, out }: CommandInput): Promise<number> {
  const adminUrl = stringOption(values, 'admin-url');
  if (!positionals.length === !adminUrl)
    throw new UsageError('give pipeline files, or --admin-url of a running process (not both)');
  const plans = adminUrl ? [] : await loadPlans(positionals, registry);
  const resources = new ResourcePool();
  try {
    // A running `run` or `serve` answers from its admin API; otherwise ask the broker and stores.
    const statuses = adminUrl
      ? await fetchStatuses(adminUrl)
      : await withAdmin(resources, (admin) =>
          Promise.all(plans.map((plan) => pipelineStatus(plan, admin, resources))),
        );
    if (flagOption(values, 'json')) {
      out(JSON.stringify(statuses, null, 2));
      return 0;
    }
    for (const s of statuses) {
      const dlq = s.deadLetters
        ? `${s.deadLetters.pending} pending of ${s.deadLetters.total}`
        : 'unknown (no database)';
      out(
        `${s.pipeline}  group ${s.group}  ${s.state}  ${s.members.length} member(s)  lag ${s.lag}  dead letters ${dlq}`,
      );
      const components = formatComponentStatuses(s.components);
      if (components) out(components.replace(/^/gm, '  '));
      if (s.backlog !== undefined) {
        const age = s.backlog?.oldestAgeSeconds;
        out(
          s.backlog === null
            ? '  backlog unknown (source store unreachable)'
            : `  backlog ${s.backlog.pending} undelivered${age !== null && age !== undefined ? `, oldest ${age}s old` : ''}`,
        );
      }
      for (const m of s.members)
        out(`  member ${m.clientId} ${m.host}: ${m.partitions.join(', ') || '(none)'}`);
      out(
        formatTable(
          ['  TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG'],
          s.partitions.map((p) => [
            `  ${p.topic}`,
            String(p.partition),
            p.committed === '-1' ? '-' : p.committed,
            p.end,
            String(p.lag),
          ]),
        ),
      );
      for (const p of s.partitions) {
        const gap = offsetGap(p.topic, p.partition, p.committed, p.logStart);
        if (gap) out(`  GAP ${describeOffsetGap(gap)}`);
      }
    }
    return 0;
  } finally {
    await resources.close();
  }
}

export async function rewindCommand({
  values,
  positionals,
  registry,
  out,
  err,
}: CommandInput): Promise<number> {
  const to = requiredOption(values, 'to');
  const time = !['earliest', 'latest'].includes(to) ? Date.parse(to) : undefined;
  if (time !== undefined && Number.isNaN(time))
    throw new UsageError(`--to expects earliest, latest or an ISO time, got '${to}'`);
  const plans = await loadPlans(positionals, registry);
  const plan = plans[0]!;
  const resources = new ResourcePool();
  try {
    return await withAdmin(resources, async (admin) => {
      const group = groupOf(plan);
      const description = await admin.describeGroup(group);
      if (description.members.length) {
        err(
          `tributary: group ${group} has ${description.members.length} member(s); stop its workers before rewinding.`,
        );
        return 1;
      }
      // Moving a group past records deleted before it processed them is the operator's decision.
      const gaps = await findOffsetGaps(admin, group, sourceTopics(plan));
      for (const gap of gaps) err(`tributary: ${describeOffsetGap(gap)}`);
      if (gaps.length && !flagOption(values, 'accept-gap')) {
        err('tributary: rewinding moves past those deleted records; pass --accept-gap to do it.');
        return 1;
      }
      for (const topic of sourceTopics(plan)) {
        const offsets =
          time !== undefined
            ? await admin.offsetsForTime(topic, time)
            : (await admin.topicOffsets(topic)).map((p) => ({
                partition: p.partition,
                offset: to === 'earliest' ? p.low : p.high,
              }));
        await admin.setGroupOffsets(group, topic, offsets);
        out(`${topic}: ${offsets.map((o) => `${o.partition}→${o.offset}`).join(' ')}`);
      }
      out(`Rewound group ${group} to ${to}.`);
      return 0;
    });
  } finally {
    await resources.close();
  }
}
