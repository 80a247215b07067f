/**
 * Operator commands on pipelines: `topics ensure`, `status`, `rewind`, `dlq list|replay`. Each
 * reads the pipeline files for names (groups, topics) and talks to the broker and the database.
 */
import { parseArgs } from 'node:util';
import type { Admin } from '../../connectors/kafka/kafka-client.js';
import { defaultKafkaLibrary, kafkaClient } from '../../connectors/kafka/kafka-resources.js';
import { describeOffsetGap, findOffsetGaps, offsetGap } from '../../connectors/kafka/offset-gaps.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import {
  countDeadLetters,
  listDeadLetters,
  markReplayed,
  type StoredDeadLetter,
} from '../../connectors/postgres/postgres-dead-letters.js';
import { postgresPool } from '../../connectors/postgres/postgres-pool.js';
import type { SourceBacklog } from '../../runtime/contract/index.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import type { SourceRecord } from '../../runtime/contract/index.js';
import { PipelineRunner } from '../../runtime/engine/pipeline-runner.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import type { Registry } from '../../runtime/registry/index.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { PipelineMetrics } from '../../runtime/telemetry/metrics.js';
import { formatTable } from '../format.js';
import { PipelineHost } from '../pipeline-host.js';
import { declaredTopics, ensureTopics } from '../topics.js';
import { loadPlans } from './run.js';
import { formatUcrStatus, ucrStatus, type UcrStatus } from './rebuild.js';

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

export async function topicsCommand(args: string[], registry: Registry): Promise<number> {
  const [sub, ...files] = args;
  if (sub !== 'ensure' || !files.length) {
    console.error('usage: tributary topics ensure <pipeline files…>');
    return 2;
  }
  const plans = await loadPlans(files, registry);
  if (!plans) return 2;
  const resources = new ResourcePool();
  try {
    const checks = await withAdmin(resources, (admin) => ensureTopics(admin, plans.flatMap(declaredTopics)));
    console.log(
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
  /** For pipelines with a `ucr-postgres` sink: their data sources' tables and unusable configurations. */
  ucr?: UcrStatus;
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
  const backlog = plan.source.spec.backlog
    ? await plan.source.spec.backlog(plan.source.config as never, resources).catch(() => null)
    : undefined;
  const ucr = Object.values(plan.sinks).some((sink) => sink.type === 'ucr-postgres')
    ? await ucrStatus(await postgresPool(resources, readEndpoints().DATABASE_URL))
        .then((all) => ({
          tables: all.tables.filter((t) => t.pipeline === plan.name),
          configErrors: all.configErrors.filter((e) => e.pipeline === plan.name),
        }))
        .catch(() => undefined)
    : undefined;
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
    ...(ucr ? { ucr } : {}),
  };
}

export async function statusCommand(args: string[], registry: Registry): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  if (!positionals.length) {
    console.error('usage: tributary status <pipeline files…> [--json]');
    return 2;
  }
  const plans = await loadPlans(positionals, registry);
  if (!plans) return 2;
  const resources = new ResourcePool();
  try {
    const statuses = await withAdmin(resources, (admin) =>
      Promise.all(plans.map((plan) => pipelineStatus(plan, admin, resources))),
    );
    if (values.json) {
      console.log(JSON.stringify(statuses, null, 2));
      return 0;
    }
    for (const s of statuses) {
      const dlq = s.deadLetters
        ? `${s.deadLetters.pending} pending of ${s.deadLetters.total}`
        : 'unknown (no database)';
      console.log(
        `${s.pipeline}  group ${s.group}  ${s.state}  ${s.members.length} member(s)  lag ${s.lag}  dead letters ${dlq}`,
      );
      if (s.ucr) console.log(formatUcrStatus(s.ucr).replace(/^/gm, '  '));
      if (s.backlog !== undefined) {
        const age = s.backlog?.oldestAgeSeconds;
        console.log(
          s.backlog === null
            ? '  backlog unknown (source store unreachable)'
            : `  backlog ${s.backlog.pending} undelivered${age !== null && age !== undefined ? `, oldest ${age}s old` : ''}`,
        );
      }
      for (const m of s.members)
        console.log(`  member ${m.clientId} ${m.host}: ${m.partitions.join(', ') || '(none)'}`);
      console.log(
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
        if (gap) console.log(`  GAP ${describeOffsetGap(gap)}`);
      }
    }
    return 0;
  } finally {
    await resources.close();
  }
}

export async function rewindCommand(args: string[], registry: Registry): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { to: { type: 'string' }, 'accept-gap': { type: 'boolean', default: false } },
  });
  const to = values.to;
  const time = to && !['earliest', 'latest'].includes(to) ? Date.parse(to) : undefined;
  if (positionals.length !== 1 || !to || (time !== undefined && Number.isNaN(time))) {
    console.error('usage: tributary rewind <pipeline file> --to earliest|latest|<ISO time> [--accept-gap]');
    return 2;
  }
  const plans = await loadPlans(positionals, registry);
  if (!plans) return 2;
  const plan = plans[0]!;
  const resources = new ResourcePool();
  try {
    return await withAdmin(resources, async (admin) => {
      const group = groupOf(plan);
      const description = await admin.describeGroup(group);
      if (description.members.length) {
        console.error(
          `tributary: group ${group} has ${description.members.length} member(s); stop its workers before rewinding.`,
        );
        return 1;
      }
      // Moving a group past records deleted before it processed them is the operator's decision.
      const gaps = await findOffsetGaps(admin, group, sourceTopics(plan));
      for (const gap of gaps) console.error(`tributary: ${describeOffsetGap(gap)}`);
      if (gaps.length && !values['accept-gap']) {
        console.error('tributary: rewinding moves past those deleted records; pass --accept-gap to do it.');
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
        console.log(`${topic}: ${offsets.map((o) => `${o.partition}→${o.offset}`).join(' ')}`);
      }
      console.log(`Rewound group ${group} to ${to}.`);
      return 0;
    });
  } finally {
    await resources.close();
  }
}

export async function dlqCommand(args: string[], registry: Registry): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      pipeline: { type: 'string' },
      since: { type: 'string' },
      ids: { type: 'string' },
      json: { type: 'boolean', default: false },
      limit: { type: 'string', default: '100' },
    },
  });
  const since = values.since ? new Date(values.since) : undefined;
  const ids = values.ids ? values.ids.split(',').map((id) => BigInt(id.trim())) : undefined;
  if (
    (sub !== 'list' && sub !== 'replay') ||
    (since && Number.isNaN(since.getTime())) ||
    (sub === 'replay' && positionals.length !== 1)
  ) {
    console.error(
      'usage: tributary dlq list [--pipeline NAME] [--since ISO] [--json]\n       tributary dlq replay <pipeline file> [--ids 1,2,…]',
    );
    return 2;
  }
  const resources = new ResourcePool();
  try {
    const db = await postgresPool(resources, readEndpoints().DATABASE_URL);
    if (sub === 'list') {
      const letters = await listDeadLetters(db, {
        ...(values.pipeline ? { pipeline: values.pipeline } : {}),
        ...(since ? { since } : {}),
        limit: Number(values.limit),
      });
      if (values.json)
        console.log(
          JSON.stringify(letters, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2),
        );
      else
        console.log(
          formatTable(
            ['ID', 'PIPELINE', 'STAGE', 'SOURCE', 'FAILED AT', 'REPLAYED', 'ERROR'],
            letters.map(letterRow),
          ),
        );
      return 0;
    }
    const plans = await loadPlans(positionals, registry);
    if (!plans) return 2;
    return await replay(plans[0]!, db, ids, resources);
  } finally {
    await resources.close();
  }
}

const letterRow = (l: StoredDeadLetter) => [
  String(l.id),
  l.pipeline,
  l.stage,
  `${l.source_lane}@${l.source_offset}`,
  l.failed_at.toISOString(),
  l.replayed_at ? 'yes' : '',
  `${l.error_class}${l.reason ? ` (${l.reason})` : ''}: ${l.message}`.slice(0, 120),
];

async function replay(
  plan: PipelinePlan,
  db: Awaited<ReturnType<typeof postgresPool>>,
  ids: bigint[] | undefined,
  resources: ResourcePool,
): Promise<number> {
  const letters = await listDeadLetters(db, {
    pipeline: plan.name,
    pendingOnly: true,
    ...(ids ? { ids } : {}),
    limit: 100_000,
  });
  if (!letters.length) {
    console.log('Nothing to replay.');
    return 0;
  }
  const logger = createLogger();
  const host = new PipelineHost(logger, { defaultMetrics: false });
  const metrics = new PipelineMetrics();
  const runner = await PipelineRunner.create(
    plan,
    { logger, metrics, resources, deadLetters: host.deadLetterWriterFor(plan, resources) },
    new AbortController().signal,
  );
  const source = runner.sourceComponent;
  if (!source.decode) {
    console.error(
      `tributary: the ${plan.source.type} source cannot decode stored records; replay is not possible for it.`,
    );
    return 1;
  }
  const records: SourceRecord[] = await Promise.all(
    letters.map((l) =>
      source.decode!(
        {
          key: l.record_key,
          value: l.record_value,
          headers: Object.fromEntries(
            Object.entries(l.record_headers).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
          ),
        },
        { lane: l.source_lane, offset: l.source_offset },
        l.failed_at.getTime(),
      ),
    ),
  );
  await runner.replay(records);
  await markReplayed(
    db,
    letters.map((l) => l.id),
  );
  const failedAgain = (await metrics.deadLetters.get()).values.reduce((sum, v) => sum + v.value, 0);
  await runner.stop();
  console.log(
    `Replayed ${letters.length} dead letter(s) of ${plan.name}; ${failedAgain} failed again and are dead letters anew.`,
  );
  return failedAgain ? 1 : 0;
}
