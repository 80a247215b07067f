/**
 * The query DSL pieces case search is made of, shaped as CommCare's (`corehq/apps/es/case_search.py`
 * and `filters.py`) over the `case_search` index: every case property is an entry of the nested
 * `case_properties` list, found by `key.exact`, its value searched as exact keyword, analysed
 * text, number, date, phonetic codes or geopoint. The DSL is the one OpenSearch 2 and
 * Elasticsearch 8/9 share.
 */
import { phoneticCodes } from './phonetic-codes.js';

/** A query clause of the engines' DSL. */
export type Dsl = Record<string, unknown>;

export const caseProperties = {
  path: 'case_properties',
  key: 'case_properties.key.exact',
  value: 'case_properties.value',
  exact: 'case_properties.value.exact',
  numeric: 'case_properties.value.numeric',
  date: 'case_properties.value.date',
  phonetic: 'case_properties.phonetic_value',
  geopoint: 'case_properties.geopoint_value',
} as const;

export const TOMBSTONE_FIELD = '__is_tombstone__';

export const matchAll = (): Dsl => ({ match_all: {} });
export const matchNone = (): Dsl => ({ match_none: {} });
export const term = (field: string, value: unknown): Dsl => ({ term: { [field]: value } });
export const terms = (field: string, values: readonly unknown[]): Dsl => ({
  terms: { [field]: [...values] },
});

/** All of the clauses (a filter: no scoring, as CommCare's `filters.AND`). */
export function and(...clauses: Dsl[]): Dsl {
  if (clauses.length === 1) return clauses[0]!;
  return { bool: { filter: clauses } };
}

/** Any of the clauses. */
export function or(...clauses: Dsl[]): Dsl {
  if (clauses.length === 1) return clauses[0]!;
  return { bool: { should: clauses, minimum_should_match: 1 } };
}

export function not(clause: Dsl): Dsl {
  return { bool: { must_not: [clause] } };
}

export function nested(path: string, query: Dsl): Dsl {
  return { nested: { path, query } };
}

/** A query on the value of one property: the nested entry with that key whose value matches. */
function baseProperty(name: string, query: Dsl): Dsl {
  return nested(caseProperties.path, { bool: { must: [query], filter: [term(caseProperties.key, name)] } });
}

/** The property equals the value exactly (case and punctuation included); a list matches any of its values. */
export function exactProperty(name: string, value: string | readonly string[]): Dsl {
  const match =
    typeof value === 'string' ? term(caseProperties.exact, value) : terms(caseProperties.exact, value);
  return nested(caseProperties.path, { bool: { filter: [term(caseProperties.key, name), match] } });
}

/** The property is not set, or is the empty string. */
export function propertyMissing(name: string): Dsl {
  return or(not(nested(caseProperties.path, term(caseProperties.key, name))), exactProperty(name, ''));
}

export interface PropertyQueryOptions {
  fuzzy?: boolean;
  /** For text matches: whether every word (`and`) or any word (`or`) must match. */
  mode?: 'and' | 'or';
  /** Leading characters a fuzzy match must get exactly right (CaseSearchConfig.fuzzy_prefix_length). */
  fuzzyPrefixLength?: number;
}

/** CommCare's `case_property_query`: exact by default, analysed words with a mode, edit distance when fuzzy. */
export function propertyQuery(
  name: string,
  value: string | readonly string[],
  options: PropertyQueryOptions = {},
): Dsl {
  if (value === '') return propertyMissing(name);
  const text = typeof value === 'string' ? value : value.join(' ');
  if (options.fuzzy) {
    const fuzzy: Record<string, unknown> = { value: text, fuzziness: 'AUTO' };
    if (options.fuzzyPrefixLength) fuzzy.prefix_length = options.fuzzyPrefixLength;
    return baseProperty(
      name,
      or(
        { fuzzy: { [caseProperties.value]: fuzzy } },
        { match: { [caseProperties.value]: { query: text, operator: options.mode ?? 'or' } } },
      ),
    );
  }
  if (options.mode) {
    return baseProperty(name, { match: { [caseProperties.value]: { query: text, operator: options.mode } } });
  }
  return exactProperty(name, value);
}

/** Words of the property sound like words of the value (any of them). */
export function soundsLike(name: string, value: string): Dsl {
  const codes = phoneticCodes(value);
  if (!codes.length) return matchNone();
  return baseProperty(name, terms(caseProperties.phonetic, codes));
}

export function startsWith(name: string, value: string): Dsl {
  return nested(caseProperties.path, {
    bool: { filter: [term(caseProperties.key, name), { prefix: { [caseProperties.exact]: value } }] },
  });
}

export type RangeBounds = Partial<Record<'gt' | 'gte' | 'lt' | 'lte', number | string>>;

export function numericRange(name: string, bounds: RangeBounds): Dsl {
  return baseProperty(name, { range: { [caseProperties.numeric]: bounds } });
}

export function dateRange(name: string, bounds: RangeBounds): Dsl {
  return baseProperty(name, { range: { [caseProperties.date]: bounds } });
}

export function geoDistance(name: string, point: { lat: number; lon: number }, distance: string): Dsl {
  return baseProperty(name, { geo_distance: { distance, [caseProperties.geopoint]: point } });
}

/** Cases with an index named `identifier` pointing at one of `caseIds` (CommCare's reverse_index_case_query). */
export function reverseIndex(caseIds: readonly string[], identifier: string): Dsl {
  return nested('indices', {
    bool: { filter: [terms('indices.referenced_id', caseIds), term('indices.identifier', identifier)] },
  });
}

/** Cases with an index named `identifier` that points somewhere (deleted indices point at ''). */
export function hasIndex(identifier: string): Dsl {
  return nested('indices', {
    bool: {
      filter: [term('indices.identifier', identifier)],
      must_not: [term('indices.referenced_id', '')],
    },
  });
}

export function ids(values: readonly string[]): Dsl {
  return { ids: { values: [...values] } };
}

/** Not a tombstone: every query of every index carries this (deletes are tombstone documents). */
export function notTombstone(): Dsl {
  return not(term(TOMBSTONE_FIELD, true));
}
