import { describe, expect, it } from 'vitest';
import { compileXPath } from './compile-xpath.js';
import { plainDsl, type QueryPlan } from './query-plan.js';
import { CaseSearchQueryError } from './xpath-error.js';

// 2024-03-10 22:30 UTC is already 2024-03-11 in Nairobi (UTC+3).
const now = Date.UTC(2024, 2, 10, 22, 30);
const ctx = { fuzzy: false, fuzzyPrefixLength: 0, timeZone: 'Africa/Nairobi', now };
const compile = (query: string, extra: Partial<typeof ctx> = {}): QueryPlan =>
  compileXPath(query, { ...ctx, ...extra });
const dsl = (query: string, extra: Partial<typeof ctx> = {}) => plainDsl(compile(query, extra));

const key = (name: string) => ({ term: { 'case_properties.key.exact': name } });
const exact = (name: string, value: unknown) => ({
  nested: {
    path: 'case_properties',
    query: { bool: { filter: [key(name), { term: { 'case_properties.value.exact': value } }] } },
  },
});
const onValue = (name: string, query: unknown) => ({
  nested: { path: 'case_properties', query: { bool: { must: [query], filter: [key(name)] } } },
});
const missing = (name: string) => ({
  bool: {
    should: [
      { bool: { must_not: [{ nested: { path: 'case_properties', query: key(name) } }] } },
      exact(name, ''),
    ],
    minimum_should_match: 1,
  },
});
const errorOf = (query: string): CaseSearchQueryError => {
  try {
    compile(query);
  } catch (error) {
    if (error instanceof CaseSearchQueryError) return error;
    throw error;
  }
  throw new Error(`compiled: ${query}`);
};

describe('comparisons', () => {
  it('= is an exact match of the text and != its negation', () => {
    expect(dsl("name = 'Amina'")).toEqual(exact('name', 'Amina'));
    expect(dsl("name != 'Amina'")).toEqual({ bool: { must_not: [exact('name', 'Amina')] } });
  });

  it("= '' means the property is not set or empty, != '' that it is set", () => {
    expect(dsl("village = ''")).toEqual(missing('village'));
    expect(dsl("village != ''")).toEqual({ bool: { must_not: [missing('village')] } });
  });

  it('compares numbers as Python str() writes them', () => {
    expect(dsl('age = 5')).toEqual(exact('age', '5'));
    expect(dsl('age = 5.0')).toEqual(exact('age', '5.0'));
    expect(dsl('age = -2.5')).toEqual(exact('age', '-2.5'));
  });

  it('makes equality fuzzy with the fuzzy flag', () => {
    expect(dsl("name = 'amna'", { fuzzy: true })).toEqual(
      onValue('name', {
        bool: {
          should: [
            { fuzzy: { 'case_properties.value': { value: 'amna', fuzziness: 'AUTO' } } },
            { match: { 'case_properties.value': { query: 'amna', operator: 'or' } } },
          ],
          minimum_should_match: 1,
        },
      }),
    );
  });

  it.each([
    ['age > 10', 'gt', 10],
    ['age >= 10', 'gte', 10],
    ["age < '10'", 'lt', 10],
    ['age <= 1.5', 'lte', 1.5],
  ])('%s is a numeric range', (query, bound, value) => {
    expect(dsl(query)).toEqual(
      onValue('age', { range: { 'case_properties.value.numeric': { [bound]: value } } }),
    );
  });

  it('compares dates as date ranges, including the value functions', () => {
    expect(dsl("dob < '2020-01-31'")).toEqual(
      onValue('dob', { range: { 'case_properties.value.date': { lt: '2020-01-31' } } }),
    );
    expect(dsl("dob >= date('2020-01-31')")).toEqual(
      onValue('dob', { range: { 'case_properties.value.date': { gte: '2020-01-31' } } }),
    );
    expect(dsl('dob >= date(0)')).toEqual(
      onValue('dob', { range: { 'case_properties.value.date': { gte: '1970-01-01' } } }),
    );
    expect(dsl("dob > date-add('2020-01-31', 'months', 1)")).toEqual(
      onValue('dob', { range: { 'case_properties.value.date': { gt: '2020-02-29' } } }),
    );
    expect(dsl('visit <= today()')).toEqual(
      onValue('visit', { range: { 'case_properties.value.date': { lte: '2024-03-11' } } }),
    );
  });

  it("compares date-time system properties with whole days in the project's time zone", () => {
    const range = (bounds: object) =>
      onValue('last_modified', { range: { 'case_properties.value.date': bounds } });
    expect(dsl("last_modified = '2024-03-11'")).toEqual(
      range({ gte: '2024-03-10T21:00:00.000Z', lt: '2024-03-11T21:00:00.000Z' }),
    );
    expect(dsl("last_modified > '2024-03-11'")).toEqual(range({ gt: '2024-03-11T21:00:00.000Z' }));
    expect(dsl("last_modified <= '2024-03-11'")).toEqual(range({ lte: '2024-03-11T21:00:00.000Z' }));
    expect(dsl("last_modified < '2024-03-11'")).toEqual(range({ lt: '2024-03-10T21:00:00.000Z' }));
    expect(dsl("date_opened != '2024-03-11'")).toEqual({
      bool: {
        must_not: [
          onValue('date_opened', {
            range: {
              'case_properties.value.date': {
                gte: '2024-03-10T21:00:00.000Z',
                lt: '2024-03-11T21:00:00.000Z',
              },
            },
          }),
        ],
      },
    });
  });

  it('refuses a range against text that is neither a number nor a date', () => {
    expect(errorOf("age > 'ten'").message).toBe(
      "at column 7: expected a number or a date on the right of a comparison (dates as 'YYYY-MM-DD', in quotes)",
    );
    expect(errorOf("dob > '2021-02-30'").message).toBe("at column 7: '2021-02-30' is not a valid date");
  });

  it('refuses a property on the right and a value on the left', () => {
    expect(errorOf('name = village').message).toContain(
      "at column 8: expected a value, got the case property 'village'",
    );
    expect(errorOf("'x' = name").message).toBe(
      "at column 1: expected a case property on the left of '=', got a value",
    );
  });
});

describe('and, or, not', () => {
  it('combines conditions, flattening chains', () => {
    expect(dsl("a = '1' and (b = '2' or c = '3') and not(d = '4')")).toEqual({
      bool: {
        filter: [
          exact('a', '1'),
          { bool: { should: [exact('b', '2'), exact('c', '3')], minimum_should_match: 1 } },
          { bool: { must_not: [exact('d', '4')] } },
        ],
      },
    });
  });

  it('refuses a bare property, arithmetic and a value function standing alone', () => {
    expect(errorOf('name').message).toContain('expected a condition with an operator');
    expect(errorOf("a + 1 = '2'").message).toContain("'+' (arithmetic) is not part of case search");
    expect(errorOf('today()').message).toContain('today() is not a function that can stand alone');
    expect(errorOf("frobnicate(a, 'b')").message).toContain(
      'frobnicate() is not a function that can stand alone',
    );
  });
});

describe('query functions', () => {
  it('selected / selected-any match any word and selected-all every word', () => {
    const match = (operator: string) =>
      onValue('tags', { match: { 'case_properties.value': { query: 'red blue', operator } } });
    expect(dsl("selected(tags, 'red blue')")).toEqual(match('or'));
    expect(dsl("selected-any(tags, 'red blue')")).toEqual(match('or'));
    expect(dsl("selected-all('tags', 'red blue')")).toEqual(match('and'));
    expect(dsl(`selected-any(tags, unwrap-list('["red", "blue"]'))`)).toEqual(match('or'));
  });

  it('starts-with is a prefix of the exact value', () => {
    expect(dsl("starts-with(name, 'Ami')")).toEqual({
      nested: {
        path: 'case_properties',
        query: { bool: { filter: [key('name'), { prefix: { 'case_properties.value.exact': 'Ami' } }] } },
      },
    });
  });

  it('fuzzy-match uses edit distance with the configured prefix length', () => {
    expect(dsl("fuzzy-match(name, 'amna')", { fuzzyPrefixLength: 2 })).toEqual(
      onValue('name', {
        bool: {
          should: [
            { fuzzy: { 'case_properties.value': { value: 'amna', fuzziness: 'AUTO', prefix_length: 2 } } },
            { match: { 'case_properties.value': { query: 'amna', operator: 'or' } } },
          ],
          minimum_should_match: 1,
        },
      }),
    );
  });

  it('phonetic-match looks for any Soundex code of the value', () => {
    expect(dsl("phonetic-match(name, 'Robert Smith')")).toEqual(
      onValue('name', { terms: { 'case_properties.phonetic_value': ['R163', 'S530'] } }),
    );
  });

  it('within-distance is a geo distance on the geopoint value', () => {
    expect(dsl("within-distance(location, '-1.29 36.82', 5, 'kilometers')")).toEqual(
      onValue('location', {
        geo_distance: {
          distance: '5kilometers',
          'case_properties.geopoint_value': { lat: -1.29, lon: 36.82 },
        },
      }),
    );
    expect(errorOf("within-distance(location, 'x', 5, 'kilometers')").message).toContain('coordinates');
    expect(errorOf("within-distance(location, '1 2', 5, 'parsecs')").message).toContain("got 'parsecs'");
  });

  it('match-all and match-none take no arguments', () => {
    expect(dsl('match-all()')).toEqual({ match_all: {} });
    expect(dsl('match-none()')).toEqual({ match_none: {} });
    expect(errorOf("match-all('x')").message).toContain('match-all() expects 0 arguments, got 1');
  });

  it('checks argument counts and names', () => {
    expect(errorOf('selected(tags)').message).toBe('at column 1: selected() expects 2 arguments, got 1');
    expect(errorOf("selected(5, 'x')").message).toBe(
      'at column 10: expected a case property name as the first argument of selected()',
    );
    expect(errorOf("date-add('2020-01-01', 'fortnights', 1) = dob").message).toContain(
      'expected a case property on the left',
    );
    expect(errorOf("dob = date-add('2020-01-01', 'fortnights', 1)").message).toContain(
      "date-add() expects the interval to be one of 'days', 'weeks', 'months', 'years'",
    );
    expect(errorOf("dob = date-add('2020-01-01', 'months', 1.5)").message).toContain(
      'cannot add a fraction of months',
    );
    expect(errorOf("dob = date('01/02/2020')").message).toContain(
      "expected a date as 'YYYY-MM-DD', got '01/02/2020'",
    );
  });
});

describe('related cases', () => {
  it('subcase-exists is a lookup of subcases by index identifier and filter', () => {
    expect(compile("subcase-exists('parent', @case_type = 'lab' and result = 'positive')")).toEqual({
      kind: 'subcase',
      identifier: 'parent',
      filter: {
        kind: 'and',
        parts: [
          { kind: 'dsl', query: exact('@case_type', 'lab') },
          { kind: 'dsl', query: exact('result', 'positive') },
        ],
      },
      op: '>',
      count: 0,
      invert: false,
      source: "subcase-exists('parent', @case_type = 'lab' and result = 'positive')",
    });
  });

  it.each([
    ["subcase-count('parent') > 2", '>', 2, false],
    ["subcase-count('parent') >= 2", '>', 1, false],
    ["subcase-count('parent') < 2", '>', 1, true],
    ["subcase-count('parent') <= 2", '>', 2, true],
    ["subcase-count('parent') = 2", '=', 2, false],
    ["subcase-count('parent') != 2", '=', 2, true],
    ["subcase-count('parent') = 0", '>', 0, true],
    ["subcase-count('parent') != 0", '>', 0, false],
  ])('normalises %s to count %s %i (inverted: %s) as CommCare does', (query, op, count, invert) => {
    expect(compile(query)).toMatchObject({ kind: 'subcase', op, count, invert, filter: null });
  });

  it('refuses subcase-count without a comparison or with a bad count', () => {
    expect(errorOf("subcase-count('parent')").message).toContain('subcase-count() compared with a number');
    expect(errorOf("subcase-count('parent') > 'x'").message).toContain('a whole number (0 or more)');
    expect(errorOf('subcase-exists(parent)').message).toContain('an index identifier in quotes');
  });

  it('an ancestor path on the left is a lookup of the ancestor', () => {
    expect(compile("parent/host/name = 'x'")).toEqual({
      kind: 'ancestor',
      path: ['parent', 'host'],
      filter: { kind: 'dsl', query: exact('name', 'x') },
      caseIds: null,
      source: "parent/host/name = 'x'",
    });
  });

  it('ancestor-exists takes a path and a filter, and knows the ancestor from @case_id', () => {
    expect(compile("ancestor-exists(parent, village = 'Bondo')")).toMatchObject({
      kind: 'ancestor',
      path: ['parent'],
      filter: { kind: 'dsl', query: exact('village', 'Bondo') },
    });
    expect(compile("ancestor-exists(parent/parent, @case_id = 'h1')")).toMatchObject({
      kind: 'ancestor',
      path: ['parent', 'parent'],
      filter: null,
      caseIds: ['h1'],
    });
    expect(errorOf("ancestor-exists(parent, subcase-exists('parent'))").message).toContain(
      'subcase-exists() is not supported inside ancestor-exists()',
    );
  });
});
