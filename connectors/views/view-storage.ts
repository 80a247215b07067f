/**
 * The seams of the view lifecycle (view-lifecycle.ts): what a definition tells it, the storage
 * adapter that makes physical targets and points readers at one (UCR: tables and a view; search:
 * indices and an alias), and the builder that fills a new target. An adapter is a handful of
 * small methods; the lifecycle owns the order, the locks, the catalog and the timers.
 */

/** What the lifecycle needs of a definition (a compiled UCR data source, an index mapping…). */
export interface ViewDefinition {
  /** The readers' name (a UCR view, a search alias), one per definition subject. */
  readonly view: string;
  /** Changes with anything that decides the content or shape of the physical target. */
  readonly hash: string;
  /** The definition as given (JSON): kept in the catalog, compiled again by every worker. */
  readonly source: unknown;
  /** Catalog columns naming what the view is made from (UCR: domain, table_id). */
  readonly labels: Readonly<Record<string, string>>;
  /** True to retire the view (its target goes after the grace period). */
  readonly deactivated: boolean;
  /** False when the definition forbids rebuilds (UCR's disable_destructive_rebuild): a change needing one is refused. */
  readonly rebuildable: boolean;
}

/** Statements inside the catalog's transaction (a pg-promise task or transaction). */
export interface CatalogTx {
  none(query: string, values?: unknown): Promise<null>;
  any<T = unknown>(query: string, values?: unknown): Promise<T[]>;
  one<T = unknown>(query: string, values?: unknown): Promise<T>;
  oneOrNone<T = unknown>(query: string, values?: unknown): Promise<T | null>;
}

/** How a storage applies an in-place change: run inside the catalog transaction, naming the result `physical`. */
export type InPlaceMigration = (tx: CatalogTx, physical: string) => Promise<void>;

/**
 * The storage adapter. Every method that takes `tx` runs inside the catalog's transaction: a
 * store in the same database (UCR tables) commits with it; another store (an index and an alias)
 * makes its call idempotent, since the catalog may roll back after it and the step is retried.
 */
export interface ViewStorage<D extends ViewDefinition> {
  /** The physical name of a definition; `twin` (a short random tag) for a forced rebuild beside a live one. */
  physicalName(definition: D, twin?: string): string;
  /** Creates the empty physical target; safe to run again. */
  createPhysical(tx: CatalogTx, physical: string, definition: D): Promise<void>;
  /** Points readers' name `view` at `physical`, atomically for readers. */
  swapReaders(tx: CatalogTx, view: string, physical: string, definition: D): Promise<void>;
  /** Removes a physical target, and `view` with it when the view still points there (a retired data source). */
  dropPhysical(tx: CatalogTx, physical: string, view: string): Promise<void>;
  /** Which of these physical targets exist (a catalogued one that does not is built again), as `q` sees them. */
  existing(q: CatalogTx, physicals: readonly string[]): Promise<Set<string>>;
  /**
   * Takes the storage's own locks before a change of `view`'s targets, in the order writers take
   * them (so a writer and the change wait for each other instead of deadlocking); released with `tx`.
   */
  lock(tx: CatalogTx, view: string, physicals: readonly string[]): Promise<void>;
  /** Rows or documents in a physical target (recorded at the swap). */
  count(tx: CatalogTx, physical: string): Promise<number>;
  /** Renames a target (a forced rebuild's twin takes the definition's own name at the swap); optional. */
  rename?(tx: CatalogTx, from: string, to: string, definition: D): Promise<void>;
  /**
   * How to change the live target in place from `live` to `next` so readers keep every row (UCR:
   * only new nullable columns and index changes), or undefined when `next` needs a build; optional.
   */
  migrateInPlace?(live: { physical: string; definition: D }, next: D): InPlaceMigration | undefined;
}

export interface BuildJob<D extends ViewDefinition> {
  physical: string;
  definition: D;
  /** `build` fills a new target; `refresh` re-applies every document to a live one migrated in place. */
  mode: 'build' | 'refresh';
  /** Where an earlier attempt of this build stopped (its last committed position and count), if it did. */
  resumeFrom: { position: string; documents: number } | undefined;
  /** Records how far the build got (shown by status; where a later attempt resumes). */
  progress(documents: number, position: string): Promise<void>;
  /** True once the build is no longer wanted (retired, replaced, the process stopping). */
  cancelled(): Promise<boolean>;
}

/** Fills a physical target from the source of truth; resolves with the documents read. */
export interface ViewBuilder<D extends ViewDefinition> {
  build(job: BuildJob<D>): Promise<number>;
}
