/**
 * The SELECT items of one report request: synthetic aliases (`c0`, `c1`…) so report column ids
 * never reach SQL, whether each is grouped by, and which report column ids they answer for.
 */
import {
  columnSql,
  comparisonCast,
  isNumeric,
  outputSql,
  type DataSourceColumn,
} from './data-source-column.js';
import { numericAggregation, type Aggregation, type ResolvedColumn } from './report-columns.js';
import type { SqlParams } from './sql-params.js';

/** A select item: its SQL (built per query), whether it is grouped by, and how to read its value. */
export interface Item {
  readonly alias: string;
  readonly sql: (params: SqlParams) => string;
  readonly grouped: boolean;
  readonly numeric: boolean;
}

export interface Items {
  readonly items: readonly Item[];
  /** Aliases per report column id, in the order the column needs them. */
  readonly aliasesOf: ReadonlyMap<string, readonly string[]>;
  /** Aliases of the aggregation columns that are data source columns, in order. */
  readonly groupAliases: readonly string[];
}

export function aggregateSql(aggregation: Aggregation, source: DataSourceColumn): string {
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
    case 'month':
      return `EXTRACT(MONTH FROM ${sql})::integer`;
    case 'year':
      return `EXTRACT(YEAR FROM ${sql})::integer`;
  }
}

const groupedAggregation = (aggregation: Aggregation) =>
  aggregation === 'simple' || aggregation === 'month' || aggregation === 'year';

function bucketsSql(column: Extract<ResolvedColumn, { type: 'integer_buckets' }>, params: SqlParams): string {
  const sql = columnSql(column.source);
  const whens = column.ranges.map(
    ([name, low, high]) =>
      `WHEN ${sql} BETWEEN ${params.bind(low, 'numeric')} AND ${params.bind(high, 'numeric')} THEN ${params.bind(name, 'text')}`,
  );
  return `CASE ${whens.join(' ')} ELSE ${column.else_ === null ? 'NULL' : params.bind(column.else_, 'text')} END`;
}

function sumWhenSql(column: Extract<ResolvedColumn, { type: 'sum_when' }>, params: SqlParams): string {
  const whens = column.whens.map(
    ([condition, value]) => `WHEN ${condition(params)} THEN ${params.bind(value, 'numeric')}`,
  );
  return `SUM(CASE ${whens.join(' ')} ELSE ${params.bind(column.else_, 'numeric')} END)`;
}

/** The items of every column, then of the data source columns grouped by. */
export function selectItems(
  resolved: readonly ResolvedColumn[],
  groupSources: readonly DataSourceColumn[],
  expandedValues: ReadonlyMap<string, readonly string[]>,
): Items {
  const items: Item[] = [];
  const add = (sql: Item['sql'], grouped: boolean, numeric: boolean): string => {
    const alias = `c${items.length}`;
    items.push({ alias, sql, grouped, numeric });
    return alias;
  };
  const aliasesOf = new Map<string, string[]>();
  for (const column of resolved) {
    switch (column.type) {
      case 'field':
        aliasesOf.set(column.id, [
          add(
            () => aggregateSql(column.aggregation, column.source),
            groupedAggregation(column.aggregation),
            numericAggregation(column),
          ),
        ]);
        break;
      case 'percent':
        aliasesOf.set(
          column.id,
          [column.numerator, column.denominator].map((part) =>
            add(
              () => aggregateSql(part.aggregation, part.source),
              groupedAggregation(part.aggregation),
              true,
            ),
          ),
        );
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
        const sql = columnSql(column.source);
        const cast = comparisonCast(column.source);
        aliasesOf.set(
          column.id,
          (expandedValues.get(column.id) ?? []).map((value) =>
            add(
              (params) => `SUM(CASE WHEN ${sql} = ${params.bind(value, cast)} THEN 1 ELSE 0 END)`,
              false,
              true,
            ),
          ),
        );
        break;
      }
      case 'integer_buckets':
        aliasesOf.set(column.id, [add((params) => bucketsSql(column, params), true, false)]);
        break;
      case 'sum_when':
        aliasesOf.set(column.id, [add((params) => sumWhenSql(column, params), false, true)]);
        break;
      case 'location':
        aliasesOf.set(column.id, [
          add(() => outputSql(columnSql(column.source), column.source.datatype), true, false),
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
  return { items, aliasesOf, groupAliases };
}
