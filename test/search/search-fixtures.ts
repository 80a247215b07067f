/** Shared set-up of the search tests: a sink on the shared node with the test's own index prefix, records, queries. */
import { readEndpoints } from '../../connectors/endpoints.js';
import { connectSearchEngine } from '../../connectors/search/create-search-engine.js';
import type { SearchEngine } from '../../connectors/search/search-engine.js';
import { searchSink, type SearchSink } from '../../connectors/search/search-sink.js';
import type { SinkRecord, SourceRecord } from '../../runtime/contract/index.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { silentLogger } from '../../runtime/telemetry/logger.js';

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

export async function startSearchSink(
  config: Record<string, unknown>,
  resources = new ResourcePool(),
): Promise<{ sink: SearchSink; resources: ResourcePool }> {
  const parsed = searchSink.config.parse({ url: readEndpoints().SEARCH_URL, ...config });
  const sink = (await searchSink.create(parsed, {
    pipeline: 'test',
    logger: silentLogger,
    signal: new AbortController().signal,
    resources,
    delivery: { maxBatchRecords: 500, maxBatchBytes: 1 << 20, maxWaitMs: 100, maxInFlight: 4 },
  })) as SearchSink;
  await sink.start();
  return { sink, resources };
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
