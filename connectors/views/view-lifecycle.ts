/**
 * One lifecycle for every view that is rebuilt (a UCR table, a search index): definitions come in
 * (files, a configs topic, a forced rebuild) and are planned against the catalog under the view's
 * lock: kept, migrated in place, or built beside the live target. A build takes the target's build
 * lock, fills it through the builder (live changes go to both targets meanwhile), records its
 * progress, and swaps readers to it in one catalog transaction; the old target is retired and
 * dropped after a grace period. Storage specifics are the adapter's (view-storage.ts). Nothing
 * here stops the pipeline: an unusable definition is recorded as a problem, a failed build retried.
 */
import { randomBytes } from 'node:crypto';
import type { Logger, ViewBuild } from '../../runtime/contract/index.js';
import type { Database } from '../postgres/postgres-pool.js';
import type { ViewCatalog, ViewCatalogRow } from './view-catalog.js';
import type { BuildJob, CatalogTx, ViewBuilder, ViewDefinition, ViewStorage } from './view-storage.js';

export interface ViewLifecycleOptions<D extends ViewDefinition> {
  /** The database of the catalog. */
  db: Database;
  catalog: ViewCatalog;
  storage: ViewStorage<D>;
  builder: ViewBuilder<D>;
  /** A definition from its configuration JSON; throws for one that cannot be used. */
  compile(source: unknown): D;
  /** Catalog labels of a configuration that did not compile (for its problem row). */
  problemLabels(source: unknown): Record<string, string | null>;
  /** The pipeline whose views these are: only its catalog rows are read and changed. */
  owner: string;
  logger: Logger;
  /** What one view is called in log lines, e.g. `UCR table`. */
  noun: string;
  /** How long a replaced or deactivated target stays before it is dropped. */
  graceMs: number;
  /** How often the catalog is read again (targets other workers built, swapped or retired). */
  catalogPollMs: number;
  /** How long a build waits before filling, so every worker writes live changes to the new target first. */
  buildStartDelayMs: number;
  /** The pipeline's stop signal: a build it interrupts is not a failure (the next start resumes it). */
  signal?: AbortSignal;
}

/** A building or live target of this pipeline with its compiled definition. */
export interface ActiveView<D extends ViewDefinition> {
  row: ViewCatalogRow;
  definition: D;
  /** Routes live records to every target of one definition: `<view>@<hash>`. */
  key: string;
}

type Outcome = 'kept' | 'migrated' | 'building';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class ViewLifecycle<D extends ViewDefinition> {
  private views: ActiveView<D>[] = [];
  private readonly compiled = new Map<string, D>();
  /** Catalogued definitions that no longer compile, reported once each. */
  private readonly uncompilable = new Set<string>();
  private readonly builds = new Map<string, Promise<void>>();
  /** Builds this process holds the lock of, by view, with when each began filling. */
  private readonly running = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private maintaining: Promise<unknown> | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: ViewLifecycleOptions<D>) {}

  private get catalog(): ViewCatalog {
    return this.options.catalog;
  }

  /** Creates the catalog and reads it; resumes builds left unfinished and drops what is due. Idempotent. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await this.catalog.ensure(this.options.db);
      await this.refresh();
      this.timer = setInterval(() => {
        if (this.closed || this.maintaining) return;
        this.maintaining = this.maintain()
          .finally(() => (this.maintaining = undefined))
          .catch((error: unknown) =>
            this.options.logger.warn(
              { error: message(error) },
              `${this.options.noun} maintenance failed; trying again.`,
            ),
          );
      }, this.options.catalogPollMs);
      this.timer.unref();
      await this.maintain();
    })();
    return this.starting;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.builds.values(), this.maintaining]);
  }

  /** Building and live targets with their definitions, as this process last read the catalog. */
  active(): readonly ActiveView<D>[] {
    return this.views;
  }

  /** Every target the records of a definition key go to (the live one, and its twin being built). */
  targetsOf(key: string): ActiveView<D>[] {
    return this.views.filter((view) => view.key === key);
  }

  /** The builds this process is running now (it holds their build locks), for the build-age metric. */
  runningBuilds(): ViewBuild[] {
    return [...this.running].map(([view, startedAt]) => ({ view, startedAt }));
  }

  /** Waits for every build this process runs (tests, the rebuild command). */
  async settled(): Promise<void> {
    while (this.builds.size) await Promise.allSettled([...this.builds.values()]);
  }

  /** Reads the catalog again and compiles what is new in it. */
  async refresh(): Promise<void> {
    const rows = await this.catalog.active(this.options.db, this.options.owner);
    const next: ActiveView<D>[] = [];
    for (const row of rows) {
      const definition = this.compiledOf(row);
      if (definition) next.push({ row, definition, key: `${row.view}@${row.definitionHash}` });
    }
    this.views = next;
  }

  private compiledOf(row: ViewCatalogRow): D | undefined {
    const cacheKey = `${row.physical}\0${row.definitionHash}`;
    const known = this.compiled.get(cacheKey);
    if (known) return known;
    try {
      const definition = this.options.compile(row.source);
      this.compiled.set(cacheKey, definition);
      return definition;
    } catch (error) {
      if (!this.uncompilable.has(cacheKey)) {
        this.uncompilable.add(cacheKey);
        this.options.logger.error(
          { physical: row.physical, error: message(error) },
          `A catalogued ${this.options.noun} definition no longer compiles; it is not processed.`,
        );
      }
      return undefined;
    }
  }

  /**
   * Applies one configuration from `origin` (`file:<name>`, `configs:<doc id>`): `null` removes
   * what that origin configured. Never throws for a bad configuration: it is recorded as a problem.
   */
  async apply(origin: string, source: unknown): Promise<void> {
    if (source === null || source === undefined) {
      await this.retireOrigin(origin);
      return;
    }
    let definition: D;
    try {
      definition = this.options.compile(source);
    } catch (error) {
      await this.problem(origin, source, error);
      return;
    }
    try {
      if (definition.deactivated) await this.retire(definition.view, 'deactivated');
      else if ((await this.reconcile(origin, definition)) === 'migrated') this.refreshInPlace(definition);
      // The same origin may have named another view before (its identity was edited).
      for (const row of await this.catalog.ofOrigin(this.options.db, this.options.owner, origin)) {
        if (row.view !== definition.view) await this.retire(row.view, 'renamed in its configuration');
      }
      await this.catalog.clearProblem(this.options.db, this.options.owner, origin);
    } catch (error) {
      await this.problem(origin, source, error);
    }
    await this.refresh();
    this.startPendingBuilds();
  }

  /** Forces a rebuild of a live view beside its target; resolves once swapped in. */
  async rebuild(view: string): Promise<void> {
    await this.start();
    await this.options.db.tx('tributary-view-rebuild', async (t) => {
      await this.catalog.lockView(t, view);
      const rows = await this.catalog.ofView(t, view, this.options.owner);
      const live = rows.find((r) => r.state === 'live');
      if (!live) throw new Error(`${view} has no live target in pipeline ${this.options.owner} to rebuild`);
      for (const r of rows.filter((r) => r.state === 'building')) await this.catalog.retire(t, r.physical, 0);
      const definition = this.options.compile(live.source);
      const twin = this.options.storage.physicalName(definition, `r${randomBytes(3).toString('hex')}`);
      await this.options.storage.createPhysical(t, twin, definition);
      await this.catalog.insertBuilding(t, {
        physical: twin,
        owner: this.options.owner,
        view,
        hash: live.definitionHash,
        origin: live.origin,
        source: live.source,
        labels: definition.labels,
      });
    });
    await this.refresh();
    this.startPendingBuilds();
    await this.untilBuilt(view);
  }

  /** Waits until `view` has no building target: this process or a running worker (whoever holds the build lock) builds it. */
  private async untilBuilt(view: string): Promise<void> {
    let reported: string | null = null;
    for (;;) {
      await this.settled();
      const building = (await this.catalog.ofView(this.options.db, view, this.options.owner)).find(
        (r) => r.state === 'building',
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

  private async problem(origin: string, source: unknown, error: unknown): Promise<void> {
    this.options.logger.error(
      { origin, error: message(error) },
      `A ${this.options.noun} configuration cannot be used; it is skipped.`,
    );
    await this.catalog
      .recordProblem(this.options.db, {
        owner: this.options.owner,
        origin,
        labels: this.options.problemLabels(source),
        error: message(error),
      })
      .catch(() => undefined);
  }

  /** Decides, under the view's lock, whether to keep, migrate in place or build beside. */
  private reconcile(origin: string, next: D): Promise<Outcome> {
    return this.options.db.tx('tributary-view-reconcile', async (t) => {
      await this.catalog.lockView(t, next.view);
      const rows = await this.catalog.ofView(t, next.view);
      const other = rows.find((r) => r.owner !== this.options.owner || !sameLabels(r, next));
      if (other) {
        const labels = Object.values(other.labels).join('/');
        throw new Error(
          `its view name ${next.view} is taken by ${labels} of pipeline ${other.owner ?? '(none)'}`,
        );
      }
      const live = rows.find((r) => r.state === 'live');
      const building = rows.find((r) => r.state === 'building');
      if (building?.definitionHash === next.hash) return 'building';
      if (live?.definitionHash === next.hash) {
        if (building) await this.catalog.retire(t, building.physical, 0);
        await this.catalog.redefine(t, live.physical, {
          ...live,
          hash: next.hash,
          origin,
          source: next.source,
        });
        return 'kept';
      }
      if (live && (await this.migrate(t, origin, live, building, next))) return 'migrated';
      if (live && !next.rebuildable)
        throw new Error(
          'the change needs a rebuild, which its definition forbids: the live target keeps the old one',
        );
      if (building) await this.catalog.retire(t, building.physical, 0);
      const physical = this.options.storage.physicalName(next);
      await this.freeName(t, physical);
      await this.options.storage.createPhysical(t, physical, next);
      await this.catalog.insertBuilding(t, {
        physical,
        owner: this.options.owner,
        view: next.view,
        hash: next.hash,
        origin,
        source: next.source,
        labels: next.labels,
      });
      this.options.logger.info({ physical, replaces: live?.physical }, `Building a ${this.options.noun}.`);
      return 'building';
    });
  }

  /** Changes the live target in place when the storage can; false when `next` needs a build. */
  private async migrate(
    t: CatalogTx,
    origin: string,
    live: ViewCatalogRow,
    building: ViewCatalogRow | undefined,
    next: D,
  ): Promise<boolean> {
    const definition = this.options.compile(live.source);
    const migration = this.options.storage.migrateInPlace?.({ physical: live.physical, definition }, next);
    if (!migration) return false;
    const physical = this.options.storage.physicalName(next);
    await this.options.storage.lock(t, next.view, [live.physical]);
    if (building) await this.catalog.retire(t, building.physical, 0);
    await this.freeName(t, physical);
    await migration(t, physical);
    await this.catalog.redefine(t, live.physical, { physical, hash: next.hash, origin, source: next.source });
    this.options.logger.info({ physical }, `Migrated a ${this.options.noun} in place.`);
    return true;
  }

  /** A retired target still holding the name a new one needs (a definition reverted) goes now. */
  private async freeName(t: CatalogTx, physical: string): Promise<void> {
    for (const row of await this.catalog.named(t, physical)) {
      if (row.state !== 'retired') throw new Error(`${physical} is still ${row.state}`);
      await this.options.storage.dropPhysical(t, physical, row.view);
      await this.catalog.remove(t, physical);
    }
  }

  /** Stops processing a view; its targets go after the grace period. */
  async retire(view: string, why: string): Promise<void> {
    await this.options.db.tx('tributary-view-retire', async (t) => {
      await this.catalog.lockView(t, view);
      const rows = await this.catalog.ofView(t, view, this.options.owner);
      for (const row of rows)
        await this.catalog.retire(t, row.physical, row.state === 'live' ? this.options.graceMs : 0);
      if (rows.length) this.options.logger.info({ view, why }, `Retired a ${this.options.noun}.`);
    });
  }

  private async retireOrigin(origin: string): Promise<void> {
    const rows = await this.catalog.ofOrigin(this.options.db, this.options.owner, origin);
    for (const view of new Set(rows.map((r) => r.view))) await this.retire(view, 'configuration removed');
    await this.catalog.clearProblem(this.options.db, this.options.owner, origin);
    await this.refresh();
  }

  /** Periodic: heal missing targets, read the catalog, resume builds nobody runs, drop what is due. */
  private async maintain(): Promise<void> {
    if (this.closed) return;
    await this.healMissing();
    await this.refresh();
    this.startPendingBuilds();
    for (const row of await this.catalog.dueForDrop(this.options.db, this.options.owner)) {
      await this.options.db.tx('tributary-view-drop', async (t) => {
        await this.catalog.lockView(t, row.view);
        await this.options.storage.lock(t, row.view, []);
        await this.options.storage.dropPhysical(t, row.physical, row.view);
        await t.none(`DELETE FROM ${this.catalog.table} WHERE physical_table = $1 AND state = 'retired'`, [
          row.physical,
        ]);
      });
      this.options.logger.info({ physical: row.physical }, `Dropped a retired ${this.options.noun}.`);
    }
  }

  /**
   * A catalogued target that is gone (dropped by hand, a restored database) is retired and its
   * configuration applied again, which builds it anew; until then writes to it are retried.
   */
  private async healMissing(): Promise<void> {
    const rows = await this.catalog.active(this.options.db, this.options.owner);
    const existing = await this.options.storage.existing(
      this.options.db,
      rows.map((r) => r.physical),
    );
    for (const row of rows.filter((r) => !existing.has(r.physical))) {
      this.options.logger.error(
        { physical: row.physical, state: row.state },
        `A ${this.options.noun} in the catalog does not exist; building it again.`,
      );
      await this.options.db.tx('tributary-view-heal', async (t) => {
        await this.catalog.lockView(t, row.view);
        if (await this.catalog.isInState(t, row.physical, row.state))
          await this.catalog.retire(t, row.physical, 0, 'target missing; rebuilt');
      });
      await this.apply(row.origin ?? `catalog:${row.physical}`, row.source);
    }
  }

  /** After an in-place migration, re-applies every document to the live target so new fields fill in. */
  private refreshInPlace(definition: D): void {
    const physical = this.options.storage.physicalName(definition);
    this.track(`refresh:${physical}`, async () => {
      await sleep(this.options.buildStartDelayMs);
      const documents = await this.options.builder.build(
        this.job(physical, definition, 'refresh', undefined, 'live'),
      );
      this.options.logger.info({ physical, documents }, `Refreshed a ${this.options.noun} in place.`);
    });
  }

  private job(
    physical: string,
    definition: D,
    mode: BuildJob<D>['mode'],
    resumeFrom: BuildJob<D>['resumeFrom'],
    state: 'building' | 'live',
  ): BuildJob<D> {
    return {
      physical,
      definition,
      mode,
      resumeFrom,
      progress: (documents, position) =>
        this.catalog.setProgress(this.options.db, physical, { documents, position }),
      cancelled: async () => this.closed || !(await this.catalog.isInState(this.options.db, physical, state)),
    };
  }

  /** Runs `work` once per key in this process, logging (and recording) its failure. */
  private track(key: string, work: () => Promise<void>, physical?: string): void {
    if (this.closed || this.builds.has(key)) return;
    const run = work()
      .catch(async (error: unknown) => {
        if (this.closed || this.options.signal?.aborted) {
          this.options.logger.info(
            { key },
            `A ${this.options.noun} build stopped with the pipeline; the next start resumes it.`,
          );
          return;
        }
        this.options.logger.error(
          { key, error: message(error) },
          `A ${this.options.noun} build failed; it is retried.`,
        );
        if (physical)
          await this.catalog.setError(this.options.db, physical, message(error)).catch(() => undefined);
      })
      .finally(() => this.builds.delete(key));
    this.builds.set(key, run);
  }

  private startPendingBuilds(): void {
    for (const view of this.views) {
      if (view.row.state === 'building')
        this.track(view.row.physical, () => this.build(view), view.row.physical);
    }
  }

  /** Fills a building target and swaps it in, unless another worker holds its build lock. */
  private async build(view: ActiveView<D>): Promise<void> {
    const { physical } = view.row;
    const session = await this.options.db.connect();
    try {
      if (!(await this.catalog.tryBuildLock(session, physical))) return;
      try {
        await sleep(this.options.buildStartDelayMs);
        const started = Date.now();
        this.running.set(view.row.view, started);
        // Where the last holder of the lock got to (this process's snapshot of the row may be older).
        const [current] = await this.catalog.named(this.options.db, physical);
        const job = this.job(physical, view.definition, 'build', current?.progress ?? undefined, 'building');
        const documents = await this.options.builder.build(job);
        if (await job.cancelled()) return;
        await this.swap(view.row);
        this.options.logger.info(
          { physical, documents, ms: Date.now() - started },
          `Built a ${this.options.noun} and swapped it in.`,
        );
      } finally {
        this.running.delete(view.row.view);
        await this.catalog.releaseBuildLock(session, physical);
      }
    } finally {
      void session.done();
    }
    await this.refresh();
  }

  /** In one catalog transaction: the built target becomes live, the old one retired, readers pointed at the new one. */
  private async swap(row: ViewCatalogRow): Promise<void> {
    await this.options.db.tx('tributary-view-swap', async (t) => {
      await this.catalog.lockView(t, row.view);
      const current = await this.catalog.ofView(t, row.view);
      const building = current.find((r) => r.physical === row.physical && r.state === 'building');
      if (!building) return;
      await this.options.storage.lock(t, row.view, []);
      const definition = this.options.compile(row.source);
      const live = current.find((r) => r.state === 'live');
      if (live) await this.catalog.retire(t, live.physical, this.options.graceMs);
      const physical = await this.takeOwnName(t, row.physical, live, definition);
      const count = await this.options.storage.count(t, physical);
      await this.options.storage.swapReaders(t, row.view, physical, definition);
      await this.catalog.markLive(t, physical, count);
    });
  }

  /**
   * A forced rebuild's twin takes the definition's own name at the swap (the retired live target
   * steps aside when it holds it), when the storage can rename; resolves with the name it ends with.
   */
  private async takeOwnName(
    t: CatalogTx,
    physical: string,
    live: ViewCatalogRow | undefined,
    definition: D,
  ): Promise<string> {
    const rename = this.options.storage.rename?.bind(this.options.storage);
    const own = this.options.storage.physicalName(definition);
    if (!rename || physical === own) return physical;
    if (live?.physical === own) {
      const aside = this.options.storage.physicalName(definition, `x${randomBytes(3).toString('hex')}`);
      await rename(t, own, aside, definition);
      await this.catalog.rename(t, own, aside);
    }
    if ((await this.catalog.named(t, own)).length) return physical;
    if ((await this.options.storage.existing(t, [own])).has(own)) return physical;
    await rename(t, physical, own, definition);
    await this.catalog.rename(t, physical, own);
    return own;
  }
}

/** Whether a catalog row names the same subject as a definition (same labels). */
function sameLabels(row: ViewCatalogRow, definition: ViewDefinition): boolean {
  return Object.entries(definition.labels).every(([label, value]) => row.labels[label] === value);
}
