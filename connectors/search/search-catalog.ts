/**
 * The catalog of search indices: the view lifecycle's catalog (views/view-catalog.ts) as
 * `tributary_search.indices`, one row per physical index labelled with its logical index, and the
 * mapping files that could not be used in `tributary_search.definition_errors`.
 */
import { ViewCatalog } from '../views/view-catalog.js';

export const searchViewCatalog = new ViewCatalog({
  schema: 'tributary_search',
  table: 'indices',
  problemsTable: 'definition_errors',
  labels: ['search_index'],
  lockPrefix: 'tributary_search',
});
