/**
 * A report configuration plus its data source's columns → parameterised SQL and the step that turns
 * the query's rows into the report (§11). Pure: the caller runs the queries.
 *
 * Query shape: `SELECT [DISTINCT ON …] <items> FROM <view> WHERE <filters> GROUP BY <ordinals>
 * ORDER BY <aliases> LIMIT $n OFFSET $m`. Items get synthetic aliases (`c0`, `c1`…), so report column
 * ids never reach SQL; data source columns are checked against the view's column list and quoted;
 * every value (filter values, pre values, bucket bounds, expansion values, paging) is a bound
 * parameter. Items that are not aggregates (simple fields, aggregate_date months, integer buckets,
 * the aggregation columns) are grouped by, which is the only valid SQL reading of such a report.
 * Rows are ordered by `sort_expression` (default: the aggregation columns) and then by every grouped
 * item, so paging is stable.
 */
import {
  columnSql,
  comparisonCast,
  isNumeric,
  outputSql,
  type DataSourceColumn,
} from './data-source-column.js';
import { formatPercent, type PercentFormat } from './format-percent.js';
import { jsonPath, ReportConfigError, type ReportConfigIssue } from './report-config-error.js';
import {
  reportColumnId,
  type FieldColumnSpec,
  type ReportColumnSpec,
  type ReportConfig,
} from './report-config.js';
import { compileReportExpression, type RowExpression } from './report-expression.js';
import { resolveFilter, type ResolvedFilter } from './report-filters.js';
import { compileReportTransform, localize, type ValueTransform } from './report-transform.js';
import { quoteIdentifier } from '../sql/quote-identifier.js';
import { SqlParams } from './sql-params.js';
import { strftime, strftimeDirectives, unsupportedStrftimeDirective } from './strftime.js';
import { parseSumWhenCondition, type SumWhenCondition } from './sum-when-condition.js';
import { ucrSchema, ucrViewName } from './ucr-view-name.js';

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

/** One column of the report output. */
export interface ReportOutputColumn {
  readonly id: string;
  readonly display: string;
  /** The report column type it comes from (field, percent, expanded…). */
  readonly type: ReportColumnSpec['type'];
}

/** The report body, before the HTTP layer adds report_id and title. */
export interface ReportOutput {
  readonly columns: readonly ReportOutputColumn[];
  /** One object per row, keyed by output column id. */
  readonly rows: readonly Record<string, unknown>[];
  /** Aligned with `columns`; null when no column asks for `calculate_total`. */
  readonly total_row: readonly unknown[] | null;
  /** Rows of the whole report (all pages) for this request's filters. */
  readonly total_records: number;
}

/** What one request runs: the page of rows, and one summary row (row count and totals). */
export interface ReportPlan {
  readonly data: SqlQuery;
  readonly summary: SqlQuery;
  finish(
    rows: readonly Readonly<Record<string, unknown>>[],
    summary: Readonly<Record<string, unknown>>,
  ): ReportOutput;
}

export interface ReportRequest {
  /** The query string: filter values (see report-filters.ts); other keys are ignored. */
  readonly params: URLSearchParams;
  readonly limit: number;
  readonly offset: number;
  /** Language for `{lang: text}` displays and translations; default `en`. */
  readonly lang?: string;
}

export interface CompiledReport {
  readonly domain: string;
  readonly tableId: string;
  readonly title: string;
  /** `"tributary_ucr"."<domain>_<table_id>"`. */
  readonly viewSql: string;
  /** Run these first; pass their values to `plan` keyed by column id. */
  readonly expansions: readonly ExpansionQuery[];
  /**
   * Builds the queries for one request. Throws `ReportRequestError` (naming the parameter) when a
   * filter value is unusable; never lets a request value into SQL text.
   */
  plan(request: ReportRequest, expansionValues: ReadonlyMap<string, readonly string[]>): ReportPlan;
}

type Aggregation = FieldColumnSpec['aggregation'];

interface ResolvedField {
  readonly id: string;
  readonly source: DataSourceColumn;
  readonly aggregation: Aggregation;
}

type Resolved = {
  readonly id: string;
  readonly display: string | Readonly<Record<string, string>>;
  readonly total: boolean;
} & (
  | (ResolvedField & {
      readonly type: 'field';
      readonly transform: ValueTransform | null;
      readonly percentOfTotal: boolean;
    })
  | {
      readonly type: 'percent';
      readonly format: PercentFormat;
      readonly numerator: ResolvedField;
      readonly denominator: ResolvedField;
    }
  | { readonly type: 'aggregate_date'; readonly source: DataSourceColumn; readonly format: string }
  | { readonly type: 'expanded'; readonly source: DataSourceColumn; readonly maxExpansion: number }
  | {
      readonly type: 'integer_buckets';
      readonly source: DataSourceColumn;
      readonly ranges: readonly (readonly [string, number, number])[];
      readonly else_: string | null;
    }
  | {
      readonly type: 'sum_when';
      readonly whens: readonly (readonly [SumWhenCondition, number])[];
      readonly else_: number;
    }
  | { readonly type: 'expression'; readonly expression: RowExpression }
);

/** A select item: its SQL (built per query), whether it is grouped by, and how to read its value. */
interface Item {
  readonly alias: string;
  readonly sql: (params: SqlParams) => string;
  readonly grouped: boolean;
  readonly numeric: boolean;
}

const toNumber = (value: unknown): unknown =>
  value === null || value === undefined ? null : typeof value === 'number' ? value : Number(value);

function aggregateSql(aggregation: Aggregation, source: DataSourceColumn): string {
  const sql = columnSql(source);
  switch (aggregation) {
    case 'simple':
      return outputSql(sql, source.datatype);
    case 'sum':
      return `SUM(${sql})`;
    case 'avg':
      return `AVG(${sql})`;
    case 'min':
      return outputSql(`MIN(${sql})`, source.datatype);
    case 'max':
      return outputSql(`MAX(${sql})`, source.datatype);
    case 'count':
      return `COUNT(${sql})`;
    case 'count_unique':
      return `COUNT(DISTINCT ${sql})`;
  }
}

const numericAggregation = (field: ResolvedField): boolean =>
  field.aggregation === 'count' ||
  field.aggregation === 'count_unique' ||
  field.aggregation === 'sum' ||
  field.aggregation === 'avg' ||
  isNumeric(field.source);

/**
 * Checks the configuration against the data source's columns and prepares its queries. Throws
 * `ReportConfigError` with every problem (unknown columns, sums of text, unsupported transforms or
 * expressions…) at its JSON path.
 */
export function compileReport(
  config: ReportConfig,
  dataSourceColumns: readonly DataSourceColumn[],
  reportId?: string,
): CompiledReport {
  const issues: ReportConfigIssue[] = [];
  const columns = new Map(dataSourceColumns.map((column) => [column.id, column]));
  const known = [...columns.keys()].join(', ');
  const sourceColumn = (name: string, path: PropertyKey[]): DataSourceColumn | null => {
    const column = columns.get(name);
    if (!column)
      issues.push({
        path: jsonPath(path),
        message: `expected a column of the data source (${known}), got ${JSON.stringify(name)}`,
      });
    return column ?? null;
  };

  const resolveField = (spec: FieldColumnSpec, path: PropertyKey[]): ResolvedField | null => {
    const source = sourceColumn(spec.field, [...path, 'field']);
    if (!source) return null;
    if ((spec.aggregation === 'sum' || spec.aggregation === 'avg') && !isNumeric(source)) {
      issues.push({
        path: jsonPath([...path, 'aggregation']),
        message: `${spec.aggregation} needs an integer or decimal column; ${spec.field} is ${source.datatype}`,
      });
      return null;
    }
    if (source.datatype === 'array' && spec.aggregation !== 'simple' && spec.aggregation !== 'count') {
      issues.push({
        path: jsonPath([...path, 'aggregation']),
        message: `${spec.aggregation} cannot aggregate the array column ${spec.field}`,
      });
      return null;
    }
    return { id: reportColumnId(spec), source, aggregation: spec.aggregation };
  };

  const resolved: Resolved[] = [];
  config.columns.forEach((spec, index) => {
    const path: PropertyKey[] = ['columns', index];
    const id = reportColumnId(spec);
    const display = spec.display ?? id;
    const total = spec.type !== 'expression' && spec.calculate_total;
    const needNumeric = (source: DataSourceColumn, what: string): boolean => {
      if (isNumeric(source)) return true;
      issues.push({
        path: jsonPath([...path, 'field']),
        message: `${what} needs an integer or decimal column; ${source.id} is ${source.datatype}`,
      });
      return false;
    };
    switch (spec.type) {
      case 'field': {
        const field = resolveField(spec, path);
        if (!field) return;
        if (total && !numericAggregation(field)) {
          issues.push({
            path: jsonPath([...path, 'calculate_total']),
            message: `a total needs a numeric column; ${spec.field} with ${spec.aggregation} is ${field.source.datatype}`,
          });
          return;
        }
        if (spec.format === 'percent_of_total' && !numericAggregation(field)) {
          issues.push({
            path: jsonPath([...path, 'format']),
            message: `percent_of_total needs a numeric column; ${spec.field} is ${field.source.datatype}`,
          });
          return;
        }
        const transform = spec.transform
          ? compileReportTransform(spec.transform, [...path, 'transform'], issues)
          : null;
        resolved.push({
          ...field,
          type: 'field',
          display,
          total,
          transform,
          percentOfTotal: spec.format === 'percent_of_total',
        });
        return;
      }
      case 'percent': {
        const numerator = resolveField(spec.numerator, [...path, 'numerator']);
        const denominator = resolveField(spec.denominator, [...path, 'denominator']);
        if (!numerator || !denominator) return;
        for (const [name, part] of [
          ['numerator', numerator],
          ['denominator', denominator],
        ] as const) {
          if (!numericAggregation(part)) {
            issues.push({
              path: jsonPath([...path, name]),
              message: `expected a numeric value; ${part.source.id} with ${part.aggregation} is ${part.source.datatype}`,
            });
            return;
          }
        }
        resolved.push({ type: 'percent', id, display, total, format: spec.format, numerator, denominator });
        return;
      }
      case 'aggregate_date': {
        const source = sourceColumn(spec.field, [...path, 'field']);
        if (!source) return;
        if (source.datatype !== 'date' && source.datatype !== 'datetime') {
          issues.push({
            path: jsonPath([...path, 'field']),
            message: `aggregate_date needs a date or datetime column; ${spec.field} is ${source.datatype}`,
          });
          return;
        }
        const format = spec.format ?? '%Y-%m';
        const bad = unsupportedStrftimeDirective(format);
        if (bad)
          issues.push({
            path: jsonPath([...path, 'format']),
            message: `unsupported directive ${bad}; expected ${strftimeDirectives.join(' ')}`,
          });
        if (total)
          issues.push({
            path: jsonPath([...path, 'calculate_total']),
            message: 'an aggregate_date column has no total',
          });
        resolved.push({ type: 'aggregate_date', id, display, total: false, source, format });
        return;
      }
      case 'expanded': {
        const source = sourceColumn(spec.field, [...path, 'field']);
        if (!source) return;
        if (source.datatype === 'array') {
          issues.push({
            path: jsonPath([...path, 'field']),
            message: `expanded needs a scalar column; ${spec.field} is an array`,
          });
          return;
        }
        resolved.push({ type: 'expanded', id, display, total, source, maxExpansion: spec.max_expansion });
        return;
      }
      case 'integer_buckets': {
        const source = sourceColumn(spec.field, [...path, 'field']);
        if (!source || !needNumeric(source, 'integer_buckets')) return;
        if (total)
          issues.push({
            path: jsonPath([...path, 'calculate_total']),
            message: 'an integer_buckets column has no total',
          });
        const ranges = Object.entries(spec.ranges).map(([name, [low, high]]) => [name, low, high] as const);
        resolved.push({
          type: 'integer_buckets',
          id,
          display,
          total: false,
          source,
          ranges,
          else_: spec.else_ ?? null,
        });
        return;
      }
      case 'sum_when': {
        const whens = Array.isArray(spec.whens) ? spec.whens : Object.entries(spec.whens);
        const compiled: (readonly [SumWhenCondition, number])[] = [];
        whens.forEach(([condition, value], whenIndex) => {
          const parsed = parseSumWhenCondition(condition, columns);
          if (typeof parsed === 'string') {
            issues.push({
              path: jsonPath([...path, 'whens', Array.isArray(spec.whens) ? whenIndex : condition]),
              message: parsed,
            });
          } else compiled.push([parsed, value]);
        });
        resolved.push({ type: 'sum_when', id, display, total, whens: compiled, else_: spec.else_ });
        return;
      }
      case 'expression': {
        const expression = compileReportExpression(spec.expression, [...path, 'expression'], issues);
        resolved.push({ type: 'expression', id, display, total: false, expression });
        return;
      }
    }
  });

  const filters: ResolvedFilter[] = [];
  config.filters.forEach((spec, index) => {
    const filter = resolveFilter(spec, index, columns, issues);
    if (filter) filters.push(filter);
  });

  const byId = new Map(resolved.map((column) => [column.id, column]));
  // Aggregation columns are report column ids, or (like CommCare's ["doc_id"]) data source columns.
  const groupSources: DataSourceColumn[] = [];
  config.aggregation_columns.forEach((id, index) => {
    const column = byId.get(id);
    if (column) {
      if (column.type === 'field' && column.aggregation !== 'simple') {
        issues.push({
          path: jsonPath(['aggregation_columns', index]),
          message: `${id} aggregates (${column.aggregation}); an aggregation column must be a simple field, aggregate_date or integer_buckets column`,
        });
      } else if (
        column.type !== 'field' &&
        column.type !== 'aggregate_date' &&
        column.type !== 'integer_buckets'
      ) {
        issues.push({
          path: jsonPath(['aggregation_columns', index]),
          message: `cannot group by a ${column.type} column; expected a simple field, aggregate_date or integer_buckets column, or a data source column`,
        });
      }
      return;
    }
    // A report column that failed to resolve has its own issue already.
    if (config.columns.some((spec) => reportColumnId(spec) === id)) return;
    const source = columns.get(id);
    if (source) groupSources.push(source);
    else
      issues.push({
        path: jsonPath(['aggregation_columns', index]),
        message: `expected a report column id or a data source column, got ${JSON.stringify(id)}`,
      });
  });

  let viewSql = '';
  try {
    viewSql = `${quoteIdentifier(ucrSchema)}.${quoteIdentifier(ucrViewName(config.domain, config.config_id))}`;
  } catch (error) {
    issues.push({ path: '$.config_id', message: (error as Error).message });
  }
  if (issues.length > 0) throw new ReportConfigError(issues, reportId);

  const expansions: ExpansionQuery[] = resolved.flatMap((column) =>
    column.type === 'expanded'
      ? [
          {
            columnId: column.id,
            query: {
              text:
                `SELECT ${outputSql('d.raw', column.source.datatype)}::text AS v FROM ` +
                `(SELECT DISTINCT ${columnSql(column.source)} AS raw FROM ${viewSql} WHERE ${columnSql(column.source)} IS NOT NULL) AS d ` +
                'ORDER BY d.raw LIMIT $1::integer',
              values: [column.maxExpansion],
            },
          },
        ]
      : [],
  );

  return {
    domain: config.domain,
    tableId: config.config_id,
    title: config.title,
    viewSql,
    expansions,
    plan(request, expansionValues) {
      const lang = request.lang ?? 'en';
      const items: Item[] = [];
      const add = (sql: Item['sql'], grouped: boolean, numeric: boolean): string => {
        const alias = `c${items.length}`;
        items.push({ alias, sql, grouped, numeric });
        return alias;
      };
      // Aliases per report column id, in the order the columns need them.
      const aliasesOf = new Map<string, string[]>();
      const expandedValues = new Map<string, readonly string[]>();
      for (const column of resolved) {
        switch (column.type) {
          case 'field':
            aliasesOf.set(column.id, [
              add(
                () => aggregateSql(column.aggregation, column.source),
                column.aggregation === 'simple',
                numericAggregation(column),
              ),
            ]);
            break;
          case 'percent':
            aliasesOf.set(column.id, [
              add(
                () => aggregateSql(column.numerator.aggregation, column.numerator.source),
                column.numerator.aggregation === 'simple',
                true,
              ),
              add(
                () => aggregateSql(column.denominator.aggregation, column.denominator.source),
                column.denominator.aggregation === 'simple',
                true,
              ),
            ]);
            break;
          case 'aggregate_date': {
            const sql = columnSql(column.source);
            aliasesOf.set(column.id, [
              add(() => `EXTRACT(YEAR FROM ${sql})::integer`, true, true),
              add(() => `EXTRACT(MONTH FROM ${sql})::integer`, true, true),
            ]);
            break;
          }
          case 'expanded': {
            const values = expansionValues.get(column.id) ?? [];
            expandedValues.set(column.id, values);
            const sql = columnSql(column.source);
            const cast = comparisonCast(column.source);
            aliasesOf.set(
              column.id,
              values.map((value) =>
                add(
                  (params) => `SUM(CASE WHEN ${sql} = ${params.bind(value, cast)} THEN 1 ELSE 0 END)`,
                  false,
                  true,
                ),
              ),
            );
            break;
          }
          case 'integer_buckets': {
            const sql = columnSql(column.source);
            aliasesOf.set(column.id, [
              add(
                (params) =>
                  'CASE ' +
                  column.ranges
                    .map(
                      ([name, low, high]) =>
                        `WHEN ${sql} BETWEEN ${params.bind(low, 'numeric')} AND ${params.bind(high, 'numeric')} THEN ${params.bind(name, 'text')}`,
                    )
                    .join(' ') +
                  ` ELSE ${column.else_ === null ? 'NULL' : params.bind(column.else_, 'text')} END`,
                true,
                false,
              ),
            ]);
            break;
          }
          case 'sum_when':
            aliasesOf.set(column.id, [
              add(
                (params) =>
                  'SUM(CASE ' +
                  column.whens
                    .map(
                      ([condition, value]) =>
                        `WHEN ${condition(params)} THEN ${params.bind(value, 'numeric')}`,
                    )
                    .join(' ') +
                  ` ELSE ${params.bind(column.else_, 'numeric')} END)`,
                false,
                true,
              ),
            ]);
            break;
          case 'expression':
            aliasesOf.set(column.id, []);
            break;
        }
      }
      const groupAliases = groupSources.map((source) =>
        add(() => outputSql(columnSql(source), source.datatype), true, isNumeric(source)),
      );

      // Order: the sort expression (or the aggregation columns), then every grouped item.
      const order: string[] = [];
      const ordered = new Set<string>();
      const orderBy = (alias: string, direction: 'ASC' | 'DESC') => {
        if (!ordered.has(alias)) order.push(`${quoteIdentifier(alias)} ${direction}`);
        ordered.add(alias);
      };
      if (config.sort_expression.length > 0) {
        for (const sort of config.sort_expression)
          for (const alias of aliasesOf.get(sort.field) ?? []) orderBy(alias, sort.order);
      } else {
        let groupIndex = 0;
        for (const id of config.aggregation_columns) {
          const aliases = byId.has(id) ? (aliasesOf.get(id) ?? []) : [groupAliases[groupIndex++]!];
          for (const alias of aliases) orderBy(alias, 'ASC');
        }
      }
      for (const item of items) if (item.grouped) orderBy(item.alias, 'ASC');
      const distinctOn = config.distinct_on
        .flatMap((id) => aliasesOf.get(id) ?? [])
        .map((alias) => quoteIdentifier(alias));

      const core = (params: SqlParams): string => {
        const select = items
          .map((item) => `${item.sql(params)} AS ${quoteIdentifier(item.alias)}`)
          .join(', ');
        const conditions = filters
          .map((filter) => filter.condition(request.params, params))
          .filter((condition) => condition !== null);
        const groupBy = items.flatMap((item, index) => (item.grouped ? [String(index + 1)] : []));
        return (
          `SELECT ${distinctOn.length > 0 ? `DISTINCT ON (${distinctOn.join(', ')}) ` : ''}${select} FROM ${viewSql}` +
          (conditions.length > 0
            ? ` WHERE ${conditions.map((condition) => `(${condition})`).join(' AND ')}`
            : '') +
          (groupBy.length > 0 ? ` GROUP BY ${groupBy.join(', ')}` : '') +
          (order.length > 0 ? ` ORDER BY ${order.join(', ')}` : '')
        );
      };

      const dataParams = new SqlParams();
      const dataText = core(dataParams);
      const data: SqlQuery = {
        text: `${dataText} LIMIT ${dataParams.bind(request.limit, 'bigint')} OFFSET ${dataParams.bind(request.offset, 'bigint')}`,
        values: dataParams.values,
      };

      const totalled = resolved.filter((column) => column.total);
      const totalAliases = [...new Set(totalled.flatMap((column) => aliasesOf.get(column.id) ?? []))];
      const summaryParams = new SqlParams();
      const summaryInner = core(summaryParams);
      const summary: SqlQuery = {
        text:
          `SELECT COUNT(*) AS total_records${totalAliases.map((alias) => `, SUM(r.${quoteIdentifier(alias)}) AS ${quoteIdentifier(`t_${alias}`)}`).join('')} ` +
          `FROM (${summaryInner}) AS r`,
        values: summaryParams.values,
      };

      const outputColumns: ReportOutputColumn[] = resolved.flatMap((column): ReportOutputColumn[] => {
        const display = localize(column.display, lang) ?? column.id;
        if (column.type === 'expanded') {
          return (expandedValues.get(column.id) ?? []).map((value) => ({
            id: `${column.id}-${value}`,
            display: `${display}-${value}`,
            type: column.type,
          }));
        }
        return [{ id: column.id, display, type: column.type }];
      });

      return {
        data,
        summary,
        finish(rows, summaryRow) {
          const numericAlias = new Set(items.filter((item) => item.numeric).map((item) => item.alias));
          const value = (row: Readonly<Record<string, unknown>>, alias: string): unknown =>
            numericAlias.has(alias) ? toNumber(row[alias]) : (row[alias] ?? null);
          const datas = rows.map((row) => {
            // Values by report column id (and percent numerator/denominator ids), as expression
            // columns see them.
            const data: Record<string, unknown> = {};
            for (const column of resolved) {
              const aliases = aliasesOf.get(column.id) ?? [];
              switch (column.type) {
                case 'field':
                case 'integer_buckets':
                case 'sum_when':
                  data[column.id] = value(row, aliases[0]!);
                  break;
                case 'percent':
                  data[column.numerator.id] = value(row, aliases[0]!);
                  data[column.denominator.id] = value(row, aliases[1]!);
                  break;
                case 'aggregate_date': {
                  const year = value(row, aliases[0]!);
                  const month = value(row, aliases[1]!);
                  data[column.id] =
                    typeof year === 'number' && typeof month === 'number'
                      ? strftime({ year, month, day: 1 }, column.format)
                      : 'Unknown Date';
                  break;
                }
                case 'expanded':
                  (expandedValues.get(column.id) ?? []).forEach((expansion, index) => {
                    data[`${column.id}-${expansion}`] = value(row, aliases[index]!);
                  });
                  break;
                case 'expression':
                  data[column.id] = column.expression(data);
                  break;
              }
            }
            return data;
          });
          const pageTotals = new Map<string, number>();
          for (const column of resolved) {
            if (column.type === 'field' && column.percentOfTotal) {
              pageTotals.set(
                column.id,
                datas.reduce((sum, data) => sum + (Number(data[column.id]) || 0), 0),
              );
            }
          }
          const outputRows = datas.map((data) => {
            const out: Record<string, unknown> = {};
            for (const column of resolved) {
              if (column.type === 'percent') {
                out[column.id] = formatPercent(
                  data[column.numerator.id],
                  data[column.denominator.id],
                  column.format,
                );
              } else if (column.type === 'expanded') {
                for (const expansion of expandedValues.get(column.id) ?? [])
                  out[`${column.id}-${expansion}`] = data[`${column.id}-${expansion}`];
              } else if (column.type === 'field') {
                let cell = data[column.id];
                if (column.percentOfTotal) {
                  const total = pageTotals.get(column.id) ?? 0;
                  cell = total === 0 ? cell : `${Math.round((Number(cell) / total) * 100)}%`;
                }
                out[column.id] = column.transform ? column.transform(cell, lang) : cell;
              } else out[column.id] = data[column.id];
            }
            return out;
          });

          let totalRow: unknown[] | null = null;
          if (totalled.length > 0) {
            const total = (alias: string) => toNumber(summaryRow[`t_${alias}`]);
            totalRow = resolved.flatMap((column): unknown[] => {
              const aliases = aliasesOf.get(column.id) ?? [];
              if (column.type === 'expanded')
                return aliases.map((alias) => (column.total ? total(alias) : null));
              if (!column.total) return [null];
              if (column.type === 'percent')
                return [formatPercent(total(aliases[0]!), total(aliases[1]!), column.format)];
              return [total(aliases[0]!)];
            });
            if (totalRow[0] === null) totalRow[0] = 'Total';
          }
          return {
            columns: outputColumns,
            rows: outputRows,
            total_row: totalRow,
            total_records: Number(toNumber(summaryRow.total_records) ?? 0),
          };
        },
      };
    },
  };
}
