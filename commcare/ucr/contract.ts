/**
 * The seam between the UCR language (compiling data source JSON into row producers) and what stores
 * the rows (tables in PostgreSQL, or memory for `tributary ucr eval`). The language never does I/O:
 * documents it needs beyond the one being evaluated come through `UcrLookups`, which the runtime
 * fills per batch.
 */

/** SQL-facing column types of a data source (the reference's §8). */
export type UcrDatatype =
  'string' | 'integer' | 'small_integer' | 'decimal' | 'date' | 'datetime' | 'boolean' | 'array';

/** One column of a data source table, default columns (doc_id, inserted_at, repeat_iteration) included. */
export interface UcrColumn {
  /** The column name as stored (already truncated the way the reference says). */
  readonly id: string;
  readonly datatype: UcrDatatype;
  readonly nullable: boolean;
  readonly primaryKey: boolean;
  /** A single-column index on it. */
  readonly createIndex: boolean;
}

/**
 * A value the way the table stores it and `tributary ucr eval` prints it: strings; integers and
 * boolean indicators (0/1) as numbers; decimals as their exact decimal text (e.g. "12.5"); dates as
 * "YYYY-MM-DD"; datetimes as naive UTC "YYYY-MM-DDTHH:MM:SS[.ffffff]"; arrays as arrays of strings and nulls (None elements).
 */
export type UcrStoredValue = string | number | null | readonly (string | null)[];

/** One row, keyed by column id. `inserted_at` is set by the writer, not the language. */
export type UcrRow = Readonly<Record<string, UcrStoredValue>>;

/** A lookup the language needs from outside the document: which store and which key. */
export interface UcrLookupKey {
  /** e.g. 'form', 'case', 'location', 'user', 'subcases', 'case_forms', 'ancestor_locations'. */
  readonly kind: string;
  readonly id: string;
  readonly domain: string;
}

/**
 * Documents from outside the evaluated one. Synchronous on purpose: evaluation runs over a batch,
 * records every key it missed, the runtime fetches them all at once, then evaluates the documents
 * that missed again.
 */
export interface UcrLookups {
  /** The value when known (null for "known not to exist"), `undefined` when not loaded yet. */
  get(key: UcrLookupKey): unknown;
}

/** What evaluating one document for one data source produced. */
export type UcrEvaluation =
  | {
      readonly status: 'rows';
      /** False when the document fails the configured filter (or validations): then `rows` is empty. */
      readonly matched: boolean;
      readonly rows: readonly UcrRow[];
    }
  /** Lookups were not loaded: fetch these and evaluate the document again. */
  | { readonly status: 'missing'; readonly missing: readonly UcrLookupKey[] };

/** A data source configuration compiled once into closures. */
export interface CompiledDataSource {
  readonly domain: string;
  readonly tableId: string;
  readonly displayName: string;
  /** XFormInstance, CommCareCase, CommCareUser or Location. */
  readonly referencedDocType: string;
  readonly isDeactivated: boolean;
  readonly disableDestructiveRebuild: boolean;
  /** Default columns first, then the indicators' columns in order. */
  readonly columns: readonly UcrColumn[];
  /** Column ids of the primary key, in order (`sql_settings.primary_key` applied). */
  readonly primaryKey: readonly string[];
  /** Multi-column indexes from `sql_column_indexes` (unknown columns dropped, as the reference says). */
  readonly indexes: readonly (readonly string[])[];
  /**
   * Hex sha1 of the canonical JSON of everything that decides the rows and the table shape (filter,
   * indicators, base item, named expressions/filters, validations, primary key) — not display names.
   */
  readonly definitionHash: string;
  /** The configuration JSON as given (for status and rebuilds). */
  readonly source: unknown;
  evaluate(doc: unknown, lookups: UcrLookups): UcrEvaluation;
}

/** What the stage emits per (data source, document): the document's complete set of rows. */
export interface UcrDocumentChange {
  docId: string;
  /** Empty removes the document's rows (deleted, no longer matching, or no rows). */
  rows: readonly UcrRow[];
}
