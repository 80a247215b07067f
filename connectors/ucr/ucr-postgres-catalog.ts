/**
 * The `ucr-catalog` resource as the connectors that write UCR tables see it: the stage's
 * interface (commcare/ucr) plus the database the tables live in. Same resource type name, so a
 * pipeline file names one catalog for both the `ucr` stage and the `ucr-postgres` sink.
 */
import { resourceType } from '../../runtime/contract/index.js';
import { ucrCatalogType, type UcrCatalog } from '../../commcare/ucr/ucr-catalog.js';
import type { Database } from '../postgres/postgres-pool.js';

export interface UcrPostgresCatalog extends UcrCatalog {
  /** The database of the catalog and of every table it lists. */
  readonly db: Database;
  /** Why nothing can be written now (no usable data source), or undefined. */
  notReady(): string | undefined;
}

export const ucrPostgresCatalogType = resourceType<UcrPostgresCatalog>(ucrCatalogType.name);
