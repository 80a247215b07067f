import { describe, expect, it } from 'vitest';
import { caseSearchConfigOf, caseSearchSettings } from './case-search-config.js';
import { caseSearchPlan } from './case-search-request.js';
import { plainDsl } from './xpath/query-plan.js';
import { CaseSearchQueryError } from './xpath/xpath-error.js';

const config = caseSearchConfigOf(
  {
    domain: 'demo',
    fuzzy_prefix_length: 1,
    fuzzy_properties: [{ case_type: 'member', properties: ['name'] }],
    ignore_patterns: [{ case_type: 'member', case_property: 'phone', regex: '+' }],
    properties_to_ignore: [{ case_type: 'member', properties: ['secret'] }],
    excluded_owner_ids: [{ case_type: 'member', owner_ids: ['test-owner'] }],
  },
  'demo.json',
);

const plan = (query: string) =>
  caseSearchPlan({
    domain: 'demo',
    params: new Map(
      [...new URLSearchParams(query)].reduce<Map<string, string[]>>(
        (map, [k, v]) => map.set(k, [...(map.get(k) ?? []), v]),
        new Map(),
      ),
    ),
    settings: caseSearchSettings(config, ['member']),
    timeZone: 'UTC',
    now: 0,
  });

describe('a case search request', () => {
  it('searches the open cases of the domain and types, without excluded owners', () => {
    const dsl = JSON.stringify(plainDsl(plan('case_type=member&case_type=household').plan));
    expect(dsl).toContain('{"term":{"domain.exact":"demo"}}');
    expect(dsl).toContain('{"bool":{"must_not":[{"term":{"__is_tombstone__":true}}]}}');
    expect(dsl).toContain('{"terms":{"type.exact":["member","household"]}}');
    expect(dsl).toContain('{"term":{"closed":false}}');
    expect(dsl).toContain('{"bool":{"must_not":[{"terms":{"owner_id":["test-owner"]}}]}}');
  });

  it('includes closed cases on request and filters by owner and blacklisted owners', () => {
    const dsl = JSON.stringify(
      plainDsl(
        plan('case_type=member&include_closed=True&owner_id=u1&commcare_blacklisted_owner_ids=u8 u9').plan,
      ),
    );
    expect(dsl).not.toContain('"closed"');
    expect(dsl).toContain('{"terms":{"owner_id":["u1"]}}');
    expect(dsl).toContain('{"terms":{"owner_id":["test-owner","u8","u9"]}}');
  });

  it('matches properties exactly, fuzzily when configured, after stripping ignored text, skipping ignored ones', () => {
    const dsl = JSON.stringify(
      plainDsl(
        plan('case_type=member&phone=%2B254700&name=amna&secret=x&village=A&village=B&x_commcare_tag=1').plan,
      ),
    );
    expect(dsl).toContain('"case_properties.value.exact":"254700"');
    expect(dsl).toContain(
      '{"fuzzy":{"case_properties.value":{"value":"amna","fuzziness":"AUTO","prefix_length":1}}}',
    );
    expect(dsl).toContain('{"terms":{"case_properties.value.exact":["A","B"]}}');
    expect(dsl).not.toContain('secret');
    expect(dsl).not.toContain('x_commcare');
  });

  it('ands every _xpath_query', () => {
    const result = plan(
      `case_type=member&_xpath_query=${encodeURIComponent('age > 5')}&_xpath_query=${encodeURIComponent("subcase-exists('parent')")}`,
    );
    expect(result.plan).toMatchObject({
      kind: 'and',
      parts: [{ kind: 'dsl' }, { kind: 'dsl' }, { kind: 'subcase' }],
    });
  });

  it('needs a case type and reports a bad query with its column', () => {
    expect(() => plan('name=x')).toThrow('expected at least one case_type parameter');
    expect(() => plan(`case_type=member&_xpath_query=${encodeURIComponent('age >')}`)).toThrow(
      CaseSearchQueryError,
    );
  });

  it('refuses a configuration file with a bad field, naming the file and path', () => {
    expect(() =>
      caseSearchConfigOf({ domain: 'demo', fuzzy_properties: [{ case_type: 'x' }] }, 'demo.json'),
    ).toThrow(/demo\.json: fuzzy_properties\.0\.properties: /);
  });
});
