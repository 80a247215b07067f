/**
 * A case search request (`GET /a/{domain}/phone/search/?case_type=…&{property}={value}&_xpath_query=…`)
 * as CommCare's CaseSearchCriteria builds it: the domain's cases of the given types, open ones
 * unless `include_closed=true`, optionally of one owner and never of excluded owners, every
 * property parameter an exact match (fuzzy for the configuration's fuzzy properties, after its
 * ignore patterns are stripped; a repeated parameter matches any of its values), and every
 * `_xpath_query` compiled. Parameters starting with `commcare_` or `x_commcare_` are instructions
 * to the server, not properties.
 */
import {
  and,
  exactProperty,
  not,
  notTombstone,
  or,
  propertyQuery,
  term,
  terms,
  type Dsl,
} from './case-search-queries.js';
import type { CaseSearchSettings } from './case-search-config.js';
import { compileXPath } from './xpath/compile-xpath.js';
import { CaseSearchQueryError } from './xpath/xpath-error.js';
import type { QueryPlan } from './xpath/query-plan.js';

/** CommCare's CASE_SEARCH_MAX_RESULTS. */
export const caseSearchMaxResults = 500;

export interface CaseSearchInput {
  domain: string;
  /** The query parameters, each with all its values in order. */
  params: ReadonlyMap<string, readonly string[]>;
  settings: CaseSearchSettings;
  timeZone: string;
  /** Epoch ms of now, for `today()`. */
  now: number;
}

export interface CaseSearchPlan {
  caseTypes: string[];
  /** Every lookup a query makes stays in this: the domain's documents that are not tombstones. */
  scope: Dsl;
  plan: QueryPlan;
}

const RESERVED = new Set(['case_type', '_xpath_query', 'include_closed', 'owner_id']);

/** The domain's live documents of an index with a `domain` text field and its `exact` keyword. */
export function domainScope(domain: string): Dsl {
  return and(term('domain.exact', domain), notTombstone());
}

function criteriaQueries(input: CaseSearchInput): Dsl[] {
  const { settings } = input;
  const queries: Dsl[] = [];
  for (const [key, values] of input.params) {
    if (RESERVED.has(key) || key.startsWith('commcare_') || key.startsWith('x_commcare_')) continue;
    if (settings.ignoredProperties.has(key)) continue;
    const cleaned = values.map((value) =>
      (settings.ignorePatterns.get(key) ?? []).reduce((text, pattern) => text.split(pattern).join(''), value),
    );
    const fuzzy = settings.fuzzyProperties.has(key);
    const one = (value: string) =>
      propertyQuery(key, value, { fuzzy, fuzzyPrefixLength: settings.fuzzyPrefixLength });
    queries.push(cleaned.length === 1 || fuzzy ? or(...cleaned.map(one)) : exactProperty(key, cleaned));
  }
  return queries;
}

/** The plan of a case search request; a CaseSearchQueryError (a 400) for a bad parameter or query. */
export function caseSearchPlan(input: CaseSearchInput): CaseSearchPlan {
  const caseTypes = (input.params.get('case_type') ?? []).filter(Boolean);
  if (!caseTypes.length) {
    throw new CaseSearchQueryError('expected at least one case_type parameter', null, '');
  }
  const scope = domainScope(input.domain);
  const filters: Dsl[] = [scope, terms('type.exact', caseTypes)];
  const includeClosed = (input.params.get('include_closed') ?? []).some((v) => /^true$/i.test(v));
  if (!includeClosed) filters.push(term('closed', false));
  const ownerIds = (input.params.get('owner_id') ?? []).filter(Boolean);
  if (ownerIds.length) filters.push(terms('owner_id', ownerIds));
  const excluded = [
    ...input.settings.excludedOwnerIds,
    ...(input.params.get('commcare_blacklisted_owner_ids') ?? []).flatMap((v) =>
      v.split(' ').filter(Boolean),
    ),
  ];
  if (excluded.length) filters.push(not(terms('owner_id', excluded)));
  filters.push(...criteriaQueries(input));
  const parts: QueryPlan[] = [{ kind: 'dsl', query: and(...filters) }];
  for (const query of input.params.get('_xpath_query') ?? []) {
    if (!query.trim()) continue;
    parts.push(
      compileXPath(query, {
        fuzzy: false,
        fuzzyPrefixLength: input.settings.fuzzyPrefixLength,
        timeZone: input.timeZone,
        now: input.now,
      }),
    );
  }
  return { caseTypes, scope, plan: parts.length === 1 ? parts[0]! : { kind: 'and', parts } };
}
