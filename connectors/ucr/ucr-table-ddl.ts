/**
 * The DDL of a UCR table from its compiled data source: column types of the reference's §8,
 * NOT NULL, the primary key, single-column (`create_index`, `inserted_at`) and multi-column
 * (`sql_column_indexes`) indexes, plus the table's version table (the last applied document
 * version per doc_id, rows or not). Every name is quoted; nothing from a configuration reaches SQL
 * unquoted.
 */
import type { CompiledDataSource, UcrColumn, UcrDatatype } from '../../commcare/ucr/contract.js';
import {
  quoteIdentifier,
  truncateIdentifier,
  ucrQualified,
  ucrSchema,
  ucrVersionsSchema,
} from '../../commcare/ucr/ucr-table-names.js';

/** The table shape the DDL needs: what a `CompiledDataSource` says about columns and keys. */
export type UcrTableShape = Pick<CompiledDataSource, 'columns' | 'primaryKey' | 'indexes'>;

const sqlTypes: Record<UcrDatatype, string> = {
  string: 'text',
  integer: 'integer',
  small_integer: 'smallint',
  decimal: 'numeric(64,16)',
  date: 'date',
  datetime: 'timestamp without time zone',
  boolean: 'boolean',
  array: 'text[]',
};

/** The PostgreSQL type of a UCR datatype. */
export function ucrColumnType(datatype: UcrDatatype): string {
  const type = sqlTypes[datatype];
  if (!type) throw new Error(`unknown UCR datatype ${JSON.stringify(datatype)}`);
  return type;
}

/** A column definition: quoted name, type, NOT NULL when the column is not nullable or in the key. */
export function ucrColumnDefinition(column: UcrColumn, primaryKey: readonly string[]): string {
  const notNull = !column.nullable || primaryKey.includes(column.id);
  return `${quoteIdentifier(column.id)} ${ucrColumnType(column.datatype)}${notNull ? ' NOT NULL' : ''}`;
}

/** The primary key columns: the compiled key, else doc_id. */
export function ucrPrimaryKey(shape: UcrTableShape): readonly string[] {
  return shape.primaryKey.length ? shape.primaryKey : ['doc_id'];
}

/** Every index the table carries, by its deterministic name: the columns it covers. */
export function ucrIndexes(table: string, shape: UcrTableShape): Map<string, readonly string[]> {
  const known = new Set(shape.columns.map((c) => c.id));
  const indexes = new Map<string, readonly string[]>();
  const add = (columns: readonly string[]) => {
    // An index naming an unknown column is skipped (the reference's §2 says the same of CommCare).
    if (!columns.length || columns.some((c) => !known.has(c))) return;
    indexes.set(truncateIdentifier(`${table}_ix_${columns.join('_')}`), columns);
  };
  for (const column of shape.columns) if (column.createIndex) add([column.id]);
  add(['inserted_at']);
  // Rows are replaced per document: a key that does not start with doc_id needs its own index.
  if (ucrPrimaryKey(shape)[0] !== 'doc_id') add(['doc_id']);
  for (const columns of shape.indexes) add(columns);
  return indexes;
}

/** CREATE INDEX for one index of a table. */
export function ucrIndexStatement(table: string, index: string, columns: readonly string[]): string {
  return `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(index)} ON ${ucrQualified(table)} (${columns
    .map(quoteIdentifier)
    .join(', ')})`;
}

/**
 * The statements that create physical table `table` (unquoted name inside `tributary_ucr`) and
 * its version table, in order; each is safe to run again.
 */
export function ucrTableDdl(table: string, shape: UcrTableShape): string[] {
  const primaryKey = ucrPrimaryKey(shape);
  const ids = new Set(shape.columns.map((c) => c.id));
  for (const column of ['doc_id', 'inserted_at', ...primaryKey]) {
    if (!ids.has(column)) throw new Error(`the data source has no column ${JSON.stringify(column)}`);
  }
  const columns = shape.columns.map((c) => ucrColumnDefinition(c, primaryKey));
  const statements = [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(ucrSchema)}`,
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(ucrVersionsSchema)}`,
    `CREATE TABLE IF NOT EXISTS ${ucrQualified(table)} (${columns.join(', ')}, CONSTRAINT ${quoteIdentifier(
      ucrPrimaryKeyName(table),
    )} PRIMARY KEY (${primaryKey.map(quoteIdentifier).join(', ')}))`,
    ...[...ucrIndexes(table, shape)].map(([index, cols]) => ucrIndexStatement(table, index, cols)),
    `CREATE TABLE IF NOT EXISTS ${ucrQualified(table, ucrVersionsSchema)} (doc_id text, version bigint NOT NULL, CONSTRAINT ${quoteIdentifier(
      ucrPrimaryKeyName(table),
    )} PRIMARY KEY (doc_id))`,
  ];
  return statements;
}

/** The name of a table's primary key constraint (and of its version table's). */
export function ucrPrimaryKeyName(table: string): string {
  return truncateIdentifier(`${table}_pkey`);
}

/**
 * Renames physical table `from` (with its indexes, key and version table) to `to`, e.g. when an
 * in-place migration gives it a new definition hash or a rebuilt twin takes the canonical name.
 */
export function ucrRenameTableDdl(from: string, to: string, shape: UcrTableShape): string[] {
  if (from === to) return [];
  const statements = [
    `ALTER TABLE ${ucrQualified(from)} RENAME TO ${quoteIdentifier(to)}`,
    `ALTER TABLE ${ucrQualified(from, ucrVersionsSchema)} RENAME TO ${quoteIdentifier(to)}`,
    `ALTER INDEX IF EXISTS ${ucrQualified(ucrPrimaryKeyName(from))} RENAME TO ${quoteIdentifier(ucrPrimaryKeyName(to))}`,
    `ALTER INDEX IF EXISTS ${ucrQualified(ucrPrimaryKeyName(from), ucrVersionsSchema)} RENAME TO ${quoteIdentifier(
      ucrPrimaryKeyName(to),
    )}`,
  ];
  const newNames = [...ucrIndexes(to, shape).keys()];
  [...ucrIndexes(from, shape).keys()].forEach((index, i) =>
    statements.push(
      `ALTER INDEX IF EXISTS ${ucrQualified(index)} RENAME TO ${quoteIdentifier(newNames[i]!)}`,
    ),
  );
  return statements;
}

/** Drops a physical table and its version table. */
export function ucrDropTableDdl(table: string): string[] {
  return [
    `DROP TABLE IF EXISTS ${ucrQualified(table)}`,
    `DROP TABLE IF EXISTS ${ucrQualified(table, ucrVersionsSchema)}`,
  ];
}

/**
 * The statements that turn table `table`, built for `from`, into one for `to` without a rebuild,
 * or undefined when that is not possible: only new nullable non-key columns and index changes
 * qualify (the reference's §10). Row contents are the caller's business.
 */
export function ucrInPlaceMigration(
  table: string,
  from: UcrTableShape,
  to: UcrTableShape,
): string[] | undefined {
  const fromKey = ucrPrimaryKey(from);
  const toKey = ucrPrimaryKey(to);
  if (fromKey.join('\0') !== toKey.join('\0')) return undefined;
  const before = new Map(from.columns.map((c) => [c.id, c]));
  const after = new Set(to.columns.map((c) => c.id));
  for (const column of from.columns) if (!after.has(column.id)) return undefined;
  const statements: string[] = [];
  for (const column of to.columns) {
    const old = before.get(column.id);
    if (old) {
      if (old.datatype !== column.datatype || old.nullable !== column.nullable) return undefined;
      continue;
    }
    if (!column.nullable || toKey.includes(column.id)) return undefined;
    statements.push(
      `ALTER TABLE ${ucrQualified(table)} ADD COLUMN IF NOT EXISTS ${ucrColumnDefinition(column, toKey)}`,
    );
  }
  const oldIndexes = ucrIndexes(table, from);
  const newIndexes = ucrIndexes(table, to);
  for (const [index] of oldIndexes) {
    if (!newIndexes.has(index))
      statements.push(`DROP INDEX IF EXISTS ${quoteIdentifier(ucrSchema)}.${quoteIdentifier(index)}`);
  }
  for (const [index, columns] of newIndexes) {
    if (!oldIndexes.has(index)) statements.push(ucrIndexStatement(table, index, columns));
  }
  return statements;
}
