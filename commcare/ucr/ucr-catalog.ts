/**
 * What the `ucr` stage and the `ucr-postgres` sink share: the `ucr-catalog` resource declared in
 * the pipeline file (`resources: { ucr: { type: ucr-catalog, … } }`, named by both as
 * `catalog: ucr`). The types are here, pure; `connectors/ucr` implements them over PostgreSQL,
 * CouchDB and Redis. A stage reaches it only through its context, never through the connector.
 */
import { resourceType } from '../../runtime/contract/index.js';
import type { CompiledDataSource, UcrLookupKey } from './contract.js';

/** One data source definition the stage evaluates: a live table's, or one being built beside it. */
export interface UcrActiveDataSource {
  /** Routes the records of this definition to the sink (`routing.target`). */
  readonly key: string;
  readonly dataSource: CompiledDataSource;
}

/** One table the records of a data source key are written to. */
export interface UcrTableTarget {
  /** The physical table (unquoted, in the UCR schema). */
  readonly table: string;
  readonly dataSource: CompiledDataSource;
  /**
   * Also apply a version equal to the stored one: a table refreshed in place re-evaluates
   * documents whose version did not change. False for live writes (a replay is a no-op).
   */
  readonly replaceEqualVersion: boolean;
}

export interface UcrCatalog {
  /** Every definition (live or building) of the domain for this referenced doc type; a snapshot. */
  dataSources(domain: string, referencedDocType: string): readonly UcrActiveDataSource[];
  /**
   * Loads the values of these keys at once (cached); resolves with one entry per key, `null` for
   * "does not exist". Rejects with a retryable error when a store is unreachable.
   */
  fetch(keys: readonly UcrLookupKey[]): Promise<Map<string, unknown>>;
  /** Every table the records of a data source key go to (the live one, and its twin being built). */
  tablesFor(key: string): readonly UcrTableTarget[];
  /** Reads the catalog again (a write found a table renamed, swapped or dropped under it). */
  refresh(): Promise<void>;
}

/** The `ucr-catalog` resource type, as components name it in their config (`catalog: ucr`). */
export const ucrCatalogType = resourceType<UcrCatalog>('ucr-catalog');

/** The string a lookup key is cached and returned under. */
export function lookupKeyId(key: UcrLookupKey): string {
  return `${key.kind}\u0000${key.domain}\u0000${key.id}`;
}
