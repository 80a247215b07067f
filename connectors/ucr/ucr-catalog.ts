/**
 * The catalog of UCR tables: the view lifecycle's catalog (views/view-catalog.ts) as
 * `tributary_ucr.data_sources`, labelled with each data source's domain and table_id, and its
 * unusable configurations in `tributary_ucr.config_errors`. `tributary status` reads both.
 */
import { ucrQualified, ucrSchema } from '../../commcare/ucr/ucr-table-names.js';
import { ViewCatalog } from '../views/view-catalog.js';

export const ucrViewCatalog = new ViewCatalog({
  schema: ucrSchema,
  table: 'data_sources',
  problemsTable: 'config_errors',
  labels: ['domain', 'table_id'],
  lockPrefix: 'tributary_ucr',
});

export const ucrCatalogTable = ucrQualified('data_sources');
export const ucrProblemsTable = ucrQualified('config_errors');
