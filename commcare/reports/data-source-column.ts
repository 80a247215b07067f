/** What a report needs to know of a data source column, and how each type reads and compares in SQL. */
import type { UcrDatatype } from '../ucr/contract.js';
import { quoteIdentifier } from '../sql/quote-identifier.js';
import type { SqlCast } from './sql-params.js';

/** One column of the data source view: its id and the datatype its SQL type stands for. */
export interface DataSourceColumn {
  readonly id: string;
  readonly datatype: UcrDatatype;
}

const numeric = new Set<UcrDatatype>(['integer', 'small_integer', 'decimal', 'boolean']);

/** Integers, decimals and 0/1 booleans: what sum, avg, numeric filters and buckets accept. */
export function isNumeric(column: DataSourceColumn): boolean {
  return numeric.has(column.datatype);
}

/** The column as a SQL value expression (boolean columns count as 0/1, as boolean indicators do). */
export function columnSql(column: DataSourceColumn): string {
  const quoted = quoteIdentifier(column.id);
  return column.datatype === 'boolean' ? `(${quoted})::integer` : quoted;
}

/** The cast a bound value compared with this column gets. */
export function comparisonCast(column: DataSourceColumn): SqlCast {
  switch (column.datatype) {
    case 'integer':
    case 'small_integer':
    case 'decimal':
    case 'boolean':
      return 'numeric';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamp';
    case 'string':
    case 'array':
      return 'text';
  }
}

/**
 * A SQL expression giving this value as the report returns it: dates as `YYYY-MM-DD`, datetimes as
 * `YYYY-MM-DDTHH:MM:SS.ffffff` (independent of the server's DateStyle), everything else unchanged.
 */
export function outputSql(sql: string, datatype: UcrDatatype): string {
  if (datatype === 'date') return `to_char(${sql}, 'YYYY-MM-DD')`;
  if (datatype === 'datetime') return `to_char(${sql}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
  return sql;
}
