/**
 * The `search-index` resource: a pipeline's search indices, one per mapping file of its folder,
 * kept through the view lifecycle (connectors/views) like UCR tables. Each index is a physical
 * index named by the hash of its settings and mapping behind the readers' alias; a changed file is
 * built beside the live index (backfilled from the primary store through the pipeline's own stage
 * and sink while live changes go to both), the alias swapped in one call, and the old index dropped
 * after the grace period. The `search-documents` stage and the `search` sink name it (`catalog:`).
 */
import { z } from 'zod';
import {
  BadConfigError,
  defineResource,
  type Resource,
  type ResourceContext,
  type ViewBuild,
} from '../../runtime/contract/index.js';
import { searchIndexNames, type SearchIndexName } from '../../commcare/search/index.js';
import { postgresConnectionFields, postgresPoolOf, type Database } from '../postgres/postgres-pool.js';
import { ViewLifecycle } from '../views/view-lifecycle.js';
import { connectSearchEngine, searchEngine } from './create-search-engine.js';
import { searchIndexTargetsType, writeAliasOf, type SearchIndexTargets } from './index-targets.js';
import { searchViewCatalog } from './search-catalog.js';
import type { SearchEngine } from './search-engine.js';
import { SearchIndexBuilder } from './search-index-builder.js';
import { SearchIndexStorage } from './search-index-storage.js';
import { readIndexDefinitions } from './search-mapping-folder.js';
import { ConfigFolder } from '../views/config-folder.js';
import { searchStatus, searchStatusReport } from './search-status.js';
import {
  logicalIndexOf,
  searchProblemLabels,
  searchViewDefinition,
  type SearchViewDefinition,
} from './search-view-definition.js';

const searchIndexConfig = z.object({
  ...postgresConnectionFields,
  searchUrl: z
    .string()
    .optional()
    .describe('Search cluster URL; SEARCH_URL (or the local stack) when absent.'),
  engine: z
    .enum(['auto', 'opensearch', 'elasticsearch'])
    .default('auto')
    .describe(
      'Which client to use: `auto` asks the cluster (`GET /`) whether it is OpenSearch or Elasticsearch.',
    ),
  indexPrefix: z
    .string()
    .regex(/^([a-z0-9][a-z0-9_-]*)?$/, 'expected lowercase letters, digits, _ and -')
    .default('')
    .describe(
      'Prepended to every alias and index name (`<prefix>cases`), so deployments or tests can share a cluster.',
    ),
  mappings: z
    .string()
    .min(1)
    .default('pipelines/search')
    .describe(
      'Folder of the index mapping files (`<index>.json`); relative to the working directory. A bad file at start stops the start.',
    ),
  indices: z
    .array(z.enum(searchIndexNames))
    .min(1)
    .optional()
    .describe('The indices this pipeline keeps; every index with a mapping file when absent.'),
  requestTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe('How long one request to the engine may take before it counts as failed (and is retried).'),
  graceMs: z
    .number()
    .int()
    .nonnegative()
    .default(600_000)
    .describe('How long a replaced index is kept (readers of it finish) before it is deleted.'),
  backfill: z
    .boolean()
    .default(true)
    .describe(
      'Fill a new index from the primary store (forms; cases for cases and case_search) before its alias is swapped to it; false: from live changes only.',
    ),
  backfillDomains: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      'Only these domains are read from the primary store when an index builds; every domain when absent.',
    ),
  mappingsPollMs: z
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .describe(
      'How often the mapping folder is read again; a changed file builds its index anew beside the live one (0: only at start).',
    ),
  backfillChunkDocs: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe(
      'Documents read per page from the primary store while an index builds; each page is one batch.',
    ),
  catalogPollMs: z
    .number()
    .int()
    .positive()
    .default(5_000)
    .describe(
      'How often the catalog is read again, to follow indices other workers built, swapped or retired.',
    ),
  buildStartDelayMs: z
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .describe(
      'How long a new build waits before reading the primary store, so every worker writes live changes to the new index first ' +
        '(at least catalogPollMs when several workers run the pipeline).',
    ),
});

export type SearchIndexConfig = z.output<typeof searchIndexConfig>;

export const searchIndexResource = defineResource({
  provides: searchIndexTargetsType,
  summary:
    'The search indices of a pipeline (one per mapping file), shared by the search-documents stage and the search sink.',
  description:
    'Keeps one physical index per mapping file through the view lifecycle, named `<prefix><index>_<hash>` by the hash ' +
    "of its settings and mapping, behind the readers' alias `<prefix><index>`. A changed mapping is built beside the " +
    "live index (forms, cases and case_search backfilled from the primary store through the pipeline's own stage and " +
    'sink while live changes go to both; configuration indices fill from live changes), the alias is swapped to it in ' +
    'one `_aliases` call, and the old index is deleted after `graceMs`. The catalog is `tributary_search.indices`; ' +
    '`tributary reindex <pipeline> <index>` rebuilds one, `tributary status` lists them.',
  config: searchIndexConfig,
  example: `type: search-index
indexPrefix: ''
mappings: pipelines/search`,
  create: async (config, ctx) => {
    const db = await postgresPoolOf(config, ctx);
    const engine = await searchEngine(
      ctx.resources,
      config.searchUrl ?? ctx.endpoints.SEARCH_URL,
      config.engine,
      config.requestTimeoutMs,
    );
    return new SearchIndexResource(config, db, engine, ctx);
  },
  status: async (config, ctx) => {
    const engine = await connectSearchEngine(
      config.searchUrl ?? ctx.endpoints.SEARCH_URL,
      config.engine,
    ).catch(() => undefined);
    try {
      return searchStatusReport(await searchStatus(await postgresPoolOf(config, ctx), engine, ctx.pipeline));
    } finally {
      await engine?.close();
    }
  },
});

export class SearchIndexResource implements SearchIndexTargets, Resource {
  readonly lifecycle: ViewLifecycle<SearchViewDefinition>;
  /** The mapping files, applied as they appear, change or go (a generic folder of JSON configurations). */
  private readonly folder: ConfigFolder;

  constructor(
    private readonly config: SearchIndexConfig,
    readonly db: Database,
    readonly engine: SearchEngine,
    ctx: ResourceContext,
  ) {
    this.lifecycle = new ViewLifecycle({
      db,
      catalog: searchViewCatalog,
      storage: new SearchIndexStorage(engine),
      builder: new SearchIndexBuilder({
        db,
        engine,
        ctx,
        pageDocs: config.backfillChunkDocs,
        backfill: config.backfill,
        domains: config.backfillDomains,
      }),
      compile: (source) => searchViewDefinition(source, config.indexPrefix),
      problemLabels: searchProblemLabels,
      owner: ctx.pipeline,
      logger: ctx.logger,
      noun: 'search index',
      graceMs: config.graceMs,
      catalogPollMs: config.catalogPollMs,
      buildStartDelayMs: config.buildStartDelayMs,
      signal: ctx.signal,
    });
    this.folder = new ConfigFolder(
      config.mappings,
      (origin, json) => {
        const index = (json as { index?: unknown } | null)?.index;
        // A file of an index this pipeline does not keep is not applied (nor retired when it goes).
        if (config.indices && typeof index === 'string' && !config.indices.includes(index as SearchIndexName))
          return Promise.resolve();
        return this.lifecycle.apply(origin, json);
      },
      ctx.logger,
    );
  }

  /** Checks the mapping folder (a bad file fails the start, naming it), applies every file, then follows the folder. */
  async start(): Promise<void> {
    const all = await readIndexDefinitions(this.config.mappings);
    for (const index of this.config.indices ?? []) {
      if (!all.has(index))
        throw new BadConfigError('indices', `no mapping file for index ${index} in ${this.config.mappings}`);
    }
    await this.lifecycle.start();
    await this.folder.scan();
    this.folder.watch(this.config.mappingsPollMs);
  }

  async close(): Promise<void> {
    this.folder.stop();
    await this.lifecycle.close();
  }
  /** The index builds this process runs now (the runtime's build-age metric). */
  builds(): ViewBuild[] {
    return this.lifecycle.runningBuilds();
  }

  indices(): readonly SearchIndexName[] {
    return [...new Set(this.lifecycle.active().map((view) => logicalIndexOf(view.definition)))];
  }

  writeTargets(index: SearchIndexName): readonly string[] {
    return this.lifecycle
      .active()
      .filter((view) => logicalIndexOf(view.definition) === index)
      .map((view) => writeAliasOf(view.row.physical));
  }

  refresh(): Promise<void> {
    return this.lifecycle.refresh();
  }

  notReady(): string | undefined {
    if (this.lifecycle.active().length) return undefined;
    return `no usable search index from ${this.config.mappings} (\`tributary status\` lists why)`;
  }

  /** Rebuilds a logical index beside its live one and swaps the alias; resolves once swapped (`tributary reindex`). */
  rebuild(index: SearchIndexName): Promise<void> {
    return this.lifecycle.rebuild(`${this.config.indexPrefix}${index}`);
  }
}
