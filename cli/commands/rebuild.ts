/**
 * UCR table administration: `tributary rebuild <pipeline file> <domain>/<table_id>` rebuilds a
 * data source beside its live table and swaps the view to it; `ucrStatus` and `formatUcrStatus`
 * give `tributary status` the data sources, their states, rows, last build and errors.
 */
import { readEndpoints } from '../../connectors/endpoints.js';
import { postgresPool, type Database } from '../../connectors/postgres/postgres-pool.js';
import { ucrCatalogTable, ucrProblemsTable } from '../../connectors/ucr/ucr-catalog.js';
import type { UcrPostgresSink } from '../../connectors/ucr/ucr-postgres-sink.js';
import { ucrPostgresSink } from '../../connectors/ucr/ucr-postgres-sink.js';
import type { ComponentContext } from '../../runtime/contract/index.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { UsageError, type CommandInput } from '../command.js';
import { formatTable } from '../format.js';
import { loadPlans } from '../load-plans.js';

/** Runs `tributary rebuild <pipeline file> <domain>/<table_id>`; resolves to the exit code. */
export async function rebuildCommand({ positionals, registry, out, err }: CommandInput): Promise<number> {
  const [file, name] = positionals as [string, string];
  const match = /^([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)$/.exec(name);
  if (!match) throw new UsageError(`expected <domain>/<table_id> (letters, digits, _ and -), got '${name}'`);
  const [, domain, tableId] = match as unknown as [string, string, string];
  const [plan] = (await loadPlans([file], registry)) as [PipelinePlan];
  const sinks = Object.entries(plan.sinks).filter(([, s]) => s.spec.name === ucrPostgresSink.name);
  if (sinks.length !== 1) {
    err(`${file}: expected one ${ucrPostgresSink.name} sink, found ${sinks.length}`);
    return 2;
  }
  const [sinkName, sinkPlan] = sinks[0]!;
  const resources = new ResourcePool();
  const abort = new AbortController();
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', destination: process.stderr });
  const context: ComponentContext = {
    pipeline: plan.name,
    logger: logger.child({ pipeline: plan.name, component: `sinks.${sinkName}` }),
    signal: abort.signal,
    resources,
    delivery: plan.delivery,
  };
  let sink: UcrPostgresSink | undefined;
  try {
    sink = (await sinkPlan.spec.create(sinkPlan.config as never, context)) as UcrPostgresSink;
    await sink.manager.start();
    const started = Date.now();
    await sink.manager.rebuild(domain, tableId);
    out(
      `Rebuilt ${domain}/${tableId} of pipeline ${plan.name} and swapped it in (${Date.now() - started} ms).`,
    );
    return 0;
  } catch (error) {
    err(`rebuild ${domain}/${tableId}: ${(error as Error).message}`);
    return 1;
  } finally {
    abort.abort();
    await sink?.close().catch(() => undefined);
    await resources.close();
  }
}

/** One table of a data source, as status shows it. */
export interface UcrTableStatus {
  pipeline: string | null;
  domain: string;
  tableId: string;
  view: string;
  state: 'building' | 'live' | 'retired';
  physicalTable: string;
  definitionHash: string;
  /** Live row estimate from the statistics collector, else the count taken at the swap. */
  rows: number | null;
  createdAt: Date;
  builtAt: Date | null;
  swappedAt: Date | null;
  dropAfter: Date | null;
  error: string | null;
}

/** A configuration that could not be used. */
export interface UcrConfigErrorStatus {
  pipeline: string;
  origin: string;
  domain: string | null;
  tableId: string | null;
  error: string;
  seenAt: Date;
}

export interface UcrStatus {
  tables: UcrTableStatus[];
  configErrors: UcrConfigErrorStatus[];
}

/** Every UCR table and unusable configuration in the database; empty when UCR never ran there. */
export async function ucrStatus(db: Database): Promise<UcrStatus> {
  const exists = await db.one<{ catalog: string | null; errors: string | null }>(
    'SELECT to_regclass($1)::text AS catalog, to_regclass($2)::text AS errors',
    [ucrCatalogTable, ucrProblemsTable],
  );
  const tables = exists.catalog
    ? await db.any<{
        owner: string | null;
        domain: string;
        table_id: string;
        view_name: string;
        state: UcrTableStatus['state'];
        physical_table: string;
        definition_hash: string;
        rows: bigint | null;
        live_rows: bigint | null;
        created_at: Date;
        built_at: Date | null;
        swapped_at: Date | null;
        drop_after: Date | null;
        errors: string | null;
      }>(
        `SELECT c.*, s.n_live_tup AS live_rows FROM ${ucrCatalogTable} c
         LEFT JOIN pg_stat_user_tables s ON s.schemaname = 'tributary_ucr' AND s.relname = c.physical_table
         ORDER BY c.owner, c.domain, c.table_id, c.created_at`,
      )
    : [];
  const errors = exists.errors
    ? await db.any<{
        owner: string;
        origin: string;
        domain: string | null;
        table_id: string | null;
        error: string;
        seen_at: Date;
      }>(`SELECT * FROM ${ucrProblemsTable} ORDER BY owner, origin`)
    : [];
  return {
    tables: tables.map((t) => ({
      pipeline: t.owner,
      domain: t.domain,
      tableId: t.table_id,
      view: t.view_name,
      state: t.state,
      physicalTable: t.physical_table,
      definitionHash: t.definition_hash,
      // The statistics collector lags a fresh build (its count is flushed later): until it has
      // counted anything, the count taken at the swap is the better figure.
      rows:
        t.live_rows !== null && (t.live_rows > 0n || t.rows === null)
          ? Number(t.live_rows)
          : t.rows !== null
            ? Number(t.rows)
            : null,
      createdAt: t.created_at,
      builtAt: t.built_at,
      swappedAt: t.swapped_at,
      dropAfter: t.drop_after,
      error: t.errors,
    })),
    configErrors: errors.map((e) => ({
      pipeline: e.owner,
      origin: e.origin,
      domain: e.domain,
      tableId: e.table_id,
      error: e.error,
      seenAt: e.seen_at,
    })),
  };
}

const time = (date: Date | null) => (date ? date.toISOString().replace(/\.\d+Z$/, 'Z') : '-');

/** `ucrStatus` as text for `tributary status`: one table of data sources, then configuration errors. */
export function formatUcrStatus(status: UcrStatus): string {
  if (!status.tables.length && !status.configErrors.length)
    return 'UCR: no data sources; not consuming until one is configured.';
  const lines = [
    formatTable(
      ['UCR DATA SOURCE', 'PIPELINE', 'STATE', 'ROWS', 'TABLE', 'LAST BUILD', 'SWAPPED', 'ERROR'],
      status.tables.map((t) => [
        `${t.domain}/${t.tableId}`,
        t.pipeline ?? '-',
        t.state === 'retired' ? `retired (drop after ${time(t.dropAfter)})` : t.state,
        t.rows === null ? '-' : String(t.rows),
        t.physicalTable,
        time(t.builtAt),
        time(t.swappedAt),
        t.error ?? '',
      ]),
    ),
  ];
  if (!status.tables.some((t) => t.state === 'live' || t.state === 'building'))
    lines.unshift(
      'Not consuming: no usable UCR data source (none configured, or every configuration was refused); ' +
        'the pipeline stays not ready until one can be used.',
    );
  if (status.configErrors.length) {
    lines.push(
      '',
      formatTable(
        ['UCR CONFIGURATION', 'PIPELINE', 'DATA SOURCE', 'ERROR'],
        status.configErrors.map((e) => [
          e.origin,
          e.pipeline,
          e.domain || e.tableId ? `${e.domain ?? '?'}/${e.tableId ?? '?'}` : '-',
          e.error,
        ]),
      ),
    );
  }
  return lines.join('\n');
}

/** Reads the status from the database of DATABASE_URL (or the local stack). */
export async function ucrStatusOfEndpoint(): Promise<UcrStatus> {
  const resources = new ResourcePool();
  try {
    return await ucrStatus(await postgresPool(resources, readEndpoints().DATABASE_URL, 2));
  } finally {
    await resources.close();
  }
}
