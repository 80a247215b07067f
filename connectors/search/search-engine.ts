/**
 * The one small interface both search engines sit behind (OpenSearch 2 and Elasticsearch 8/9):
 * bulk writes with per-item results, searches, counts, and the index and alias administration the
 * index lifecycle needs. Failures come out classified: a RetryableError when the engine is
 * unreachable, timed out, overloaded (429) or failing (5xx); a SearchEngineError otherwise.
 */

export type EngineKind = 'opensearch' | 'elasticsearch';

/** One action's outcome in a bulk response, in the order the actions were sent. */
export interface BulkItemResult {
  status: number;
  /** The engine's error type (`mapper_parsing_exception`, `version_conflict_engine_exception`…). */
  errorType?: string;
  reason?: string;
}

export interface SearchHit {
  id: string;
  index: string;
  source: Record<string, unknown>;
  sort?: unknown[];
}

export interface SearchResponse {
  total: number;
  hits: SearchHit[];
  aggregations?: Record<string, unknown>;
  tookMs: number;
}

export interface IndexInfo {
  name: string;
  docs: number;
  aliases: string[];
}

export type AliasAction =
  | { add: { index: string; alias: string; is_write_index?: boolean } }
  | { remove: { index: string; alias: string } };

export interface SearchEngine {
  readonly kind: EngineKind;
  readonly version: string;
  /** Sends one bulk request (NDJSON); resolves with one result per action. A request-level failure throws. */
  bulk(body: string, timeoutMs: number): Promise<BulkItemResult[]>;
  search(index: string, body: Record<string, unknown>, timeoutMs?: number): Promise<SearchResponse>;
  count(index: string, query: Record<string, unknown>): Promise<number>;
  /** Creates an index with its settings, mappings and aliases; resolves quietly if it already exists. */
  createIndex(
    name: string,
    body: { settings: unknown; mappings: unknown; aliases?: Record<string, unknown> },
  ): Promise<void>;
  /** Deletes an index; resolves quietly if it does not exist. */
  deleteIndex(name: string): Promise<void>;
  /** The indices matching a pattern (`t1_*`), with document counts and aliases. */
  indices(pattern: string): Promise<IndexInfo[]>;
  /** The indices an alias points at (none when the alias does not exist). */
  aliasTargets(alias: string): Promise<string[]>;
  /** Applies alias actions atomically. */
  updateAliases(actions: AliasAction[]): Promise<void>;
  refresh(index: string): Promise<void>;
  /** Sets dynamic index settings (refresh interval, …). */
  putSettings(index: string, settings: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** A refusal by the engine that retrying will not change (a bad query, a missing index…). */
export class SearchEngineError extends Error {
  override readonly name = 'SearchEngineError';
  constructor(
    message: string,
    readonly status: number,
    readonly type: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
