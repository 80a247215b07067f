/** Shared set-up of the search tests: a sink on the shared node with the test's own index prefix, records, queries. */
import { readEndpoints } from '../../connectors/endpoints.js';
import { connectSearchEngine } from '../../connectors/search/create-search-engine.js';
import type { SearchEngine } from '../../connectors/search/search-engine.js';
import {
  searchIndexResource,
  type SearchIndexResource,
} from '../../connectors/search/search-index-resource.js';
import { searchSink, type SearchSink } from '../../connectors/search/search-sink.js';
import type { SinkRecord, SourceRecord } from '../../runtime/contract/index.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { standaloneContext } from '../../runtime/engine/standalone-context.js';

export const origin = (offset: number): SourceRecord => ({
  key: null,
  value: null,
  headers: {},
  timestamp: 0,
  position: { lane: '0', offset: String(offset) },
  raw: { key: null, value: null, headers: {} },
});

/** A record for the search sink: the document of `id` at `version` in a logical index (null deletes it). */
export function doc(
  index: string,
  id: string,
  version: number,
  value: Record<string, unknown> | null,
): SinkRecord {
  return {
    key: id,
    value,
    headers: {},
    timestamp: 0,
    routing: { target: index, version, op: value === null ? 'delete' : 'upsert' },
    origin: origin(version),
  };
}

/** The resource fields of `config`; the rest are the sink's. */
const resourceKeys = new Set(Object.keys(searchIndexResource.config.shape));

/**
 * A search-index resource (no backfill: the test writes what it wants) and a search sink through
 * it, outside a pipeline; resolves once every index is live behind its alias.
 */
export async function startSearchSink(
  config: Record<string, unknown>,
  resources = new ResourcePool(),
): Promise<{ sink: SearchSink; resources: ResourcePool; catalog: SearchIndexResource }> {
  const pick = (resource: boolean) =>
    Object.fromEntries(Object.entries(config).filter(([key]) => resourceKeys.has(key) === resource));
  const endpoints = readEndpoints();
  const base = standaloneContext({
    pipeline: `test-${config.indexPrefix as string}`,
    endpoints,
    resources,
    delivery: { maxBatchRecords: 500, maxBatchBytes: 1 << 20, maxWaitMs: 100, maxInFlight: 4 },
  });
  const catalog = (await searchIndexResource.create(
    searchIndexResource.config.parse({ backfill: false, buildStartDelayMs: 0, graceMs: 0, ...pick(true) }),
    {
      ...base,
      name: 'search',
      runBounded: () => Promise.reject(new Error('no builds from a store in this test')),
    },
  )) as SearchIndexResource;
  await catalog.start();
  await catalog.lifecycle.settled();
  await catalog.refresh();
  const ctx = { ...base, resource: <T>() => catalog as T };
  const sink = (await searchSink.create(
    searchSink.config.parse({ catalog: 'search', ...pick(false) }),
    ctx,
  )) as SearchSink;
  await resources.get(
    'search-index-resource',
    () => catalog,
    (c) => c.close(),
  );
  return { sink, resources, catalog };
}

/** The sources of the live (non-tombstone) documents of an alias, by id, after a refresh. */
export async function liveDocs(
  engine: SearchEngine,
  alias: string,
): Promise<Map<string, Record<string, unknown>>> {
  await engine.refresh(alias);
  const response = await engine.search(alias, {
    size: 10_000,
    query: { bool: { must_not: [{ term: { __is_tombstone__: true } }] } },
  });
  return new Map(response.hits.map((hit) => [hit.id, hit.source]));
}

/** Deletes every index of a test's prefix. */
export async function dropIndices(prefix: string, url = readEndpoints().SEARCH_URL): Promise<void> {
  const engine = await connectSearchEngine(url);
  try {
    for (const index of await engine.indices(`${prefix}*`)) await engine.deleteIndex(index.name);
  } finally {
    await engine.close();
  }
}
