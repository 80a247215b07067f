/**
 * The catalog of UCR tables, `tributary_ucr.data_sources`: one row per physical table with its data
 * source, definition hash, state (building → live → retired), the configuration it was built from,
 * when it was built, swapped in and retired, its row count and its last error. Configurations that
 * could not be used are listed in `tributary_ucr.config_errors`. `tributary status` reads both.
 */
import { quoteIdentifier, ucrQualified, ucrSchema } from '../../commcare/ucr/ucr-table-names.js';
import { createConcurrently } from '../postgres/create-concurrently.js';

export const ucrCatalogTable = ucrQualified('data_sources');
export const ucrProblemsTable = ucrQualified('config_errors');

export type UcrTableState = 'building' | 'live' | 'retired';

/** One row of the catalog as read back. */
export interface UcrCatalogRow {
  physical_table: string;
  /** The pipeline whose ucr-postgres sink keeps the table (its workers share it). */
  owner: string | null;
  domain: string;
  table_id: string;
  view_name: string;
  definition_hash: string;
  state: UcrTableState;
  origin: string | null;
  source: unknown;
  created_at: Date;
  built_at: Date | null;
  swapped_at: Date | null;
  retired_at: Date | null;
  drop_after: Date | null;
  rows: bigint | null;
  errors: string | null;
}

/** Anything that runs statements: a pg-promise database, task or transaction. */
export interface UcrQueryable {
  none(query: string, values?: unknown): Promise<null>;
  any<T = unknown>(query: string, values?: unknown): Promise<T[]>;
}

const ddl = [
  `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(ucrSchema)}`,
  `CREATE TABLE IF NOT EXISTS ${ucrCatalogTable} (
    physical_table text PRIMARY KEY,
    domain text NOT NULL,
    table_id text NOT NULL,
    view_name text NOT NULL,
    definition_hash text NOT NULL,
    state text NOT NULL CHECK (state IN ('building', 'live', 'retired')),
    origin text,
    source jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    built_at timestamptz,
    swapped_at timestamptz,
    retired_at timestamptz,
    drop_after timestamptz,
    rows bigint,
    errors text,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  // At most one live and one building table per data source; one view name per data source.
  `ALTER TABLE ${ucrCatalogTable} ADD COLUMN IF NOT EXISTS owner text`,
  `CREATE UNIQUE INDEX IF NOT EXISTS data_sources_one_live ON ${ucrCatalogTable} (view_name) WHERE state = 'live'`,
  `CREATE UNIQUE INDEX IF NOT EXISTS data_sources_one_building ON ${ucrCatalogTable} (view_name) WHERE state = 'building'`,
  `CREATE TABLE IF NOT EXISTS ${ucrProblemsTable} (
    owner text NOT NULL,
    origin text NOT NULL,
    domain text,
    table_id text,
    error text NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, origin)
  )`,
];

/** Creates the catalog when missing; safe from several processes at once. */
export async function ensureUcrCatalog(db: UcrQueryable): Promise<void> {
  await createConcurrently(db, ddl);
}

/** Catalog rows of one pipeline that are building or live, oldest first. */
export function activeCatalogRows(db: UcrQueryable, owner: string): Promise<UcrCatalogRow[]> {
  return db.any<UcrCatalogRow>(
    `SELECT * FROM ${ucrCatalogTable} WHERE state IN ('building', 'live') AND owner = $1 ORDER BY created_at`,
    [owner],
  );
}
