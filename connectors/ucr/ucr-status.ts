/**
 * What `tributary status` shows of a UCR catalog: every table of the pipeline's data sources with
 * its state, rows, build progress and last error, and the configurations that could not be used.
 */
import type { ComponentStatus } from '../../runtime/contract/index.js';
import { ucrSchema } from '../../commcare/ucr/ucr-table-names.js';
import type { Database } from '../postgres/postgres-pool.js';
import { ucrViewCatalog } from './ucr-catalog.js';

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
  /** Documents a build has read so far. */
  builtDocuments: number | null;
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

/** Every UCR table and unusable configuration (of one pipeline, when given); empty when UCR never ran there. */
export async function ucrStatus(db: Database, pipeline?: string): Promise<UcrStatus> {
  const exists = await ucrViewCatalog.exists(db);
  const rows = exists.catalog ? await ucrViewCatalog.all(db, pipeline) : [];
  const estimates = new Map(
    (
      await db.any<{ relname: string; n_live_tup: bigint | null }>(
        'SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = ANY($2::text[])',
        [ucrSchema, rows.map((r) => r.physical)],
      )
    ).map((s) => [s.relname, s.n_live_tup]),
  );
  const problems = exists.problems ? await ucrViewCatalog.problems(db, pipeline) : [];
  return {
    tables: rows
      .map((t) => {
        const live = estimates.get(t.physical) ?? null;
        return {
          pipeline: t.owner,
          domain: t.labels.domain ?? '',
          tableId: t.labels.table_id ?? '',
          view: t.view,
          state: t.state,
          physicalTable: t.physical,
          definitionHash: t.definitionHash,
          // The statistics collector lags a fresh build (its count is flushed later): until it has
          // counted anything, the count taken at the swap is the better figure.
          rows:
            live !== null && (live > 0n || t.rows === null)
              ? Number(live)
              : t.rows !== null
                ? Number(t.rows)
                : null,
          builtDocuments: t.progress?.documents ?? null,
          createdAt: t.createdAt,
          builtAt: t.builtAt,
          swappedAt: t.swappedAt,
          dropAfter: t.dropAfter,
          error: t.errors,
        };
      })
      // Stable: within one data source, oldest first (the catalog's order).
      .sort((a, b) => {
        const x = `${a.pipeline}\0${a.domain}\0${a.tableId}`;
        const y = `${b.pipeline}\0${b.domain}\0${b.tableId}`;
        return x < y ? -1 : x > y ? 1 : 0;
      }),
    configErrors: problems.map((e) => ({
      pipeline: e.owner,
      origin: e.origin,
      domain: e.labels.domain ?? null,
      tableId: e.labels.table_id ?? null,
      error: e.error,
      seenAt: e.seenAt,
    })),
  };
}

const time = (date: Date | null) => (date ? date.toISOString().replace(/\.\d+Z$/, 'Z') : '-');

function stateText(t: UcrTableStatus): string {
  if (t.state === 'retired') return `retired (drop after ${time(t.dropAfter)})`;
  if (t.state === 'building' && t.builtDocuments !== null) return `building (${t.builtDocuments} docs read)`;
  return t.state;
}

/** The status as the CLI prints it: one table of data sources, then one of configuration errors. */
export function ucrStatusReport(status: UcrStatus): ComponentStatus {
  if (!status.tables.length && !status.configErrors.length)
    return { summary: 'UCR: no data sources; not consuming until one is configured.', data: status };
  // The sink holds the pipeline while no table is live or building (it would commit and write nothing).
  const consuming = status.tables.some((t) => t.state === 'live' || t.state === 'building');
  const tables: ComponentStatus['tables'] = [
    {
      columns: ['UCR DATA SOURCE', 'PIPELINE', 'STATE', 'ROWS', 'TABLE', 'LAST BUILD', 'SWAPPED', 'ERROR'],
      rows: status.tables.map((t) => [
        `${t.domain}/${t.tableId}`,
        t.pipeline ?? '-',
        stateText(t),
        t.rows === null ? '-' : String(t.rows),
        t.physicalTable,
        time(t.builtAt),
        time(t.swappedAt),
        t.error ?? '',
      ]),
    },
  ];
  if (status.configErrors.length) {
    tables.push({
      columns: ['UCR CONFIGURATION', 'PIPELINE', 'DATA SOURCE', 'ERROR'],
      rows: status.configErrors.map((e) => [
        e.origin,
        e.pipeline,
        e.domain || e.tableId ? `${e.domain ?? '?'}/${e.tableId ?? '?'}` : '-',
        e.error,
      ]),
    });
  }
  return {
    ...(consuming
      ? {}
      : {
          summary:
            'Not consuming: no usable UCR data source (none configured, or every configuration was refused); ' +
            'the pipeline stays not ready until one can be used.',
        }),
    tables,
    data: status,
  };
}
