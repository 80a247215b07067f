import { afterAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';

// Plain HTTP: the REST calls used here are the same on Elasticsearch and OpenSearch, so this
// test holds for whichever search server the stack runs.
const base = readEndpoints().SEARCH_URL;
const index = testNames(import.meta.url).index('cases');

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const ndjson = Array.isArray(body);
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
    body:
      body === undefined
        ? undefined
        : ndjson
          ? body.map((line) => JSON.stringify(line) + '\n').join('')
          : JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

afterAll(async () => {
  await fetch(`${base}/${index}`, { method: 'DELETE' });
});

interface SearchResult {
  hits: { total: { value: number }; hits: { _id: string }[] };
  aggregations?: { by_type: { buckets: { key: string; doc_count: number }[] } };
}

describe('search server', () => {
  it('indexes documents in bulk and finds them by full text, exact term and aggregation', async () => {
    await call('PUT', `/${index}`, {
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      mappings: {
        properties: {
          case_type: { type: 'keyword' },
          name: { type: 'text', analyzer: 'standard' },
          opened_on: { type: 'date' },
          visits: { type: 'integer' },
        },
      },
    });
    const cases = [
      { id: 'c1', case_type: 'patient', name: 'Amina Okafor', opened_on: '2026-01-02T10:00:00Z', visits: 3 },
      { id: 'c2', case_type: 'patient', name: 'Okafor Chidi', opened_on: '2026-02-03T10:00:00Z', visits: 1 },
      {
        id: 'c3',
        case_type: 'household',
        name: 'The Okafor household',
        opened_on: '2026-03-04T10:00:00Z',
        visits: 0,
      },
    ];
    const bulk = await call<{ errors: boolean; items: unknown[] }>(
      'POST',
      '/_bulk?refresh=true',
      cases.flatMap(({ id, ...doc }) => [{ index: { _index: index, _id: id } }, doc]),
    );
    expect(bulk.errors).toBe(false);
    expect(bulk.items).toHaveLength(3);

    const text = await call<SearchResult>('POST', `/${index}/_search`, {
      query: { match: { name: 'okafor' } },
    });
    expect(text.hits.total.value).toBe(3);

    const term = await call<SearchResult>('POST', `/${index}/_search`, {
      query: { bool: { filter: [{ term: { case_type: 'patient' } }, { range: { visits: { gte: 1 } } }] } },
      sort: [{ opened_on: 'asc' }],
      size: 10,
      aggs: { by_type: { terms: { field: 'case_type' } } },
    });
    expect(term.hits.hits.map((h) => h._id)).toEqual(['c1', 'c2']);

    const all = await call<SearchResult>('POST', `/${index}/_search`, {
      size: 0,
      aggs: { by_type: { terms: { field: 'case_type' } } },
    });
    expect(all.aggregations!.by_type.buckets).toEqual([
      { key: 'patient', doc_count: 2 },
      { key: 'household', doc_count: 1 },
    ]);
  });
});
