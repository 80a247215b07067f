/**
 * The `ucr-catalog` resource: the data sources of a pipeline and their PostgreSQL tables. It reads
 * the configurations (a folder, optionally the configs topic), keeps one table per data source
 * through the view lifecycle (build beside, swap the view, retire), builds tables by running the
 * pipeline's own stages over the source of truth, and loads the lookups expressions need. The `ucr`
 * stage and the `ucr-postgres` sink name it (`catalog: ucr`) and share it.
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import {
  defineResource,
  type Resource,
  type ResourceContext,
  type ViewBuild,
} from '../../runtime/contract/index.js';
import type { UcrActiveDataSource, UcrTableTarget } from '../../commcare/ucr/ucr-catalog.js';
import type { UcrLookupKey } from '../../commcare/ucr/contract.js';
import { ucrViewName } from '../../commcare/ucr/ucr-table-names.js';
import { postgresConnectionFields, postgresPoolOf, type Database } from '../postgres/postgres-pool.js';
import { ViewLifecycle } from '../views/view-lifecycle.js';
import { ucrViewCatalog } from './ucr-catalog.js';
import { ConfigFolder } from '../views/config-folder.js';
import { UcrConfigsConsumer } from './ucr-configs-consumer.js';
import { UcrLookupLoader } from './ucr-lookup-loader.js';
import { ucrPostgresCatalogType, type UcrPostgresCatalog } from './ucr-postgres-catalog.js';
import { ucrStatus, ucrStatusReport } from './ucr-status.js';
import { UcrTableStorage } from './ucr-table-storage.js';
import { UcrViewBuilder } from './ucr-view-builder.js';
import { ucrProblemLabels, ucrViewDefinition, type UcrViewDefinition } from './ucr-view-definition.js';

const ucrCatalogConfig = z.object({
  ...postgresConnectionFields,
  configFolder: z
    .string()
    .default('pipelines/ucr')
    .describe(
      'Folder whose `*.json` files (not subfolders) are data source configurations; relative to the working directory.',
    ),
  configsTopic: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Topic of configuration change events (Avro ConfigDocument, e.g. `configs`) to follow for DataSourceConfiguration documents; off when absent.',
    ),
  configPollMs: z
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .describe('How often the folder is read again for new, changed or removed files (0: only at start).'),
  graceMs: z
    .number()
    .int()
    .nonnegative()
    .default(600_000)
    .describe('How long a replaced or deactivated table is kept before it is dropped.'),
  backfillChunkDocs: z
    .number()
    .int()
    .positive()
    .default(500)
    .describe(
      'Documents read per page from the primary store (or CouchDB) while a table builds; each page is one batch through the pipeline.',
    ),
  catalogPollMs: z
    .number()
    .int()
    .positive()
    .default(5_000)
    .describe(
      'How often the catalog is read again, to follow tables other workers built, swapped or retired.',
    ),
  buildStartDelayMs: z
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .describe(
      'How long a new build waits before reading the primary store, so every worker has seen the building table first ' +
        '(at least catalogPollMs when several workers run the pipeline).',
    ),
  lookupCacheEntries: z
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .describe('Lookups (related cases, forms, users, locations) kept in process.'),
  lookupCacheMiB: z
    .number()
    .positive()
    .default(32)
    .describe('MiB (of their JSON text) the lookups kept in process may take; the oldest go first.'),
  lookupCacheTtlSeconds: z
    .number()
    .int()
    .nonnegative()
    .default(30)
    .describe('How long a looked-up document is reused, in process and in Redis (0: always read it again).'),
  redisUrl: z
    .string()
    .optional()
    .describe('Redis for the shared lookup cache; REDIS_URL (or the local stack) when absent.'),
  redis: z.boolean().default(true).describe('Share the lookup cache through Redis.'),
  couchdbUrl: z
    .string()
    .optional()
    .describe(
      'CouchDB for user and location lookups and builds; COUCHDB_URL (or the local stack) when absent.',
    ),
  couchDatabases: z
    .record(z.string(), z.string())
    .default({ user: 'commcarehq__users', location: 'commcarehq', group: 'commcarehq' })
    .describe(
      'CouchDB database per lookup kind; `user` and `location` are also where CommCareUser and Location data sources are built from. The defaults are where CommCare HQ (and the demo seed) keep them: users in commcarehq__users, locations and groups in the main database.',
    ),
});

export type UcrCatalogConfig = z.output<typeof ucrCatalogConfig>;

export const ucrCatalogResource = defineResource({
  provides: ucrPostgresCatalogType,
  summary:
    'The UCR data sources of a pipeline and their PostgreSQL tables, shared by the ucr stage and sink.',
  description:
    'Owns the data source configurations (the config folder, optionally the configs topic), the catalog ' +
    '`tributary_ucr.data_sources`, and one table per data source kept through the view lifecycle: a new definition is ' +
    "built beside the live table (by running the pipeline's own stages over the primary store, or CouchDB for users " +
    'and locations, while live changes go to both), the view `tributary_ucr."<domain>_<table_id>"` is swapped to it ' +
    'in one transaction, and the old table dropped after the grace period; changes that only add nullable columns or ' +
    'indexes migrate the live table in place. Loads the lookups (related cases, forms, users, locations) the ' +
    'expressions need, cached in process and in Redis.',
  config: ucrCatalogConfig,
  example: `type: ucr-catalog
configFolder: pipelines/ucr
graceMs: 600000`,
  create: async (config, ctx) => {
    const db = await postgresPoolOf(config, ctx);
    const redisUrl = config.redisUrl ?? ctx.endpoints.REDIS_URL;
    const redis = config.redis
      ? await ctx.resources.get(
          `redis:${redisUrl}`,
          () => new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true }),
          (client) => client.quit().then(() => undefined),
        )
      : undefined;
    return new UcrCatalogResource(config, db, redis, ctx);
  },
  status: async (config, ctx) =>
    ucrStatusReport(await ucrStatus(await postgresPoolOf(config, ctx), ctx.pipeline)),
});

export class UcrCatalogResource implements UcrPostgresCatalog, Resource {
  readonly lifecycle: ViewLifecycle<UcrViewDefinition>;
  private readonly loader: UcrLookupLoader;
  private readonly folder: ConfigFolder;
  private readonly configs: UcrConfigsConsumer | undefined;

  constructor(
    private readonly config: UcrCatalogConfig,
    readonly db: Database,
    redis: Redis | undefined,
    ctx: ResourceContext,
  ) {
    const couchdbUrl = config.couchdbUrl ?? ctx.endpoints.COUCHDB_URL;
    this.loader = new UcrLookupLoader(db, redis, {
      cacheEntries: config.lookupCacheEntries,
      cacheBytes: config.lookupCacheMiB * 1024 * 1024,
      cacheTtlSeconds: config.lookupCacheTtlSeconds,
      couchdbUrl,
      couchDatabases: config.couchDatabases,
      logger: ctx.logger,
    });
    this.lifecycle = new ViewLifecycle({
      db,
      catalog: ucrViewCatalog,
      storage: new UcrTableStorage(),
      builder: new UcrViewBuilder({
        db,
        catalog: this,
        ctx,
        pageDocs: config.backfillChunkDocs,
        couchdbUrl,
        couchDatabases: config.couchDatabases,
      }),
      compile: ucrViewDefinition,
      problemLabels: ucrProblemLabels,
      owner: ctx.pipeline,
      logger: ctx.logger,
      noun: 'UCR table',
      graceMs: config.graceMs,
      catalogPollMs: config.catalogPollMs,
      buildStartDelayMs: config.buildStartDelayMs,
      signal: ctx.signal,
    });
    const apply = (origin: string, json: unknown) => this.lifecycle.apply(origin, json);
    this.configs = config.configsTopic ? new UcrConfigsConsumer(config.configsTopic, apply, ctx) : undefined;
    this.folder = new ConfigFolder(config.configFolder, apply, ctx.logger);
  }

  async start(): Promise<void> {
    await this.lifecycle.start();
    await this.folder.scan();
    this.folder.watch(this.config.configPollMs);
    await this.configs?.start();
  }

  async close(): Promise<void> {
    this.folder.stop();
    await this.configs?.stop();
    await this.lifecycle.close();
  }
  builds(): ViewBuild[] {
    return this.lifecycle.runningBuilds();
  }

  dataSources(domain: string, referencedDocType: string): readonly UcrActiveDataSource[] {
    const seen = new Set<string>();
    const out: UcrActiveDataSource[] = [];
    for (const view of this.lifecycle.active()) {
      const ds = view.definition.dataSource;
      if (ds.domain !== domain || ds.referencedDocType !== referencedDocType || seen.has(view.key)) continue;
      seen.add(view.key);
      out.push({ key: view.key, dataSource: ds });
    }
    return out;
  }

  fetch(keys: readonly UcrLookupKey[]): Promise<Map<string, unknown>> {
    return this.loader.fetch(keys);
  }

  tablesFor(key: string): readonly UcrTableTarget[] {
    return this.lifecycle.targetsOf(key).map((view) => ({
      table: view.row.physical,
      dataSource: view.definition.dataSource,
      replaceEqualVersion: false,
    }));
  }

  refresh(): Promise<void> {
    return this.lifecycle.refresh();
  }

  notReady(): string | undefined {
    if (this.lifecycle.active().length > 0) return undefined;
    const from = this.config.configsTopic
      ? `${this.config.configFolder} and the ${this.config.configsTopic} topic`
      : this.config.configFolder;
    return (
      `no usable UCR data source in ${from}: none is configured, or every configuration was refused ` +
      '(`tributary status` lists why)'
    );
  }

  /** Rebuilds a live data source beside its table; resolves once swapped in (the rebuild command). */
  rebuild(domain: string, tableId: string): Promise<void> {
    return this.lifecycle.rebuild(ucrViewName(domain, tableId));
  }
}
