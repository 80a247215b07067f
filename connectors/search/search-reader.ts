/**
 * Reads the indices for case search, the lists, the CLI and the tests: through the readers'
 * aliases of a prefix, tombstones filtered by the queries (commcare/search builds them), related
 * case lookups paged so that a lookup of hundreds of thousands of cases stays bounded in memory.
 */
import { RetryableError } from '../../runtime/contract/index.js';
import {
  caseSearchMaxResults,
  domainScope,
  encodeCursor,
  isTimeZone,
  resolvePlan,
  term,
  TooManyRelatedCasesError,
  type CaseSearchPlan,
  type Dsl,
  type ListQuery,
  type RelatedCaseLookups,
  type SearchIndexName,
} from '../../commcare/search/index.js';
import {
  SearchEngineError,
  type SearchEngine,
  type SearchHit,
  type SearchResponse,
} from './search-engine.js';

/** CommCare's MAX_RELATED_CASES. */
export const maxRelatedCases = 500_000;
const PAGE = 10_000;

export interface ListPage {
  objects: Record<string, unknown>[];
  total: number;
  /** The cursor of the next page; null on the last one. */
  next: string | null;
}

export class SearchReader implements RelatedCaseLookups {
  private readonly timeZones = new Map<string, { zone: string; until: number }>();

  constructor(
    readonly engine: SearchEngine,
    private readonly prefix: string,
    private readonly timeoutMs = 30_000,
  ) {}

  alias(index: SearchIndexName): string {
    return `${this.prefix}${index}`;
  }

  /** A search of a logical index; a missing index (no search pipeline has created it yet) is temporary. */
  private async query(index: SearchIndexName, body: Record<string, unknown>): Promise<SearchResponse> {
    try {
      return await this.engine.search(this.alias(index), body, this.timeoutMs);
    } catch (error) {
      if (error instanceof SearchEngineError && error.status === 404) {
        throw new RetryableError(
          `the search index ${this.alias(index)} does not exist yet: is the search pipeline running?`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  async ids(query: Dsl, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let after: unknown[] | undefined;
    for (;;) {
      const page = await this.query('case_search', {
        size: PAGE,
        _source: false,
        query,
        sort: [{ doc_id: 'asc' }],
        ...(after ? { search_after: after } : {}),
      });
      for (const hit of page.hits) ids.push(hit.id);
      if (ids.length > limit) {
        throw new TooManyRelatedCasesError(
          `a related case lookup would return more than ${limit} cases`,
          null,
          '',
        );
      }
      if (page.hits.length < PAGE) return ids;
      after = page.hits[page.hits.length - 1]!.sort;
    }
  }

  async referenceCounts(query: Dsl, identifier: string, limit: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let after: Record<string, unknown> | undefined;
    for (;;) {
      const composite = {
        size: PAGE,
        sources: [{ id: { terms: { field: 'indices.referenced_id' } } }],
        ...(after ? { after } : {}),
      };
      const response = await this.query('case_search', {
        size: 0,
        query,
        aggs: {
          indices: {
            nested: { path: 'indices' },
            aggs: {
              named: { filter: term('indices.identifier', identifier), aggs: { parents: { composite } } },
            },
          },
        },
      });
      const parents = (
        response.aggregations?.indices as {
          named: {
            parents: {
              buckets: { key: { id: string }; doc_count: number }[];
              after_key?: Record<string, unknown>;
            };
          };
        }
      ).named.parents;
      for (const bucket of parents.buckets) if (bucket.key.id) counts.set(bucket.key.id, bucket.doc_count);
      if (counts.size > limit) return counts;
      if (parents.buckets.length < PAGE || !parents.after_key) return counts;
      after = parents.after_key;
    }
  }

  /** The project's time zone from the `domains` index (UTC when unknown), cached for a minute. */
  async timeZone(domain: string): Promise<string> {
    const cached = this.timeZones.get(domain);
    if (cached && cached.until > Date.now()) return cached.zone;
    const query = { bool: { filter: [term('domain', domain)], must_not: [term('__is_tombstone__', true)] } };
    // No domains index (a deployment that does not index configuration): the time zone is UTC.
    const response = await this.engine
      .search(this.alias('domains'), { size: 1, query }, this.timeoutMs)
      .catch((error: unknown) => {
        if (error instanceof SearchEngineError && error.status === 404) return undefined;
        throw error;
      });
    const value = response?.hits[0]?.source.default_timezone;
    const zone = typeof value === 'string' && isTimeZone(value) ? value : 'UTC';
    this.timeZones.set(domain, { zone, until: Date.now() + 60_000 });
    return zone;
  }

  /** The cases a case search plan finds: at most `size`, best match first, then by id. */
  async caseSearch(
    search: CaseSearchPlan,
    query: string,
    size = caseSearchMaxResults,
  ): Promise<{ total: number; hits: SearchHit[] }> {
    const resolved = await resolvePlan(search.plan, this, { scope: search.scope, maxRelatedCases, query });
    const response = await this.query('case_search', {
      size,
      query: resolved,
      sort: ['_score', { doc_id: 'asc' }],
      track_total_hits: true,
    });
    return { total: response.total, hits: response.hits };
  }

  /** One page of a list. */
  async list(list: ListQuery): Promise<ListPage> {
    const response = await this.query(list.index, {
      size: list.size,
      query: list.query,
      sort: list.sort,
      track_total_hits: true,
      ...(list.searchAfter ? { search_after: list.searchAfter } : {}),
    });
    const last = response.hits[response.hits.length - 1];
    return {
      objects: response.hits.map((hit) => hit.source),
      total: response.total,
      next: response.hits.length === list.size && last?.sort ? encodeCursor(last.sort) : null,
    };
  }

  /** Scope of a domain's live documents, for queries built outside commcare/search. */
  scope(domain: string): Dsl {
    return domainScope(domain);
  }
}
