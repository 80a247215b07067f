/**
 * The view lifecycle's storage adapter for UCR: a physical table per definition (with its version
 * table) in `tributary_ucr`, and the view `tributary_ucr."<domain>_<table_id>"` readers query,
 * replaced in the catalog's transaction at a swap. Locks follow the order writers and readers
 * take them: the view first, then each table's version table and table, older tables first.
 */
import {
  ucrPhysicalTableName,
  ucrQualified,
  ucrSchema,
  ucrVersionsSchema,
  truncateIdentifier,
} from '../../commcare/ucr/ucr-table-names.js';
import type { CatalogTx, InPlaceMigration, ViewStorage } from '../views/view-storage.js';
import { ucrDropTableDdl, ucrInPlaceMigration, ucrRenameTableDdl, ucrTableDdl } from './ucr-table-ddl.js';
import { onlyAddsColumnsOrIndexes, type UcrViewDefinition } from './ucr-view-definition.js';

export class UcrTableStorage implements ViewStorage<UcrViewDefinition> {
  physicalName(definition: UcrViewDefinition, twin?: string): string {
    const { domain, tableId, definitionHash } = definition.dataSource;
    const own = ucrPhysicalTableName(domain, tableId, definitionHash);
    return twin === undefined ? own : truncateIdentifier(`${own}_${twin}`);
  }

  async createPhysical(tx: CatalogTx, physical: string, definition: UcrViewDefinition): Promise<void> {
    for (const statement of ucrTableDdl(physical, definition.dataSource)) await tx.none(statement);
  }

  async swapReaders(tx: CatalogTx, view: string, physical: string): Promise<void> {
    await tx.none(`DROP VIEW IF EXISTS ${ucrQualified(view)}`);
    await tx.none(`CREATE VIEW ${ucrQualified(view)} AS SELECT * FROM ${ucrQualified(physical)}`);
  }

  async dropPhysical(tx: CatalogTx, physical: string): Promise<void> {
    // CASCADE drops the view only when it still points here (the data source was retired).
    await tx.none(`DROP TABLE IF EXISTS ${ucrQualified(physical)} CASCADE`);
    for (const statement of ucrDropTableDdl(physical)) await tx.none(statement);
  }

  async existing(q: CatalogTx, physicals: readonly string[]): Promise<Set<string>> {
    if (!physicals.length) return new Set();
    const rows = await q.any<{ name: string }>(
      `SELECT name FROM unnest($1::text[]) AS name
       WHERE to_regclass(format('%I.%I', $2::text, name)) IS NOT NULL
         AND to_regclass(format('%I.%I', $3::text, name)) IS NOT NULL`,
      [physicals, ucrSchema, ucrVersionsSchema],
    );
    return new Set(rows.map((r) => r.name));
  }

  async lock(tx: CatalogTx, view: string, physicals: readonly string[]): Promise<void> {
    await lockView(tx, view);
    if (physicals.length) await lockTables(tx, physicals);
  }

  async count(tx: CatalogTx, physical: string): Promise<number> {
    const { count } = await tx.one<{ count: bigint }>(
      `SELECT count(*)::bigint AS count FROM ${ucrQualified(physical)}`,
    );
    return Number(count);
  }

  async rename(tx: CatalogTx, from: string, to: string, definition: UcrViewDefinition): Promise<void> {
    await lockTables(tx, [from]);
    for (const statement of ucrRenameTableDdl(from, to, definition.dataSource)) await tx.none(statement);
  }

  migrateInPlace(
    live: { physical: string; definition: UcrViewDefinition },
    next: UcrViewDefinition,
  ): InPlaceMigration | undefined {
    if (!onlyAddsColumnsOrIndexes(live.definition.source, next.source)) return undefined;
    const statements = ucrInPlaceMigration(live.physical, live.definition.dataSource, next.dataSource);
    if (!statements) return undefined;
    return async (tx, physical) => {
      for (const statement of statements) await tx.none(statement);
      for (const statement of ucrRenameTableDdl(live.physical, physical, next.dataSource))
        await tx.none(statement);
      // A view's `*` was expanded when it was made: make it again to show the new columns.
      await tx.none(
        `CREATE OR REPLACE VIEW ${ucrQualified(next.view)} AS SELECT * FROM ${ucrQualified(physical)}`,
      );
    };
  }
}

/**
 * Takes the view's lock before any table's: readers lock the view, then the table under it, so a
 * swap that locked a table first could deadlock with them.
 */
async function lockView(tx: CatalogTx, view: string): Promise<void> {
  const found = await tx.one<{ v: string | null }>('SELECT to_regclass($1)::text AS v', [ucrQualified(view)]);
  if (found.v) await tx.none(`LOCK TABLE ${ucrQualified(view)} IN ACCESS EXCLUSIVE MODE`);
}

/**
 * Locks tables for a schema change in the order writers take them (each table's version table,
 * then the table; older tables first), so a writer and the change wait instead of deadlocking.
 */
async function lockTables(tx: CatalogTx, tables: readonly string[]): Promise<void> {
  const names = tables.flatMap((table) => [ucrQualified(table, ucrVersionsSchema), ucrQualified(table)]);
  await tx.none(`LOCK TABLE ${names.join(', ')} IN ACCESS EXCLUSIVE MODE`);
}
