/**
 * Keeps one PostgreSQL table per UCR data source matching its configuration. Configurations come
 * in (files, the configs topic, a forced rebuild); the catalog (`tributary_ucr.data_sources`) is the
 * shared truth every worker reads its live and building tables from. A new definition is built
 * beside the live table (live changes go to both while a backfill from the primary store covers
 * the rest), then the view is swapped to it in one transaction and the old table dropped after a
 * grace period. A change that only adds nullable columns or indexes migrates the live table in
 * place. Invalid configurations are reported and skipped; nothing here stops the pipeline.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../runtime/contract/index.js';
import type { CompiledDataSource } from '../../commcare/ucr/contract.js';
import type { UcrLookupFetcher } from '../../commcare/ucr/evaluate-documents.js';
import type { UcrActiveDataSource } from '../../commcare/ucr/ucr-stage-link.js';
import type { Database } from '../postgres/postgres-pool.js';
import { backfillUcrTable } from './ucr-backfill.js';
import {
  activeCatalogRows,
  ensureUcrCatalog,
  ucrCatalogTable,
  ucrProblemsTable,
  type UcrCatalogRow,
} from './ucr-catalog.js';
import { ucrDropTableDdl, ucrInPlaceMigration, ucrRenameTableDdl, ucrTableDdl } from './ucr-table-ddl.js';
import {
  truncateIdentifier,
  ucrSchema,
  ucrDataSourceKey,
  ucrPhysicalTableName,
  ucrQualified,
  ucrVersionsSchema,
  ucrViewName,
  validateUcrIdentifier,
} from '../../commcare/ucr/ucr-table-names.js';

/** Compiles a data source configuration (the UCR language's `compileDataSource`). */
export type UcrCompiler = (json: unknown) => CompiledDataSource;

export interface UcrDataSourceManagerOptions {
  /** The pipeline this manager keeps tables for: only its catalog rows are read and changed. */
  owner: string;
  compile: UcrCompiler;
  fetch: UcrLookupFetcher;
  logger: Logger;
  /** How long a replaced or deactivated table stays before it is dropped. */
  graceMs: number;
  /** Documents per backfill transaction. */
  backfillChunkDocs: number;
  /** How often the catalog is read again (tables other workers built or swapped). */
  catalogPollMs: number;
  /**
   * How long a new build waits before reading the primary store, so that every worker of the
   * pipeline has seen the building table (and writes live changes to it) first.
   */
  buildStartDelayMs: number;
}

/** One table the sink writes a data source key's records to. */
export interface UcrTableTarget {
  table: string;
  dataSource: CompiledDataSource;
}

interface Instance {
  row: UcrCatalogRow;
  dataSource: CompiledDataSource;
  key: string;
}

const lockKey = (viewName: string) => `tributary_ucr:${viewName}`;

export class UcrDataSourceManager {
  private instances: Instance[] = [];
  private readonly compiled = new Map<string, CompiledDataSource>();
  /** Catalogued tables that failed to compile, reported once each. */
  private readonly uncompilable = new Set<string>();
  private readonly builds = new Map<string, Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private maintaining: Promise<unknown> | undefined;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly options: UcrDataSourceManagerOptions,
  ) {}

  /** Creates the catalog and reads it; resumes builds left unfinished and drops what is due. */
  async start(): Promise<void> {
    await ensureUcrCatalog(this.db);
    await this.refresh();
    const every = (ms: number, work: () => Promise<unknown>) => {
      const timer = setInterval(() => {
        if (this.closed || this.maintaining) return;
        this.maintaining = work()
          .finally(() => (this.maintaining = undefined))
          .catch((error: unknown) =>
            this.options.logger.warn(
              { error: (error as Error).message },
              'UCR maintenance failed; trying again.',
            ),
          );
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.catalogPollMs, () => this.maintain());
    await this.maintain();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await Promise.allSettled([...this.builds.values(), this.maintaining]);
  }

  /** Live and building definitions of a domain for one referenced doc type (one per key). */
  dataSources(domain: string, referencedDocType: string): UcrActiveDataSource[] {
    const seen = new Set<string>();
    const out: UcrActiveDataSource[] = [];
    for (const instance of this.instances) {
      const ds = instance.dataSource;
      if (ds.domain !== domain || ds.referencedDocType !== referencedDocType || seen.has(instance.key))
        continue;
      seen.add(instance.key);
      out.push({ key: instance.key, dataSource: ds });
    }
    return out;
  }

  /** How many live or building tables this pipeline writes now (0: nothing to write to). */
  get usableTables(): number {
    return this.instances.length;
  }

  /** Every table the records of a data source key go to (the live one, and its rebuilt twin). */
  tablesFor(key: string): UcrTableTarget[] {
    return this.instances
      .filter((instance) => instance.key === key)
      .map((instance) => ({ table: instance.row.physical_table, dataSource: instance.dataSource }));
  }

  /** Waits for every build this process runs (tests, the rebuild command). */
  async settled(): Promise<void> {
    while (this.builds.size) await Promise.allSettled([...this.builds.values()]);
  }

  /** Reads the catalog again and compiles what is new in it. */
  async refresh(): Promise<void> {
    const rows = await activeCatalogRows(this.db, this.options.owner);
    const next: Instance[] = [];
    for (const row of rows) {
      const cacheKey = `${row.physical_table}\0${row.definition_hash}`;
      let dataSource = this.compiled.get(cacheKey);
      if (!dataSource) {
        try {
          dataSource = this.options.compile(row.source);
        } catch (error) {
          if (!this.uncompilable.has(cacheKey)) {
            this.uncompilable.add(cacheKey);
            this.options.logger.error(
              { table: row.physical_table, error: (error as Error).message },
              'A catalogued UCR data source no longer compiles; it is not processed.',
            );
          }
          continue;
        }
        this.compiled.set(cacheKey, dataSource);
      }
      next.push({
        row,
        dataSource,
        key: ucrDataSourceKey(row.domain, row.table_id, row.definition_hash),
      });
    }
    this.instances = next;
  }

  /**
   * Applies one configuration from `origin` (`file:<name>`, `configs:<doc id>`): `null` removes what
   * that origin configured. Never throws for a bad configuration: it is recorded as a problem.
   */
  async apply(origin: string, json: unknown): Promise<void> {
    if (json === null || json === undefined) {
      await this.retireOrigin(origin);
      return;
    }
    let dataSource: CompiledDataSource;
    try {
      const raw = json as { domain?: unknown; table_id?: unknown; __unparsable?: unknown };
      if (typeof raw.__unparsable === 'string') throw new Error(`not JSON: ${raw.__unparsable}`);
      validateUcrIdentifier('domain', raw.domain);
      validateUcrIdentifier('table_id', raw.table_id);
      dataSource = this.options.compile(json);
      validateUcrIdentifier('domain', dataSource.domain);
      validateUcrIdentifier('table_id', dataSource.tableId);
    } catch (error) {
      await this.problem(origin, json, error as Error);
      return;
    }
    try {
      if (dataSource.isDeactivated) await this.retire(dataSource.domain, dataSource.tableId, 'deactivated');
      else if ((await this.reconcile(origin, dataSource)) === 'migrated') this.refreshInPlace(dataSource);
      // The same origin may have named another data source before (its table_id was edited).
      const before = await this.db.any<{ domain: string; table_id: string }>(
        `SELECT DISTINCT domain, table_id FROM ${ucrCatalogTable}
         WHERE owner = $1 AND origin = $2 AND state IN ('building', 'live') AND NOT (domain = $3 AND table_id = $4)`,
        [this.options.owner, origin, dataSource.domain, dataSource.tableId],
      );
      for (const other of before)
        await this.retire(other.domain, other.table_id, 'renamed in its configuration');
      await this.db.none(`DELETE FROM ${ucrProblemsTable} WHERE owner = $1 AND origin = $2`, [
        this.options.owner,
        origin,
      ]);
    } catch (error) {
      await this.problem(origin, json, error as Error);
    }
    await this.refresh();
    this.startPendingBuilds();
  }

  /** Forces a rebuild of a live data source beside its table; resolves once swapped in. */
  async rebuild(domain: string, tableId: string): Promise<void> {
    const view = ucrViewName(domain, tableId);
    await this.db.tx('tributary-ucr-rebuild', async (t) => {
      await t.any('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(view)]);
      const rows = await t.any<UcrCatalogRow>(
        `SELECT * FROM ${ucrCatalogTable} WHERE view_name = $1 AND owner = $2 AND state IN ('building', 'live')`,
        [view, this.options.owner],
      );
      const live = rows.find((r) => r.state === 'live');
      if (!live)
        throw new Error(
          `${domain}/${tableId} has no live table in pipeline ${this.options.owner} to rebuild`,
        );
      for (const r of rows.filter((r) => r.state === 'building')) await this.retireRow(t, r, 0);
      const dataSource = this.options.compile(live.source);
      const twin = truncateIdentifier(`${live.physical_table}_r${randomBytes(3).toString('hex')}`);
      for (const statement of ucrTableDdl(twin, dataSource)) await t.none(statement);
      await t.none(
        `INSERT INTO ${ucrCatalogTable} (physical_table, owner, domain, table_id, view_name, definition_hash, state, origin, source)
         VALUES ($1, $8, $2, $3, $4, $5, 'building', $6, $7)`,
        [
          twin,
          domain,
          tableId,
          view,
          live.definition_hash,
          live.origin,
          JSON.stringify(live.source),
          this.options.owner,
        ],
      );
    });
    await this.refresh();
    this.startPendingBuilds();
    // This process or a running worker of the pipeline (whoever takes the build lock) builds it.
    let reported: string | null = null;
    for (;;) {
      await this.settled();
      const [building] = await this.db.any<{ errors: string | null }>(
        `SELECT errors FROM ${ucrCatalogTable} WHERE view_name = $1 AND owner = $2 AND state = 'building'`,
        [view, this.options.owner],
      );
      if (!building) return;
      if (building.errors && building.errors !== reported) {
        reported = building.errors;
        this.options.logger.warn({ view, error: reported }, 'The rebuild failed for now; it is retried.');
      }
      await sleep(500);
      this.startPendingBuilds();
    }
  }

  private async problem(origin: string, json: unknown, error: Error): Promise<void> {
    const raw = (json ?? {}) as { domain?: unknown; table_id?: unknown };
    this.options.logger.error(
      { origin, error: error.message },
      'A UCR data source configuration cannot be used; it is skipped.',
    );
    await this.db
      .none(
        `INSERT INTO ${ucrProblemsTable} (owner, origin, domain, table_id, error) VALUES ($5, $1, $2, $3, $4)
         ON CONFLICT (owner, origin) DO UPDATE SET domain = excluded.domain, table_id = excluded.table_id, error = excluded.error, seen_at = now()`,
        [
          origin,
          typeof raw.domain === 'string' ? raw.domain : null,
          typeof raw.table_id === 'string' ? raw.table_id : null,
          error.message,
          this.options.owner,
        ],
      )
      .catch(() => undefined);
  }

  /** Decides, under the data source's lock, whether to keep, migrate in place or build beside. */
  private async reconcile(origin: string, ds: CompiledDataSource): Promise<'kept' | 'migrated' | 'building'> {
    const view = ucrViewName(ds.domain, ds.tableId);
    const physical = ucrPhysicalTableName(ds.domain, ds.tableId, ds.definitionHash);
    const source = JSON.stringify(ds.source);
    return this.db.tx('tributary-ucr-reconcile', async (t) => {
      await t.any('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(view)]);
      const rows = await t.any<UcrCatalogRow>(
        `SELECT * FROM ${ucrCatalogTable} WHERE view_name = $1 AND state IN ('building', 'live')`,
        [view],
      );
      const other = rows.find(
        (r) => r.domain !== ds.domain || r.table_id !== ds.tableId || r.owner !== this.options.owner,
      );
      if (other) {
        throw new Error(
          `its view name ${view} is taken by ${other.domain}/${other.table_id} of pipeline ${other.owner ?? '(none)'}`,
        );
      }
      const live = rows.find((r) => r.state === 'live');
      const building = rows.find((r) => r.state === 'building');
      const sameAsLive = live?.definition_hash === ds.definitionHash;
      if (building && building.definition_hash === ds.definitionHash) return 'building';
      if (sameAsLive) {
        if (building) await this.retireRow(t, building, 0);
        await t.none(
          `UPDATE ${ucrCatalogTable} SET origin = $2, source = $3, updated_at = now() WHERE physical_table = $1`,
          [live.physical_table, origin, source],
        );
        return 'kept';
      }
      if (live) {
        const before = this.options.compile(live.source);
        const migration = onlyAddsColumnsOrIndexes(live.source, ds.source)
          ? ucrInPlaceMigration(live.physical_table, before, ds)
          : undefined;
        if (migration) {
          await lockView(t, view);
          await lockTables(t, live.physical_table);
          if (building) await this.retireRow(t, building, 0);
          await this.freeName(t, physical);
          for (const statement of migration) await t.none(statement);
          for (const statement of ucrRenameTableDdl(live.physical_table, physical, ds))
            await t.none(statement);
          // A view's `*` was expanded when it was made: make it again to show the new columns.
          await t.none(
            `CREATE OR REPLACE VIEW ${ucrQualified(view)} AS SELECT * FROM ${ucrQualified(physical)}`,
          );
          await t.none(
            `UPDATE ${ucrCatalogTable} SET physical_table = $2, definition_hash = $3, origin = $4, source = $5, updated_at = now()
             WHERE physical_table = $1`,
            [live.physical_table, physical, ds.definitionHash, origin, source],
          );
          this.options.logger.info(
            { table: physical, statements: migration.length },
            'Migrated a UCR table in place (new nullable columns or indexes).',
          );
          return 'migrated';
        }
        if (ds.disableDestructiveRebuild) {
          throw new Error(
            'the change needs a rebuild and disable_destructive_rebuild is set: the live table keeps the old definition',
          );
        }
      }
      if (building) await this.retireRow(t, building, 0);
      await this.freeName(t, physical);
      for (const statement of ucrTableDdl(physical, ds)) await t.none(statement);
      await t.none(
        `INSERT INTO ${ucrCatalogTable} (physical_table, owner, domain, table_id, view_name, definition_hash, state, origin, source)
         VALUES ($1, $8, $2, $3, $4, $5, 'building', $6, $7)`,
        [physical, ds.domain, ds.tableId, view, ds.definitionHash, origin, source, this.options.owner],
      );
      this.options.logger.info({ table: physical, replaces: live?.physical_table }, 'Building a UCR table.');
      return 'building';
    });
  }

  /** A retired table still holding the name a new build needs (a definition reverted) goes now. */
  private async freeName(
    t: Database | Parameters<Parameters<Database['tx']>[1]>[0],
    physical: string,
  ): Promise<void> {
    const rows = await t.any<UcrCatalogRow>(`SELECT * FROM ${ucrCatalogTable} WHERE physical_table = $1`, [
      physical,
    ]);
    for (const row of rows) {
      if (row.state !== 'retired') throw new Error(`table ${physical} is still ${row.state}`);
      await t.none(`DROP TABLE IF EXISTS ${ucrQualified(physical)} CASCADE`);
      for (const statement of ucrDropTableDdl(physical)) await t.none(statement);
      await t.none(`DELETE FROM ${ucrCatalogTable} WHERE physical_table = $1`, [physical]);
    }
  }

  private async retireRow(
    t: Parameters<Parameters<Database['tx']>[1]>[0],
    row: UcrCatalogRow,
    graceMs: number,
  ): Promise<void> {
    await t.none(
      `UPDATE ${ucrCatalogTable} SET state = 'retired', retired_at = now(), updated_at = now(),
       drop_after = now() + make_interval(secs => $2::double precision / 1000) WHERE physical_table = $1`,
      [row.physical_table, graceMs],
    );
  }

  /** Stops processing a data source; its tables go after the grace period. */
  private async retire(domain: string, tableId: string, why: string): Promise<void> {
    const view = ucrViewName(domain, tableId);
    await this.db.tx('tributary-ucr-retire', async (t) => {
      await t.any('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(view)]);
      const rows = await t.any<UcrCatalogRow>(
        `SELECT * FROM ${ucrCatalogTable} WHERE view_name = $1 AND owner = $2 AND state IN ('building', 'live')`,
        [view, this.options.owner],
      );
      for (const row of rows) await this.retireRow(t, row, row.state === 'live' ? this.options.graceMs : 0);
      if (rows.length) this.options.logger.info({ domain, tableId, why }, 'Retired a UCR data source.');
    });
  }

  private async retireOrigin(origin: string): Promise<void> {
    const rows = await this.db.any<UcrCatalogRow>(
      `SELECT * FROM ${ucrCatalogTable} WHERE origin = $1 AND owner = $2 AND state IN ('building', 'live')`,
      [origin, this.options.owner],
    );
    const seen = new Set<string>();
    for (const row of rows) {
      if (seen.has(row.view_name)) continue;
      seen.add(row.view_name);
      await this.retire(row.domain, row.table_id, 'configuration removed');
    }
    await this.db.none(`DELETE FROM ${ucrProblemsTable} WHERE owner = $1 AND origin = $2`, [
      this.options.owner,
      origin,
    ]);
    await this.refresh();
  }

  /** Periodic: read the catalog, resume builds nobody runs, drop retired tables that are due. */
  private async maintain(): Promise<void> {
    if (this.closed) return;
    await this.healMissingTables();
    await this.refresh();
    this.startPendingBuilds();
    const due = await this.db.any<UcrCatalogRow>(
      `SELECT * FROM ${ucrCatalogTable} WHERE state = 'retired' AND owner = $1 AND (drop_after IS NULL OR drop_after <= now())`,
      [this.options.owner],
    );
    for (const row of due) {
      await this.db.tx('tributary-ucr-drop', async (t) => {
        await t.any('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(row.view_name)]);
        await lockView(t, row.view_name);
        // CASCADE drops the view only when it still points here (the data source was deactivated).
        await t.none(`DROP TABLE IF EXISTS ${ucrQualified(row.physical_table)} CASCADE`);
        for (const statement of ucrDropTableDdl(row.physical_table)) await t.none(statement);
        await t.none(`DELETE FROM ${ucrCatalogTable} WHERE physical_table = $1 AND state = 'retired'`, [
          row.physical_table,
        ]);
      });
      this.options.logger.info({ table: row.physical_table }, 'Dropped a retired UCR table.');
    }
  }

  /**
   * After an in-place migration, re-evaluates every document into the live table (equal versions
   * included), so the new columns fill in; readers see every row throughout.
   */
  private refreshInPlace(dataSource: CompiledDataSource): void {
    const table = ucrPhysicalTableName(dataSource.domain, dataSource.tableId, dataSource.definitionHash);
    const task = `refresh:${table}`;
    if (this.builds.has(task)) return;
    const run = (async () => {
      await sleep(this.options.buildStartDelayMs);
      const docs = await backfillUcrTable(this.db, table, dataSource, this.options.fetch, {
        chunkDocs: this.options.backfillChunkDocs,
        replaceEqualVersion: true,
        cancelled: async () =>
          this.closed ||
          !(await this.db.oneOrNone(
            `SELECT 1 FROM ${ucrCatalogTable} WHERE physical_table = $1 AND state = 'live'`,
            [table],
          )),
        logger: this.options.logger,
      });
      this.options.logger.info({ table, docs }, 'Refreshed a UCR table in place.');
    })()
      .catch((error: unknown) =>
        this.options.logger.error(
          { table, error: (error as Error).message },
          'Refreshing a UCR table in place failed.',
        ),
      )
      .finally(() => this.builds.delete(task));
    this.builds.set(task, run);
  }

  /**
   * A catalogued table that is gone (dropped by hand, a restored database) is retired and its
   * configuration applied again, which builds it anew; until then writes to it are retried.
   */
  private async healMissingTables(): Promise<void> {
    const missing = await this.db.any<UcrCatalogRow>(
      `SELECT * FROM ${ucrCatalogTable} c WHERE owner = $1 AND state IN ('building', 'live')
       AND (to_regclass(format('%I.%I', $2::text, c.physical_table)) IS NULL
            OR to_regclass(format('%I.%I', $3::text, c.physical_table)) IS NULL)`,
      [this.options.owner, ucrSchema, ucrVersionsSchema],
    );
    for (const row of missing) {
      this.options.logger.error(
        { table: row.physical_table, state: row.state },
        'A UCR table in the catalog does not exist; building it again.',
      );
      await this.db.tx('tributary-ucr-heal', async (t) => {
        await t.any('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(row.view_name)]);
        await t.none(
          `UPDATE ${ucrCatalogTable} SET state = 'retired', retired_at = now(), drop_after = now(),
           errors = 'table missing; rebuilt', updated_at = now() WHERE physical_table = $1 AND state = $2`,
          [row.physical_table, row.state],
        );
      });
      await this.apply(row.origin ?? `catalog:${row.physical_table}`, row.source);
    }
  }

  private startPendingBuilds(): void {
    if (this.closed) return;
    for (const instance of this.instances) {
      const table = instance.row.physical_table;
      if (instance.row.state !== 'building' || this.builds.has(table)) continue;
      const build = this.build(instance)
        .catch(async (error: unknown) => {
          this.options.logger.error(
            { table, error: (error as Error).message },
            'A UCR table build failed; it is retried.',
          );
          await this.db
            .none(`UPDATE ${ucrCatalogTable} SET errors = $2, updated_at = now() WHERE physical_table = $1`, [
              table,
              (error as Error).message,
            ])
            .catch(() => undefined);
        })
        .finally(() => this.builds.delete(table));
      this.builds.set(table, build);
    }
  }

  /** Backfills a building table and swaps it in, unless another worker holds its build. */
  private async build(instance: Instance): Promise<void> {
    const table = instance.row.physical_table;
    const connection = await this.db.connect();
    try {
      const { locked } = await connection.one<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [`tributary_ucr_build:${table}`],
      );
      if (!locked) return;
      try {
        await sleep(this.options.buildStartDelayMs);
        const stillBuilding = async () =>
          this.closed ||
          !(await this.db.oneOrNone(
            `SELECT 1 FROM ${ucrCatalogTable} WHERE physical_table = $1 AND state = 'building'`,
            [table],
          ));
        const started = Date.now();
        const docs = await backfillUcrTable(this.db, table, instance.dataSource, this.options.fetch, {
          chunkDocs: this.options.backfillChunkDocs,
          replaceEqualVersion: false,
          cancelled: stillBuilding,
          logger: this.options.logger,
        });
        if (await stillBuilding()) return;
        await this.swap(instance.row);
        this.options.logger.info(
          { table, docs, ms: Date.now() - started },
          'Built a UCR table and swapped it in.',
        );
      } finally {
        await connection.one('SELECT pg_advisory_unlock(hashtext($1))', [`tributary_ucr_build:${table}`]);
      }
    } finally {
      void connection.done();
    }
    await this.refresh();
  }

  /** In one transaction: the built table becomes live, the old one retired, the view points at the new one. */
  private async swap(row: UcrCatalogRow): Promise<void> {
    await this.db.tx('tributary-ucr-swap', async (t) => {
      await t.any('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(row.view_name)]);
      const current = await t.any<UcrCatalogRow>(
        `SELECT * FROM ${ucrCatalogTable} WHERE view_name = $1 AND state IN ('building', 'live')`,
        [row.view_name],
      );
      const building = current.find((r) => r.physical_table === row.physical_table && r.state === 'building');
      if (!building) return;
      await lockView(t, row.view_name);
      const live = current.find((r) => r.state === 'live');
      const canonical = ucrPhysicalTableName(row.domain, row.table_id, row.definition_hash);
      const dataSource = this.options.compile(row.source);
      let physical = row.physical_table;
      if (live) {
        await this.retireRow(t, live, this.options.graceMs);
        if (live.physical_table === canonical && physical !== canonical) {
          // A forced rebuild: the old table steps aside so the new one takes the canonical name.
          const aside = truncateIdentifier(`${live.physical_table}_x${randomBytes(3).toString('hex')}`);
          await lockTables(t, live.physical_table, physical);
          for (const statement of ucrRenameTableDdl(live.physical_table, aside, dataSource))
            await t.none(statement);
          await t.none(`UPDATE ${ucrCatalogTable} SET physical_table = $2 WHERE physical_table = $1`, [
            live.physical_table,
            aside,
          ]);
        }
      }
      if (physical !== canonical) {
        const taken = await t.one<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [
          ucrQualified(canonical),
        ]);
        if (!taken.t) {
          await lockTables(t, physical);
          for (const statement of ucrRenameTableDdl(physical, canonical, dataSource)) await t.none(statement);
          await t.none(`UPDATE ${ucrCatalogTable} SET physical_table = $2 WHERE physical_table = $1`, [
            physical,
            canonical,
          ]);
          physical = canonical;
        }
      }
      const { count } = await t.one<{ count: bigint }>(
        `SELECT count(*)::bigint AS count FROM ${ucrQualified(physical)}`,
      );
      await t.none(`DROP VIEW IF EXISTS ${ucrQualified(row.view_name)}`);
      await t.none(`CREATE VIEW ${ucrQualified(row.view_name)} AS SELECT * FROM ${ucrQualified(physical)}`);
      await t.none(
        `UPDATE ${ucrCatalogTable} SET state = 'live', built_at = now(), swapped_at = now(), rows = $2, errors = NULL, updated_at = now()
         WHERE physical_table = $1`,
        [physical, count],
      );
    });
  }
}

/**
 * True when `after` differs from `before` only by added indicators and index settings: the rows
 * every existing column holds stay the same, so the table can be migrated in place.
 */
export function onlyAddsColumnsOrIndexes(before: unknown, after: unknown): boolean {
  if (!isObject(before) || !isObject(after)) return false;
  const indicators = (config: Record<string, unknown>): unknown[] =>
    (Array.isArray(config.configured_indicators) ? (config.configured_indicators as unknown[]) : []).map(
      (i) => (isObject(i) ? withoutKeys(i, ['create_index', 'display_name', 'comment']) : i),
    );
  const oldIndicators = indicators(before);
  const newIndicators = indicators(after);
  const oldIds = new Set(oldIndicators.map((i) => (isObject(i) ? i.column_id : undefined)));
  const kept = newIndicators.filter((i) => isObject(i) && oldIds.has(i.column_id));
  const ignore = [
    'configured_indicators',
    'sql_column_indexes',
    'display_name',
    'description',
    'meta',
    '_rev',
    'last_modified',
  ];
  return (
    canonical(kept) === canonical(oldIndicators) &&
    canonical(withoutKeys(before, ignore)) === canonical(withoutKeys(after, ignore))
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function withoutKeys(object: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) if (!keys.includes(k)) out[k] = v;
  return out;
}

/** JSON with object keys sorted, so key order never counts as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * Takes the view's lock before any table's: readers lock the view, then the table under it, so a
 * swap that locked a table first could deadlock with them.
 */
async function lockView(
  t: { any(query: string, values?: unknown): Promise<unknown[]> },
  view: string,
): Promise<void> {
  const [found] = (await t.any('SELECT to_regclass($1)::text AS v', [ucrQualified(view)])) as {
    v: string | null;
  }[];
  if (found?.v) await t.any(`LOCK TABLE ${ucrQualified(view)} IN ACCESS EXCLUSIVE MODE`);
}

/**
 * Locks tables for a schema change in the order writers take them (each table's version table,
 * then the table; older tables first), so a writer and the change wait instead of deadlocking.
 */
async function lockTables(t: { any(query: string): Promise<unknown[]> }, ...tables: string[]): Promise<void> {
  const names = tables.flatMap((table) => [ucrQualified(table, ucrVersionsSchema), ucrQualified(table)]);
  await t.any(`LOCK TABLE ${names.join(', ')} IN ACCESS EXCLUSIVE MODE`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
