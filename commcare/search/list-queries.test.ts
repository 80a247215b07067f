import { describe, expect, it } from 'vitest';
import { encodeCursor, listQuery } from './list-queries.js';
import { SearchRequestError } from './search-request-error.js';

const params = (query: string) =>
  [...new URLSearchParams(query)].reduce<Map<string, string[]>>(
    (map, [k, v]) => map.set(k, [...(map.get(k) ?? []), v]),
    new Map(),
  );

describe('list queries', () => {
  it('pages forms by received_on then id, filtered by user, xmlns, app and dates', () => {
    const q = listQuery(
      'forms',
      'demo',
      params('user_id=u1,u2&xmlns=x&app_id=a&received_on_start=2026-01-01&limit=50'),
    );
    expect(q).toMatchObject({
      index: 'forms',
      size: 50,
      sort: [{ received_on: 'desc' }, { doc_id: 'desc' }],
      searchAfter: undefined,
    });
    const text = JSON.stringify(q.query);
    expect(text).toContain('{"terms":{"form.meta.userID":["u1","u2"]}}');
    expect(text).toContain('{"term":{"doc_type.exact":"XFormInstance"}}');
    expect(text).toContain('{"range":{"received_on":{"gte":"2026-01-01"}}}');
  });

  it('continues after the cursor of the previous page', () => {
    const cursor = encodeCursor([1767225600000, 'f9']);
    expect(listQuery('forms', 'demo', params(`cursor=${cursor}`)).searchAfter).toEqual([1767225600000, 'f9']);
  });

  it('filters cases by type, owner, status, modified range and properties', () => {
    const text = JSON.stringify(
      listQuery(
        'cases',
        'demo',
        params(
          'type=member&owner_id=u1&closed=false&server_date_modified_end=2026-02-01T00:00:00Z&property.village=Bondo',
        ),
      ).query,
    );
    expect(text).toContain('{"terms":{"type.exact":["member"]}}');
    expect(text).toContain('{"term":{"closed":false}}');
    expect(text).toContain('{"range":{"server_modified_on":{"lte":"2026-02-01T00:00:00Z"}}}');
    expect(text).toContain('"case_properties.value.exact":"Bondo"');
  });

  it('searches users by name prefixes, active mobile workers by default', () => {
    const text = JSON.stringify(listQuery('users', 'demo', params('q=gra oti&user_type=mobile')).query);
    expect(text).toContain('"multi_match":{"query":"gra oti","type":"bool_prefix"');
    expect(text).toContain('{"term":{"doc_type":"CommCareUser"}}');
    expect(text).toContain('{"term":{"is_active":true}}');
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=5000', 'limit'],
    ['cursor=nope', 'cursor'],
    ['received_on_start=yesterday', 'received_on_start'],
    ['include_archived=maybe', 'include_archived'],
  ])('refuses %s naming the parameter', (query, parameter) => {
    try {
      listQuery('forms', 'demo', params(query));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SearchRequestError);
      expect((error as SearchRequestError).parameter).toBe(parameter);
    }
  });
});
