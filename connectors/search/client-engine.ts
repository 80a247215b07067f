/**
 * The SearchEngine calls over a client's transport: the REST API both engines share (`_bulk`,
 * `_search`, `_count`, index and alias administration). The clients (opensearch-engine.ts,
 * elasticsearch-engine.ts) bring connection pooling, serialisation and each product's headers
 * and checks; what differs between the products stays in them.
 */
import { engineError } from './engine-errors.js';
import type {
  AliasAction,
  BulkItemResult,
  EngineKind,
  IndexInfo,
  SearchEngine,
  SearchHit,
  SearchResponse,
} from './search-engine.js';

export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  path: string;
  body?: unknown;
  bulkBody?: string;
  querystring?: Record<string, unknown>;
}

export interface TransportOptions {
  requestTimeout?: number;
  /** Statuses answered instead of thrown. */
  ignore?: number[];
}

/** One request through a client: resolves with the status and parsed body; throws the client's errors. */
export type Transport = (
  request: TransportRequest,
  options: TransportOptions,
) => Promise<{ statusCode: number; body: unknown }>;

const enc = encodeURIComponent;

function bulkItems(body: unknown): BulkItemResult[] {
  const items = (
    body as { items?: Record<string, { status: number; error?: { type?: string; reason?: string } }>[] }
  ).items;
  if (!Array.isArray(items)) throw new Error('a bulk response without items');
  return items.map((item) => {
    const result = Object.values(item)[0]!;
    return result.error
      ? { status: result.status, errorType: result.error.type, reason: result.error.reason }
      : { status: result.status };
  });
}

function searchResponse(body: unknown): SearchResponse {
  const b = body as {
    took?: number;
    hits: {
      total?: number | { value: number };
      hits: { _id: string; _index: string; _source?: Record<string, unknown>; sort?: unknown[] }[];
    };
    aggregations?: Record<string, unknown>;
  };
  const total = typeof b.hits.total === 'number' ? b.hits.total : (b.hits.total?.value ?? b.hits.hits.length);
  const hits: SearchHit[] = b.hits.hits.map((h) => ({
    id: h._id,
    index: h._index,
    source: h._source ?? {},
    ...(h.sort ? { sort: h.sort } : {}),
  }));
  return { total, hits, tookMs: b.took ?? 0, ...(b.aggregations ? { aggregations: b.aggregations } : {}) };
}

export class ClientEngine implements SearchEngine {
  constructor(
    readonly kind: EngineKind,
    readonly version: string,
    private readonly transport: Transport,
    private readonly closeClient: () => Promise<void>,
  ) {}

  private async call(what: string, request: TransportRequest, options: TransportOptions = {}) {
    try {
      return await this.transport(request, options);
    } catch (error) {
      throw engineError(error, what);
    }
  }

  async bulk(body: string, timeoutMs: number): Promise<BulkItemResult[]> {
    const response = await this.call(
      'bulk',
      { method: 'POST', path: '/_bulk', bulkBody: body },
      { requestTimeout: timeoutMs },
    );
    return bulkItems(response.body);
  }

  async search(index: string, body: Record<string, unknown>, timeoutMs?: number): Promise<SearchResponse> {
    const response = await this.call(
      `search ${index}`,
      { method: 'POST', path: `/${enc(index)}/_search`, body },
      timeoutMs ? { requestTimeout: timeoutMs } : {},
    );
    return searchResponse(response.body);
  }

  async count(index: string, query: Record<string, unknown>): Promise<number> {
    const response = await this.call(`count ${index}`, {
      method: 'POST',
      path: `/${enc(index)}/_count`,
      body: { query },
    });
    return (response.body as { count: number }).count;
  }

  async createIndex(
    name: string,
    body: { settings: unknown; mappings: unknown; aliases?: Record<string, unknown> },
  ) {
    const response = await this.call(
      `create index ${name}`,
      { method: 'PUT', path: `/${enc(name)}`, body },
      { ignore: [400] },
    );
    if (response.statusCode === 400) {
      const type = (response.body as { error?: { type?: string; reason?: string } }).error;
      if (type?.type !== 'resource_already_exists_exception') {
        throw engineError({ meta: { statusCode: 400, body: response.body } }, `create index ${name}`);
      }
    }
  }

  async deleteIndex(name: string): Promise<void> {
    await this.call(`delete index ${name}`, { method: 'DELETE', path: `/${enc(name)}` }, { ignore: [404] });
  }

  async indices(pattern: string): Promise<IndexInfo[]> {
    const response = await this.call(
      `list indices ${pattern}`,
      {
        method: 'GET',
        path: `/_cat/indices/${enc(pattern)}`,
        querystring: { format: 'json', h: 'index,docs.count' },
      },
      { ignore: [404] },
    );
    if (response.statusCode === 404) return [];
    const aliases = await this.call(
      `list aliases ${pattern}`,
      { method: 'GET', path: `/${enc(pattern)}/_alias` },
      { ignore: [404] },
    );
    const byIndex = (aliases.statusCode === 404 ? {} : aliases.body) as Record<
      string,
      { aliases?: Record<string, unknown> }
    >;
    return (response.body as { index: string; 'docs.count': string | null }[]).map((row) => ({
      name: row.index,
      docs: Number(row['docs.count'] ?? 0),
      aliases: Object.keys(byIndex[row.index]?.aliases ?? {}),
    }));
  }

  async aliasTargets(alias: string): Promise<string[]> {
    const response = await this.call(
      `get alias ${alias}`,
      { method: 'GET', path: `/_alias/${enc(alias)}` },
      { ignore: [404] },
    );
    if (response.statusCode === 404) return [];
    return Object.keys(response.body as Record<string, unknown>);
  }

  async updateAliases(actions: AliasAction[]): Promise<void> {
    await this.call('update aliases', { method: 'POST', path: '/_aliases', body: { actions } });
  }

  async refresh(index: string): Promise<void> {
    await this.call(`refresh ${index}`, { method: 'POST', path: `/${enc(index)}/_refresh` });
  }

  async putSettings(index: string, settings: Record<string, unknown>): Promise<void> {
    await this.call(`settings ${index}`, {
      method: 'PUT',
      path: `/${enc(index)}/_settings`,
      body: { index: settings },
    });
  }

  close(): Promise<void> {
    return this.closeClient();
  }
}
