/**
 * `tributary dlq list|replay|discard`: the dead letters of the tributary_dead_letters table. A
 * replay runs them again through the pipeline's stages and sinks and names those that failed
 * again; a discard marks those that can never succeed, recorded (who, when, why), never deleted.
 */
import { userInfo } from 'node:os';
import { readEndpoints } from '../../connectors/endpoints.js';
import {
  discardDeadLetters,
  ensureDeadLetterTable,
  listDeadLetters,
  markReplayed,
  type StoredDeadLetter,
} from '../../connectors/postgres/postgres-dead-letters.js';
import { postgresPool, type Database } from '../../connectors/postgres/postgres-pool.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import type { DeadLetter, SourceRecord } from '../../runtime/contract/index.js';
import { PipelineRunner } from '../../runtime/engine/pipeline-runner.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { PipelineMetrics } from '../../runtime/telemetry/metrics.js';
import {
  flagOption,
  numberOption,
  requiredOption,
  stringOption,
  UsageError,
  type CommandInput,
  type OptionValues,
} from '../command.js';
import { formatTable } from '../format.js';
import { loadPlans } from '../load-plans.js';
import { PipelineHost } from '../pipeline-host.js';

/** The dead-letter table of DATABASE_URL, created when missing, for the length of `use`. */
async function withDeadLetters<T>(use: (db: Database, resources: ResourcePool) => Promise<T>): Promise<T> {
  const resources = new ResourcePool();
  try {
    const db = await postgresPool(resources, readEndpoints().DATABASE_URL);
    await ensureDeadLetterTable(db);
    return await use(db, resources);
  } finally {
    await resources.close();
  }
}

function idsOption(values: OptionValues): bigint[] | undefined {
  const text = stringOption(values, 'ids');
  if (text === undefined) return undefined;
  const parts = text.split(',').map((id) => id.trim());
  const bad = parts.filter((id) => !/^\d+$/.test(id));
  if (bad.length || !parts.length)
    throw new UsageError(`--ids expects dead-letter ids separated by commas (1,2,3), got '${text}'`);
  return parts.map((id) => BigInt(id));
}

const stateOf = (l: StoredDeadLetter) =>
  l.discarded_at ? 'discarded' : l.replayed_at ? 'replayed' : 'pending';

const letterRow = (l: StoredDeadLetter) => [
  String(l.id),
  l.pipeline,
  l.stage,
  `${l.source_lane}@${l.source_offset}`,
  l.failed_at.toISOString(),
  stateOf(l),
  `${l.error_class}${l.reason ? ` (${l.reason})` : ''}: ${l.message}`.slice(0, 120),
];

export async function dlqListCommand({ values, out }: CommandInput): Promise<number> {
  const sinceText = stringOption(values, 'since');
  const since = sinceText === undefined ? undefined : new Date(sinceText);
  if (since && Number.isNaN(since.getTime()))
    throw new UsageError(`--since expects an ISO time (2026-11-29T10:00:00Z), got '${sinceText}'`);
  const pipeline = stringOption(values, 'pipeline');
  const limit = numberOption(values, 'limit', { min: 1 })!;
  const letters = await withDeadLetters((db) =>
    listDeadLetters(db, { ...(pipeline ? { pipeline } : {}), ...(since ? { since } : {}), limit }),
  );
  if (flagOption(values, 'json'))
    out(JSON.stringify(letters, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
  else
    out(
      formatTable(
        ['ID', 'PIPELINE', 'STAGE', 'SOURCE', 'FAILED AT', 'STATE', 'ERROR'],
        letters.map(letterRow),
      ),
    );
  return 0;
}

export async function dlqReplayCommand(input: CommandInput): Promise<number> {
  const ids = idsOption(input.values);
  const [plan] = await loadPlans(input.positionals, input.registry);
  return withDeadLetters((db, resources) => replay(plan!, input, db, ids, resources));
}

/** Runs the pending letters again; says which went through and which failed again, under which new id. */
async function replay(
  plan: PipelinePlan,
  { out, err, positionals }: CommandInput,
  db: Database,
  ids: bigint[] | undefined,
  resources: ResourcePool,
): Promise<number> {
  const letters = await listDeadLetters(db, {
    pipeline: plan.name,
    pendingOnly: true,
    ...(ids ? { ids } : {}),
    limit: 100_000,
  });
  if (ids) {
    const found = new Set(letters.map((l) => String(l.id)));
    const missing = ids.filter((id) => !found.has(String(id)));
    if (missing.length)
      err(
        `Not pending dead letters of ${plan.name} (already replayed, discarded, or unknown): ${missing.join(', ')}.`,
      );
  }
  if (!letters.length) {
    out('Nothing to replay.');
    return 0;
  }
  // The replay's own summary is what the operator reads; the engine's info lines are noise here.
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const host = new PipelineHost(logger, { defaultMetrics: false });
  const failed: DeadLetter[] = [];
  const writer = host.deadLetterWriterFor(plan, resources);
  const runner = await PipelineRunner.create(
    plan,
    {
      logger,
      metrics: new PipelineMetrics(),
      resources,
      deadLetters: {
        write: async (batch) => {
          failed.push(...batch);
          await writer.write(batch);
        },
      },
      endpoints: host.endpoints,
    },
    new AbortController().signal,
  );
  const source = runner.sourceComponent;
  if (!source.decode) {
    err(`the ${plan.source.type} source cannot decode stored records; replay is not possible for it.`);
    return 1;
  }
  const { newest } = await db.one<{ newest: bigint }>(
    'SELECT coalesce(max(id), 0) AS newest FROM tributary_dead_letters',
  );
  const decode = source.decode.bind(source);
  const records: SourceRecord[] = await Promise.all(letters.map((l) => decodeStored(decode, l)));
  await runner.replay(records);
  await markReplayed(
    db,
    letters.map((l) => l.id),
  );
  await runner.stop();
  out(
    `Replayed ${letters.length} dead letter(s) of ${plan.name}: ${letters.length - failed.length} went through.`,
  );
  if (!failed.length) return 0;
  const anew = await db.any<{ id: bigint; source_lane: string; source_offset: string }>(
    'SELECT id, source_lane, source_offset FROM tributary_dead_letters WHERE pipeline = $1 AND id > $2 ORDER BY id',
    [plan.name, newest],
  );
  const lines = failed.map((f) => {
    const at = (l: { source_lane: string; source_offset: string }) =>
      l.source_lane === f.record.position.lane && l.source_offset === f.record.position.offset;
    const was = letters.find(at);
    const now = anew.find(at);
    return `  ${was ? String(was.id) : '?'} → ${now ? `dead letter ${now.id}` : 'the dead-letter topic'} (${f.stage}: ${f.message.slice(0, 100)})`;
  });
  const newIds = anew.map((l) => String(l.id)).join(',');
  out(
    [
      `${failed.length} failed again and are dead letters anew:`,
      ...lines,
      `Fix what makes them fail and replay again, or set aside those that can never succeed (recorded, not deleted):`,
      `  tributary dlq discard ${positionals[0]} --ids ${newIds || '<ids>'} --reason '<why>'`,
    ].join('\n'),
  );
  return 1;
}

function decodeStored(
  decode: NonNullable<PipelineRunner['sourceComponent']['decode']>,
  l: StoredDeadLetter,
): Promise<SourceRecord> {
  return decode(
    {
      key: l.record_key,
      value: l.record_value,
      headers: Object.fromEntries(
        Object.entries(l.record_headers).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
      ),
    },
    { lane: l.source_lane, offset: l.source_offset },
    l.failed_at.getTime(),
  );
}

export async function dlqDiscardCommand({
  values,
  positionals,
  registry,
  out,
  err,
}: CommandInput): Promise<number> {
  const ids = idsOption(values);
  if (!ids) throw new UsageError('missing --ids: which dead letters to discard');
  const reason = requiredOption(values, 'reason');
  const [plan] = await loadPlans(positionals, registry);
  const user = process.env.TRIBUTARY_USER ?? userInfo().username;
  const discarded = await withDeadLetters((db) => discardDeadLetters(db, plan!.name, ids, { user, reason }));
  const done = new Set(discarded.map(String));
  const left = ids.filter((id) => !done.has(String(id)));
  if (discarded.length)
    out(
      `Discarded ${discarded.length} dead letter(s) of ${plan!.name} (${[...done].join(', ')}) as ${user}: ${reason}`,
    );
  if (left.length) {
    err(
      `Not pending dead letters of ${plan!.name} (already replayed, discarded, or unknown): ${left.join(', ')}.`,
    );
    return 2;
  }
  return 0;
}
