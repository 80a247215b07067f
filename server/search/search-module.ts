/**
 * Search's route module for `startServer`: case search, the lists over the indices, and single
 * records from the primary store. The domains' case search configurations are read at start (a
 * bad file stops the server, naming it); the engine is connected on first use.
 */
import { readCaseSearchConfigs } from '../../connectors/search/case-search-config-folder.js';
import type { EngineChoice } from '../../connectors/search/create-search-engine.js';
import type { RouteModuleFactory } from '../server.js';
import { caseSearchRoutes } from './case-search-routes.js';
import { listRoutes } from './list-routes.js';
import { recordRoutes } from './record-routes.js';
import { SearchConnection } from './search-connection.js';

export interface SearchModuleOptions {
  /** The index prefix of the search pipeline's sink (`indexPrefix`); none by default. */
  indexPrefix?: string;
  /** Folder of the case search configurations; `pipelines/search/case-search` by default. */
  caseSearchConfigs?: string;
  engine?: EngineChoice;
  /** The cluster; the server's SEARCH_URL by default. */
  url?: string;
}

export function searchModule(options: SearchModuleOptions = {}): RouteModuleFactory {
  return async ({ endpoints, db }) => {
    const configs = await readCaseSearchConfigs(options.caseSearchConfigs ?? 'pipelines/search/case-search');
    const connection = new SearchConnection(
      options.url ?? endpoints.SEARCH_URL,
      options.engine ?? 'auto',
      options.indexPrefix ?? '',
    );
    return {
      name: 'search',
      routes: [...caseSearchRoutes(connection, configs), ...listRoutes(connection), ...recordRoutes(db)],
      close: () => connection.close(),
    };
  };
}
