/**
 * What a case search query compiles to: DSL where the engine can answer in one request, and
 * lookup steps where CommCare's language needs another case's data first (the engines have no
 * joins): `subcase-exists`/`subcase-count` count the subcases pointing at each case, ancestor
 * paths find the ancestors matching a filter and walk down their indices. `resolvePlan` runs the
 * lookups through an executor it is given and returns one DSL query; `--explain` prints the plan.
 */
import {
  and,
  ids,
  matchAll,
  matchNone,
  not,
  or,
  reverseIndex,
  hasIndex,
  type Dsl,
} from '../case-search-queries.js';
import { TooManyRelatedCasesError } from './xpath-error.js';

export type QueryPlan =
  | { kind: 'dsl'; query: Dsl }
  | { kind: 'and' | 'or'; parts: QueryPlan[] }
  | { kind: 'not'; part: QueryPlan }
  | {
      /** Cases with subcases (index `identifier` pointing at them) matching `filter`, counted. */
      kind: 'subcase';
      identifier: string;
      filter: QueryPlan | null;
      /** Normalised as CommCare does: `count > n` or `count = n`, then inverted for <, <=, !=, = 0. */
      op: '>' | '=';
      count: number;
      invert: boolean;
      source: string;
    }
  | {
      /** Cases whose ancestor along `path` (`parent`, `parent/host`…) matches `filter` (or is one of `caseIds`). */
      kind: 'ancestor';
      path: string[];
      filter: QueryPlan | null;
      caseIds: string[] | null;
      source: string;
    };

/** Runs the lookups a plan needs; each answer is limited to `limit` cases. */
export interface RelatedCaseLookups {
  /** The ids of the cases matching `query`; throws TooManyRelatedCasesError beyond `limit`. */
  ids(query: Dsl, limit: number): Promise<string[]>;
  /** For the cases matching `query`: how many of their indices named `identifier` point at each case id. */
  referenceCounts(query: Dsl, identifier: string, limit: number): Promise<Map<string, number>>;
}

export interface ResolveOptions {
  /** Every lookup is restricted to this (the domain, not a tombstone). */
  scope: Dsl;
  /** Most cases one lookup may return (CommCare's MAX_RELATED_CASES is 500,000). */
  maxRelatedCases: number;
  /** The query text, for errors. */
  query: string;
}

/** True when the plan needs no lookup (it is one DSL query as it stands). */
export function isPlainPlan(plan: QueryPlan): boolean {
  switch (plan.kind) {
    case 'dsl':
      return true;
    case 'and':
    case 'or':
      return plan.parts.every(isPlainPlan);
    case 'not':
      return isPlainPlan(plan.part);
    default:
      return false;
  }
}

/** The DSL of a plan that needs no lookup; throws for one that does. */
export function plainDsl(plan: QueryPlan): Dsl {
  switch (plan.kind) {
    case 'dsl':
      return plan.query;
    case 'and':
      return and(...plan.parts.map(plainDsl));
    case 'or':
      return or(...plan.parts.map(plainDsl));
    case 'not':
      return not(plainDsl(plan.part));
    default:
      throw new Error(`a ${plan.kind} step needs lookups: resolve the plan`);
  }
}

async function resolveSubcase(
  plan: Extract<QueryPlan, { kind: 'subcase' }>,
  lookups: RelatedCaseLookups,
  options: ResolveOptions,
): Promise<Dsl> {
  const filter = plan.filter ? await resolvePlan(plan.filter, lookups, options) : matchAll();
  const counts = await lookups.referenceCounts(
    and(options.scope, hasIndex(plan.identifier), filter),
    plan.identifier,
    options.maxRelatedCases,
  );
  if (counts.size > options.maxRelatedCases) {
    throw new TooManyRelatedCasesError(
      `the related case lookup ${plan.source} would return more than ${options.maxRelatedCases} cases`,
      null,
      options.query,
    );
  }
  const matching = [...counts]
    .filter(([, count]) => (plan.op === '>' ? count > plan.count : count === plan.count))
    .map(([id]) => id);
  if (plan.invert) return matching.length ? not(ids(matching)) : matchAll();
  return matching.length ? ids(matching) : matchNone();
}

async function resolveAncestor(
  plan: Extract<QueryPlan, { kind: 'ancestor' }>,
  lookups: RelatedCaseLookups,
  options: ResolveOptions,
): Promise<Dsl> {
  let caseIds =
    plan.caseIds ??
    (await lookups.ids(
      and(options.scope, plan.filter ? await resolvePlan(plan.filter, lookups, options) : matchAll()),
      options.maxRelatedCases,
    ));
  // Walk down from the farthest ancestor: the cases whose index `path[i]` points at the last level.
  for (let i = plan.path.length - 1; i >= 1 && caseIds.length; i--) {
    caseIds = await lookups.ids(
      and(options.scope, reverseIndex(caseIds, plan.path[i]!)),
      options.maxRelatedCases,
    );
  }
  return caseIds.length ? reverseIndex(caseIds, plan.path[0]!) : matchNone();
}

/** One DSL query for the plan, running its lookups (in parallel where they are independent). */
export async function resolvePlan(
  plan: QueryPlan,
  lookups: RelatedCaseLookups,
  options: ResolveOptions,
): Promise<Dsl> {
  switch (plan.kind) {
    case 'dsl':
      return plan.query;
    case 'and':
    case 'or': {
      const parts = await Promise.all(plan.parts.map((part) => resolvePlan(part, lookups, options)));
      return plan.kind === 'and' ? and(...parts) : or(...parts);
    }
    case 'not':
      return not(await resolvePlan(plan.part, lookups, options));
    case 'subcase':
      return resolveSubcase(plan, lookups, options);
    case 'ancestor':
      return resolveAncestor(plan, lookups, options);
  }
}
