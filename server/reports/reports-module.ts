/** The reports' route module for `startServer`: loads the report configurations and serves them. */
import { UcrLookupLoader } from '../../connectors/ucr/ucr-lookup-loader.js';
import { lookupKeyId } from '../../commcare/ucr/ucr-catalog.js';
import type { RouteModuleFactory, ServerServices } from '../server.js';
import { reportRoutes } from './report-routes.js';
import { createReportService } from './report-service.js';

export interface ReportsModuleOptions {
  /** Folder of report configuration files; `pipelines/ucr/reports` of this repository by default. */
  reportsDir?: string;
  /** CouchDB databases of users and of groups, locations and domains (CommCare's `commcarehq`). */
  usersDatabase?: string;
  mainDatabase?: string;
  /** The largest `max_expansion` a report may ask for (CommCare's server setting). */
  maxExpansion?: number;
}

/** The `default_lang` of the domain's `Domain` document, read once per minute at most. */
function domainLanguage(
  services: ServerServices,
  database: string,
): (domain: string) => Promise<string | undefined> {
  const cache = new Map<string, { value: string | undefined; until: number }>();
  return async (domain) => {
    const hit = cache.get(domain);
    if (hit && hit.until > Date.now()) return hit.value;
    const url = new URL(
      `${encodeURIComponent(database)}/_find`,
      services.endpoints.COUCHDB_URL.replace(/\/?$/, '/'),
    );
    const auth = url.username
      ? {
          authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`,
        }
      : {};
    url.username = '';
    url.password = '';
    let value: string | undefined;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({
          selector: { doc_type: 'Domain', name: domain },
          fields: ['default_lang'],
          limit: 1,
        }),
        signal: AbortSignal.timeout(5_000),
      });
      const body = response.ok ? ((await response.json()) as { docs?: { default_lang?: unknown }[] }) : {};
      const lang = body.docs?.[0]?.default_lang;
      value = typeof lang === 'string' && lang !== '' ? lang : undefined;
    } catch (error) {
      services.logger.warn(
        { domain, err: (error as Error).message },
        "Could not read the domain's default language.",
      );
    }
    cache.set(domain, { value, until: Date.now() + 60_000 });
    return value;
  };
}

export function reportsModule(options: ReportsModuleOptions = {}): RouteModuleFactory {
  return (services) => {
    const { db, logger, settings } = services;
    const mainDatabase = options.mainDatabase ?? 'commcarehq';
    // The same batched, cached lookups as the UCR stage (users, groups, locations from CouchDB).
    const loader = new UcrLookupLoader(db, undefined, {
      cacheEntries: 10_000,
      cacheTtlSeconds: 30,
      couchdbUrl: services.endpoints.COUCHDB_URL,
      couchDatabases: {
        user: options.usersDatabase ?? 'commcarehq__users',
        group: mainDatabase,
        location: mainDatabase,
      },
      logger,
    });
    const service = createReportService({
      db,
      logger,
      maxLimit: settings.TRIBUTARY_REPORT_MAX_ROWS,
      ...(options.reportsDir ? { reportsDir: options.reportsDir } : {}),
      ...(options.maxExpansion ? { maxExpansion: options.maxExpansion } : {}),
      lookups: async (keys) => {
        const found = await loader.fetch(keys);
        return keys.map((key) => found.get(lookupKeyId(key)) ?? null);
      },
      defaultLanguage: domainLanguage(services, mainDatabase),
    });
    service
      .load()
      .catch((error: unknown) =>
        logger.error({ err: (error as Error).message }, 'Some report configurations are invalid.'),
      );
    return reportRoutes(service);
  };
}
