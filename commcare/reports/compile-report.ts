/**
 * A report configuration plus its data source's columns → parameterised SQL and the step that turns
 * the query's rows into the report (§11). Pure: the caller runs the queries and fetches lookups.
 *
 * Query shape: `SELECT [DISTINCT ON …] <items> FROM <view> WHERE <filters> GROUP BY <ordinals>
 * ORDER BY <aliases> LIMIT $n OFFSET $m`. Items get synthetic aliases (`c0`, `c1`…), so report column
 * ids never reach SQL; data source columns are checked against the view's column list and quoted;
 * every value (filter values, pre values, bucket bounds, expansion values, paging) is a bound
 * parameter. Items that are not aggregates (simple fields, aggregate_date months, integer buckets,
 * locations, the aggregation columns) are grouped by, which is the only valid SQL reading of such a
 * report. Rows are ordered by `sort_expression` (default: the aggregation columns) and then by every
 * grouped item, so paging is stable.
 */
import { columnSql, outputSql, type DataSourceColumn } from './data-source-column.js';
import { issue, resolveColumns, type CompileContext, type ResolvedColumn } from './report-columns.js';
import { jsonPath, ReportConfigError } from './report-config-error.js';
import { reportColumnId, type ReportConfig } from './report-config.js';
import { resolveFilter, type FilterLookupKey, type ResolvedFilter } from './report-filters.js';
import { selectItems, type Items } from './report-items.js';
import {
  finishRows,
  rowLookupKeys,
  type ReportLookups,
  type ReportOutput,
  type RowShaping,
} from './report-rows.js';
import { quoteIdentifier } from '../sql/quote-identifier.js';
import { SqlParams } from './sql-params.js';
import { ucrSchema, ucrViewName } from './ucr-view-name.js';

export type { ReportLookups, ReportOutput, ReportOutputColumn } from './report-rows.js';

/** SQL text with `$n` placeholders and the values bound to them. */
export interface SqlQuery {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** A distinct-values query an `expanded` column needs before the report query can be built. */
export interface ExpansionQuery {
  readonly columnId: string;
  /** Returns rows `{ v: text }`, at most `max_expansion` of them, in order. */
  readonly query: SqlQuery;
}

/** What one request runs: the page of rows, and one summary row (row count and totals). */
export interface ReportPlan {
  readonly data: SqlQuery;
  readonly summary: SqlQuery;
  /** The users, groups and locations the rows' transforms look up: fetch them for `finish`. */
  lookupKeys(rows: readonly Readonly<Record<string, unknown>>[]): { kind: string; id: string }[];
  finish(
    rows: readonly Readonly<Record<string, unknown>>[],
    summary: Readonly<Record<string, unknown>>,
    lookups?: ReportLookups,
  ): ReportOutput;
}

export interface ReportRequest {
  /** The query string: filter values (see report-filters.ts); other keys are ignored. */
  readonly params: URLSearchParams;
  readonly limit: number;
  readonly offset: number;
  /** Language for `{lang: text}` displays and translations; default `en`. */
  readonly lang?: string;
  /** Answers for `filterLookupKeys` (location descendants). */
  readonly lookups?: ReportLookups;
}

export interface CompileReportOptions {
  /** The data source's table_id when the configuration's `config_id` is the data source's `_id`. */
  readonly tableId?: string;
  /** The largest `max_expansion` accepted (CommCare makes it a server setting); default 1000. */
  readonly maxExpansion?: number;
}

export interface CompiledReport {
  readonly domain: string;
  readonly tableId: string;
  readonly title: string;
  /** `"tributary_ucr"."<domain>_<table_id>"`. */
  readonly viewSql: string;
  /** Run these first; pass their values to `plan` keyed by column id. */
  readonly expansions: readonly ExpansionQuery[];
  /** What the request's filters must look up before `plan` (a location's descendants). */
  filterLookupKeys(params: URLSearchParams): FilterLookupKey[];
  /**
   * Builds the queries for one request. Throws `ReportRequestError` (naming the parameter) when a
   * filter value is unusable; never lets a request value into SQL text.
   */
  plan(request: ReportRequest, expansionValues: ReadonlyMap<string, readonly string[]>): ReportPlan;
}

/** What planning a request needs from the compiled configuration. */
interface ReportParts {
  readonly config: ReportConfig;
  readonly resolved: readonly ResolvedColumn[];
  readonly filters: readonly ResolvedFilter[];
  readonly groupSources: readonly DataSourceColumn[];
  readonly viewSql: string;
}

// Aggregation columns are report column ids, or (like CommCare's ["doc_id"]) data source columns.
function resolveGrouping(ctx: CompileContext, config: ReportConfig, resolved: readonly ResolvedColumn[]) {
  const byId = new Map(resolved.map((column) => [column.id, column]));
  const groupSources: DataSourceColumn[] = [];
  config.aggregation_columns.forEach((id, index) => {
    const path = ['aggregation_columns', index];
    const column = byId.get(id);
    if (column) {
      if (column.type === 'field' && column.aggregation !== 'simple')
        issue(
          ctx,
          path,
          `${id} aggregates (${column.aggregation}); an aggregation column must be a simple field, aggregate_date, integer_buckets or location column`,
        );
      else if (!['field', 'aggregate_date', 'integer_buckets', 'location'].includes(column.type))
        issue(
          ctx,
          path,
          `cannot group by a ${column.type} column; expected a simple field, aggregate_date, integer_buckets or location column, or a data source column`,
        );
      return;
    }
    // A report column that failed to resolve has its own issue already.
    if (config.columns.some((spec) => reportColumnId(spec) === id)) return;
    const source = ctx.sources.get(id);
    if (source) groupSources.push(source);
    else issue(ctx, path, `expected a report column id or a data source column, got ${JSON.stringify(id)}`);
  });
  return groupSources;
}

function checkCharts(ctx: CompileContext, config: ReportConfig) {
  const ids = new Set(
    config.columns.flatMap((spec) => {
      const id = reportColumnId(spec);
      return spec.type === 'percent'
        ? [id, reportColumnId(spec.numerator), reportColumnId(spec.denominator)]
        : [id];
    }),
  );
  config.configured_charts.forEach((chart, index) => {
    const refs: [string, string | undefined][] =
      chart.type === 'pie'
        ? [
            ['aggregation_column', chart.aggregation_column],
            ['value_column', chart.value_column],
          ]
        : chart.type === 'multibar'
          ? [
              ['x_axis_column', chart.x_axis_column],
              ...chart.y_axis_columns.map((y, i): [string, string] => [`y_axis_columns[${i}]`, y.column_id]),
            ]
          : [
              ['primary_aggregation', chart.primary_aggregation],
              ['secondary_aggregation', chart.secondary_aggregation],
              ['value_column', chart.value_column],
            ];
    for (const [key, id] of refs) {
      if (
        id !== undefined &&
        !ids.has(id) &&
        !config.columns.some((spec) => spec.type === 'expanded' && id.startsWith(`${reportColumnId(spec)}-`))
      )
        issue(
          ctx,
          ['configured_charts', index, key],
          `expected a report column id, got ${JSON.stringify(id)}`,
        );
    }
  });
}

function expansionQueries(resolved: readonly ResolvedColumn[], viewSql: string): ExpansionQuery[] {
  return resolved.flatMap((column) => {
    if (column.type !== 'expanded') return [];
    const sql = columnSql(column.source);
    return [
      {
        columnId: column.id,
        query: {
          text:
            `SELECT ${outputSql('d.raw', column.source.datatype)}::text AS v FROM ` +
            `(SELECT DISTINCT ${sql} AS raw FROM ${viewSql} WHERE ${sql} IS NOT NULL) AS d ` +
            'ORDER BY d.raw LIMIT $1::integer',
          values: [column.maxExpansion],
        },
      },
    ];
  });
}

/** ORDER BY: the sort expression (or the aggregation columns), then every grouped item. */
function orderBy(parts: ReportParts, items: Items): string[] {
  const order: string[] = [];
  const ordered = new Set<string>();
  const add = (alias: string, direction: 'ASC' | 'DESC') => {
    if (!ordered.has(alias)) order.push(`${quoteIdentifier(alias)} ${direction}`);
    ordered.add(alias);
  };
  const { config } = parts;
  if (config.sort_expression.length > 0) {
    for (const sort of config.sort_expression)
      for (const alias of items.aliasesOf.get(sort.field) ?? []) add(alias, sort.order);
  } else {
    let groupIndex = 0;
    const byId = new Set(parts.resolved.map((column) => column.id));
    for (const id of config.aggregation_columns) {
      const aliases = byId.has(id) ? (items.aliasesOf.get(id) ?? []) : [items.groupAliases[groupIndex++]!];
      for (const alias of aliases) add(alias, 'ASC');
    }
  }
  for (const item of items.items) if (item.grouped) add(item.alias, 'ASC');
  return order;
}

function coreQuery(parts: ReportParts, items: Items, request: ReportRequest, params: SqlParams): string {
  const distinctOn = parts.config.distinct_on
    .flatMap((id) => items.aliasesOf.get(id) ?? [])
    .map((alias) => quoteIdentifier(alias));
  const select = items.items
    .map((item) => `${item.sql(params)} AS ${quoteIdentifier(item.alias)}`)
    .join(', ');
  const conditions = parts.filters
    .map((filter) => filter.condition(request.params, params, request.lookups))
    .filter((condition) => condition !== null);
  const groupBy = items.items.flatMap((item, index) => (item.grouped ? [String(index + 1)] : []));
  const order = orderBy(parts, items);
  return (
    `SELECT ${distinctOn.length > 0 ? `DISTINCT ON (${distinctOn.join(', ')}) ` : ''}${select} FROM ${parts.viewSql}` +
    (conditions.length > 0 ? ` WHERE ${conditions.map((condition) => `(${condition})`).join(' AND ')}` : '') +
    (groupBy.length > 0 ? ` GROUP BY ${groupBy.join(', ')}` : '') +
    (order.length > 0 ? ` ORDER BY ${order.join(', ')}` : '')
  );
}

function planReport(
  parts: ReportParts,
  request: ReportRequest,
  expansionValues: ReadonlyMap<string, readonly string[]>,
): ReportPlan {
  const expandedValues = new Map(
    parts.resolved.filter((c) => c.type === 'expanded').map((c) => [c.id, expansionValues.get(c.id) ?? []]),
  );
  const items = selectItems(parts.resolved, parts.groupSources, expandedValues);
  const dataParams = new SqlParams();
  const dataText = coreQuery(parts, items, request, dataParams);
  const data: SqlQuery = {
    text: `${dataText} LIMIT ${dataParams.bind(request.limit, 'bigint')} OFFSET ${dataParams.bind(request.offset, 'bigint')}`,
    values: dataParams.values,
  };
  const totalled = parts.resolved.filter((column) => column.total && column.visible);
  const totalAliases = [...new Set(totalled.flatMap((column) => items.aliasesOf.get(column.id) ?? []))];
  const summaryParams = new SqlParams();
  const summaryInner = coreQuery(parts, items, request, summaryParams);
  const summary: SqlQuery = {
    text:
      `SELECT COUNT(*) AS total_records${totalAliases.map((alias) => `, SUM(r.${quoteIdentifier(alias)}) AS ${quoteIdentifier(`t_${alias}`)}`).join('')} ` +
      `FROM (${summaryInner}) AS r`,
    values: summaryParams.values,
  };
  const shape: RowShaping = {
    resolved: parts.resolved,
    items,
    expandedValues,
    charts: parts.config.configured_charts,
    lang: request.lang ?? 'en',
  };
  return {
    data,
    summary,
    lookupKeys: (rows) => rowLookupKeys(shape, rows),
    finish: (rows, summaryRow, lookups) => finishRows(shape, rows, summaryRow, lookups),
  };
}

/**
 * Checks the configuration against the data source's columns and prepares its queries. Throws
 * `ReportConfigError` with every problem (unknown columns, sums of text, unsupported transforms or
 * expressions…) at its JSON path.
 */
export function compileReport(
  config: ReportConfig,
  dataSourceColumns: readonly DataSourceColumn[],
  reportId?: string,
  options: CompileReportOptions = {},
): CompiledReport {
  const ctx: CompileContext = {
    sources: new Map(dataSourceColumns.map((column) => [column.id, column])),
    issues: [],
    maxExpansion: options.maxExpansion ?? 1000,
  };
  const resolved = resolveColumns(ctx, config.columns);
  const filters = config.filters.flatMap(
    (spec, index) => resolveFilter(spec, index, ctx.sources, ctx.issues) ?? [],
  );
  const groupSources = resolveGrouping(ctx, config, resolved);
  checkCharts(ctx, config);
  const tableId = options.tableId ?? config.config_id;
  let viewSql = '';
  try {
    viewSql = `${quoteIdentifier(ucrSchema)}.${quoteIdentifier(ucrViewName(config.domain, tableId))}`;
  } catch (error) {
    ctx.issues.push({ path: jsonPath(['config_id']), message: (error as Error).message });
  }
  if (ctx.issues.length > 0) throw new ReportConfigError(ctx.issues, reportId);
  const parts: ReportParts = { config, resolved, filters, groupSources, viewSql };
  return {
    domain: config.domain,
    tableId,
    title: config.title,
    viewSql,
    expansions: expansionQueries(resolved, viewSql),
    filterLookupKeys: (params) => filters.flatMap((filter) => filter.lookupKeys?.(params) ?? []),
    plan: (request, expansionValues) => planReport(parts, request, expansionValues),
  };
}
