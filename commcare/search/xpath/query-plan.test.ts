import { describe, expect, it } from 'vitest';
import { term, type Dsl } from '../case-search-queries.js';
import { compileXPath } from './compile-xpath.js';
import { isPlainPlan, resolvePlan, type RelatedCaseLookups } from './query-plan.js';
import { TooManyRelatedCasesError } from './xpath-error.js';

const ctx = { fuzzy: false, fuzzyPrefixLength: 0, timeZone: 'UTC', now: 0 };
const scope = term('domain.exact', 'd');

/** Lookups answering from fixed tables, recording what they were asked. */
function lookups(idsByCall: string[][], counts: Map<string, number> = new Map()) {
  const asked: { kind: string; query: Dsl; identifier?: string }[] = [];
  const answer: RelatedCaseLookups = {
    ids: (query) => {
      asked.push({ kind: 'ids', query });
      return Promise.resolve(idsByCall.shift() ?? []);
    },
    referenceCounts: (query, identifier) => {
      asked.push({ kind: 'counts', query, identifier });
      return Promise.resolve(counts);
    },
  };
  return { answer, asked };
}

const resolve = (query: string, l: RelatedCaseLookups, max = 100) =>
  resolvePlan(compileXPath(query, ctx), l, { scope, maxRelatedCases: max, query });

describe('resolving a plan', () => {
  it('needs no lookup for plain conditions', async () => {
    const plan = compileXPath("a = '1' or not(b = '2')", ctx);
    expect(isPlainPlan(plan)).toBe(true);
    const { answer, asked } = lookups([]);
    await resolvePlan(plan, answer, { scope, maxRelatedCases: 10, query: '' });
    expect(asked).toEqual([]);
  });

  it('keeps the cases with more subcases than the count', async () => {
    const { answer, asked } = lookups(
      [],
      new Map([
        ['h1', 1],
        ['h2', 3],
      ]),
    );
    expect(await resolve("subcase-count('parent', age > 5) > 2", answer)).toEqual({
      ids: { values: ['h2'] },
    });
    expect(asked[0]).toMatchObject({ kind: 'counts', identifier: 'parent' });
    expect(JSON.stringify(asked[0]!.query)).toContain('"domain.exact":"d"');
    expect(JSON.stringify(asked[0]!.query)).toContain('case_properties.value.numeric');
  });

  it('inverts subcase counts below a number, and matches every case when none qualifies', async () => {
    const counted = new Map([
      ['h1', 1],
      ['h2', 3],
    ]);
    expect(await resolve("subcase-count('parent') < 2", lookups([], counted).answer)).toEqual({
      bool: { must_not: [{ ids: { values: ['h2'] } }] },
    });
    expect(await resolve("subcase-count('parent') = 0", lookups([], new Map()).answer)).toEqual({
      match_all: {},
    });
    expect(await resolve("subcase-exists('parent')", lookups([], new Map()).answer)).toEqual({
      match_none: {},
    });
  });

  it('walks an ancestor path down from the matching ancestors', async () => {
    // grandparents g1 match; hosts pointing at g1 are p1, p2; the answer is cases whose parent is p1 or p2.
    const { answer, asked } = lookups([['g1'], ['p1', 'p2']]);
    expect(await resolve("parent/host/name = 'x'", answer)).toEqual({
      nested: {
        path: 'indices',
        query: {
          bool: {
            filter: [
              { terms: { 'indices.referenced_id': ['p1', 'p2'] } },
              { term: { 'indices.identifier': 'parent' } },
            ],
          },
        },
      },
    });
    expect(JSON.stringify(asked[1]!.query)).toContain('"indices.identifier":"host"');
    expect(JSON.stringify(asked[1]!.query)).toContain('["g1"]');
  });

  it('stops when a level of the walk finds nothing', async () => {
    const { answer, asked } = lookups([[]]);
    expect(await resolve("parent/host/name = 'x'", answer)).toEqual({ match_none: {} });
    expect(asked).toHaveLength(1);
  });

  it('uses a known ancestor id without looking it up', async () => {
    const { answer, asked } = lookups([]);
    await resolve("ancestor-exists(parent, @case_id = 'h9')", answer);
    expect(asked).toEqual([]);
  });

  it('refuses a subcase lookup over the limit of related cases', async () => {
    const many = new Map(Array.from({ length: 3 }, (_, i) => [`h${i}`, 1] as [string, number]));
    await expect(resolve("subcase-exists('parent')", lookups([], many).answer, 2)).rejects.toBeInstanceOf(
      TooManyRelatedCasesError,
    );
  });
});
