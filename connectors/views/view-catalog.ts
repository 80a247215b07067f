/**
 * The catalog of a family of views in PostgreSQL: one row per physical target with its view, owner
 * pipeline, definition hash, state (building → live → retired), the definition it was built from,
 * build progress, when it was built, swapped in and retired, its size and its last error; and a
 * table of the configurations that could not be used. Every worker of a pipeline reads its live
 * and building targets from here; advisory locks keyed by view and by target serialise changes.
 */
import { qualifiedName, quoteIdentifier } from '../../commcare/sql/quote-identifier.js';
import { createConcurrently } from '../postgres/create-concurrently.js';
import type { CatalogTx } from './view-storage.js';

export type ViewState = 'building' | 'live' | 'retired';

export interface BuildProgress {
  documents: number;
  /** The builder's last committed position (where a later attempt resumes). */
  position: string;
}

/** One row as read back; label columns (UCR's domain and table_id) are in `labels`. */
export interface ViewCatalogRow {
  physical: string;
  owner: string | null;
  view: string;
  definitionHash: string;
  state: ViewState;
  origin: string | null;
  source: unknown;
  labels: Record<string, string | null>;
  createdAt: Date;
  builtAt: Date | null;
  swappedAt: Date | null;
  retiredAt: Date | null;
  dropAfter: Date | null;
  rows: bigint | null;
  errors: string | null;
  progress: BuildProgress | null;
}

/** A configuration that could not be used. */
export interface ViewProblemRow {
  owner: string;
  origin: string;
  labels: Record<string, string | null>;
  error: string;
  seenAt: Date;
}

export interface ViewCatalogOptions {
  schema: string;
  /** The catalog table, e.g. `data_sources`. */
  table: string;
  /** The table of unusable configurations, e.g. `config_errors`. */
  problemsTable: string;
  /** Text columns naming what a view is made from (UCR: domain, table_id). */
  labels: readonly string[];
  /** Prefix of the advisory lock keys, e.g. `tributary_ucr`. */
  lockPrefix: string;
}

interface RawRow {
  physical_table: string;
  owner: string | null;
  view_name: string;
  definition_hash: string;
  state: ViewState;
  origin: string | null;
  source: unknown;
  created_at: Date;
  built_at: Date | null;
  swapped_at: Date | null;
  retired_at: Date | null;
  drop_after: Date | null;
  rows: bigint | null;
  errors: string | null;
  progress: BuildProgress | null;
  [label: string]: unknown;
}

export class ViewCatalog {
  readonly table: string;
  readonly problemsTable: string;
  private readonly labelColumns: string[];

  constructor(readonly options: ViewCatalogOptions) {
    this.table = qualifiedName(options.schema, options.table);
    this.problemsTable = qualifiedName(options.schema, options.problemsTable);
    this.labelColumns = options.labels.map(quoteIdentifier);
  }

  /** Creates the catalog when missing; safe from several processes at once. */
  async ensure(db: CatalogTx): Promise<void> {
    const labels = this.labelColumns.map((column) => `${column} text,`).join(' ');
    await createConcurrently(db, [
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(this.options.schema)}`,
      `CREATE TABLE IF NOT EXISTS ${this.table} (
        physical_table text PRIMARY KEY, ${labels}
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
      `ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS owner text`,
      `ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS progress jsonb`,
      // At most one live and one building target per view.
      `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdentifier(`${this.options.table}_one_live`)} ON ${this.table} (view_name) WHERE state = 'live'`,
      `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdentifier(`${this.options.table}_one_building`)} ON ${this.table} (view_name) WHERE state = 'building'`,
      `CREATE TABLE IF NOT EXISTS ${this.problemsTable} (
        owner text NOT NULL,
        origin text NOT NULL, ${labels}
        error text NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner, origin)
      )`,
    ]);
  }

  /** Serialises every change of one view's targets (reconcile, swap, retire, drop) until `tx` ends. */
  async lockView(tx: CatalogTx, view: string): Promise<void> {
    await tx.any('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.options.lockPrefix}:${view}`]);
  }

  /** The build lock of one target, held by a session (a connection) for as long as the build runs. */
  async tryBuildLock(session: CatalogTx, physical: string): Promise<boolean> {
    const { locked } = await session.one<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
      [this.buildLockKey(physical)],
    );
    return locked;
  }

  async releaseBuildLock(session: CatalogTx, physical: string): Promise<void> {
    await session.one('SELECT pg_advisory_unlock(hashtext($1))', [this.buildLockKey(physical)]);
  }

  private buildLockKey(physical: string): string {
    return `${this.options.lockPrefix}_build:${physical}`;
  }

  private toRow(raw: RawRow): ViewCatalogRow {
    return {
      physical: raw.physical_table,
      owner: raw.owner,
      view: raw.view_name,
      definitionHash: raw.definition_hash,
      state: raw.state,
      origin: raw.origin,
      source: raw.source,
      labels: Object.fromEntries(
        this.options.labels.map((label) => [label, (raw[label] as string | null | undefined) ?? null]),
      ),
      createdAt: raw.created_at,
      builtAt: raw.built_at,
      swappedAt: raw.swapped_at,
      retiredAt: raw.retired_at,
      dropAfter: raw.drop_after,
      rows: raw.rows,
      errors: raw.errors,
      progress: raw.progress,
    };
  }

  private async select(q: CatalogTx, where: string, values: unknown[]): Promise<ViewCatalogRow[]> {
    const rows = await q.any<RawRow>(
      `SELECT * FROM ${this.table} WHERE ${where} ORDER BY created_at`,
      values,
    );
    return rows.map((raw) => this.toRow(raw));
  }

  /** Building and live targets of one pipeline, oldest first. */
  active(q: CatalogTx, owner: string): Promise<ViewCatalogRow[]> {
    return this.select(q, `state IN ('building', 'live') AND owner = $1`, [owner]);
  }

  /** Building and live targets of a view (of any owner, or of `owner`). */
  ofView(q: CatalogTx, view: string, owner?: string): Promise<ViewCatalogRow[]> {
    return owner === undefined
      ? this.select(q, `view_name = $1 AND state IN ('building', 'live')`, [view])
      : this.select(q, `view_name = $1 AND owner = $2 AND state IN ('building', 'live')`, [view, owner]);
  }

  /** Building and live targets an origin configured. */
  ofOrigin(q: CatalogTx, owner: string, origin: string): Promise<ViewCatalogRow[]> {
    return this.select(q, `origin = $1 AND owner = $2 AND state IN ('building', 'live')`, [origin, owner]);
  }

  /** Every row of the catalog (of one pipeline, when given), for status. */
  all(q: CatalogTx, owner?: string): Promise<ViewCatalogRow[]> {
    return owner === undefined ? this.select(q, 'true', []) : this.select(q, 'owner = $1', [owner]);
  }

  /** Retired targets of a pipeline whose grace period is over. */
  dueForDrop(q: CatalogTx, owner: string): Promise<ViewCatalogRow[]> {
    return this.select(
      q,
      `state = 'retired' AND owner = $1 AND (drop_after IS NULL OR drop_after <= now())`,
      [owner],
    );
  }

  /** Rows that hold this physical name, whatever their state. */
  named(q: CatalogTx, physical: string): Promise<ViewCatalogRow[]> {
    return this.select(q, 'physical_table = $1', [physical]);
  }

  async isInState(q: CatalogTx, physical: string, state: ViewState): Promise<boolean> {
    const found = await q.oneOrNone(`SELECT 1 FROM ${this.table} WHERE physical_table = $1 AND state = $2`, [
      physical,
      state,
    ]);
    return found !== null;
  }

  async insertBuilding(
    tx: CatalogTx,
    row: {
      physical: string;
      owner: string;
      view: string;
      hash: string;
      origin: string | null;
      source: unknown;
      labels: Readonly<Record<string, string>>;
    },
  ): Promise<void> {
    const labels = this.options.labels;
    const values = [row.physical, row.owner, row.view, row.hash, row.origin, JSON.stringify(row.source)];
    await tx.none(
      `INSERT INTO ${this.table} (physical_table, owner, view_name, definition_hash, state, origin, source${labels
        .map((_, i) => `, ${this.labelColumns[i]}`)
        .join('')})
       VALUES ($1, $2, $3, $4, 'building', $5, $6${labels.map((_, i) => `, $${i + 7}`).join('')})`,
      [...values, ...labels.map((label) => row.labels[label] ?? null)],
    );
  }

  async retire(tx: CatalogTx, physical: string, graceMs: number, error?: string): Promise<void> {
    await tx.none(
      `UPDATE ${this.table} SET state = 'retired', retired_at = now(), updated_at = now(),
       drop_after = now() + make_interval(secs => $2::double precision / 1000)${error === undefined ? '' : ', errors = $3'}
       WHERE physical_table = $1`,
      error === undefined ? [physical, graceMs] : [physical, graceMs, error],
    );
  }

  async markLive(tx: CatalogTx, physical: string, rows: number): Promise<void> {
    await tx.none(
      `UPDATE ${this.table} SET state = 'live', built_at = now(), swapped_at = now(), rows = $2, errors = NULL,
       progress = NULL, updated_at = now() WHERE physical_table = $1`,
      [physical, rows],
    );
  }

  async rename(tx: CatalogTx, from: string, to: string): Promise<void> {
    await tx.none(`UPDATE ${this.table} SET physical_table = $2 WHERE physical_table = $1`, [from, to]);
  }

  /** A live target keeps its data with a new origin and definition (and name, after an in-place migration). */
  async redefine(
    tx: CatalogTx,
    physical: string,
    next: { physical: string; hash: string; origin: string; source: unknown },
  ): Promise<void> {
    await tx.none(
      `UPDATE ${this.table} SET physical_table = $2, definition_hash = $3, origin = $4, source = $5, updated_at = now()
       WHERE physical_table = $1`,
      [physical, next.physical, next.hash, next.origin, JSON.stringify(next.source)],
    );
  }

  async remove(tx: CatalogTx, physical: string): Promise<void> {
    await tx.none(`DELETE FROM ${this.table} WHERE physical_table = $1`, [physical]);
  }

  async setProgress(q: CatalogTx, physical: string, progress: BuildProgress): Promise<void> {
    await q.none(`UPDATE ${this.table} SET progress = $2, updated_at = now() WHERE physical_table = $1`, [
      physical,
      JSON.stringify(progress),
    ]);
  }

  async setError(q: CatalogTx, physical: string, error: string): Promise<void> {
    await q.none(`UPDATE ${this.table} SET errors = $2, updated_at = now() WHERE physical_table = $1`, [
      physical,
      error,
    ]);
  }

  async recordProblem(
    q: CatalogTx,
    problem: {
      owner: string;
      origin: string;
      labels: Readonly<Record<string, string | null>>;
      error: string;
    },
  ): Promise<void> {
    const labels = this.options.labels;
    const columns = this.labelColumns.map((column) => `, ${column}`).join('');
    const params = labels.map((_, i) => `, $${i + 4}`).join('');
    const updates = this.labelColumns.map((column) => `, ${column} = excluded.${column}`).join('');
    await q.none(
      `INSERT INTO ${this.problemsTable} (owner, origin, error${columns}) VALUES ($1, $2, $3${params})
       ON CONFLICT (owner, origin) DO UPDATE SET error = excluded.error, seen_at = now()${updates}`,
      [problem.owner, problem.origin, problem.error, ...labels.map((label) => problem.labels[label] ?? null)],
    );
  }

  async clearProblem(q: CatalogTx, owner: string, origin: string): Promise<void> {
    await q.none(`DELETE FROM ${this.problemsTable} WHERE owner = $1 AND origin = $2`, [owner, origin]);
  }

  async problems(q: CatalogTx, owner?: string): Promise<ViewProblemRow[]> {
    const rows = await q.any<Record<string, unknown>>(
      `SELECT * FROM ${this.problemsTable}${owner === undefined ? '' : ' WHERE owner = $1'} ORDER BY owner, origin`,
      owner === undefined ? [] : [owner],
    );
    return rows.map((raw) => ({
      owner: raw.owner as string,
      origin: raw.origin as string,
      labels: Object.fromEntries(
        this.options.labels.map((label) => [label, (raw[label] as string | null | undefined) ?? null]),
      ),
      error: raw.error as string,
      seenAt: raw.seen_at as Date,
    }));
  }

  /** Whether the catalog and its problems table exist yet (status before any pipeline ran). */
  async exists(q: CatalogTx): Promise<{ catalog: boolean; problems: boolean }> {
    const found = await q.one<{ catalog: string | null; problems: string | null }>(
      'SELECT to_regclass($1)::text AS catalog, to_regclass($2)::text AS problems',
      [this.table, this.problemsTable],
    );
    return { catalog: found.catalog !== null, problems: found.problems !== null };
  }
}
