/**
 * The `search-index` resource as the stage and the sink see it: which logical indices the pipeline
 * keeps now, and which physical indices the documents of each go to (the live one behind the
 * readers' alias and, while a new definition builds beside it, that one too). Declared here, pure,
 * so the search stage can name the resource without importing the connector behind it.
 */
import { resourceType } from '../../runtime/contract/index.js';
import type { SearchIndexName } from './documents/search-actions.js';

export interface SearchIndexCatalog {
  /** The logical indices that have a live or building physical index now. */
  indices(): readonly SearchIndexName[];
  /** The write aliases of every physical index the documents of `index` go to now (empty: none). */
  writeTargets(index: SearchIndexName): readonly string[];
  /** Reads the targets again (a write found one gone: retired meanwhile, or replaced). */
  refresh(): Promise<void>;
}

export const searchIndexType = resourceType<SearchIndexCatalog>('search-index');
