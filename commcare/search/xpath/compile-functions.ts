/**
 * CommCare's query functions (`xpath_functions/__init__.py` XPATH_QUERY_FUNCTIONS): `not`,
 * `selected`, `selected-any`, `selected-all`, `starts-with`, `fuzzy-match`, `phonetic-match`,
 * `within-distance`, `match-all`, `match-none`, `subcase-exists`, `subcase-count` (compared with a
 * count) and `ancestor-exists`, each checked for its arguments.
 */
import {
  geoDistance,
  matchAll,
  matchNone,
  propertyQuery,
  soundsLike,
  startsWith,
} from '../case-search-queries.js';
import type { XPathNode } from './xpath-ast.js';
import type { CompileContext } from './compile-context.js';
import { CaseSearchQueryError } from './xpath-error.js';
import type { QueryPlan } from './query-plan.js';
import { unwrapValue, type XPathValue } from './xpath-values.js';

type Call = Extract<XPathNode, { type: 'call' }>;
type Compile = (node: XPathNode, ctx: CompileContext) => QueryPlan;

const fail = (message: string, node: XPathNode, ctx: CompileContext): never => {
  throw new CaseSearchQueryError(message, node.pos, ctx.query);
};

function expectArgs(node: Call, ctx: CompileContext, min: number, max = min): void {
  const n = node.args.length;
  if (n >= min && n <= max) return;
  const wanted = min === max ? `${min}` : `${min} or ${max}`;
  fail(`${node.name}() expects ${wanted} argument${max === 1 ? '' : 's'}, got ${n}`, node, ctx);
}

/** The first argument of most functions: a property, as a name (`age`) or as text (`'age'`). */
function propertyName(node: Call, ctx: CompileContext): string {
  const arg = node.args[0]!;
  if (arg.type === 'path' && arg.steps.length === 1) return arg.steps[0]!;
  if (arg.type === 'string') return arg.value;
  return fail(`expected a case property name as the first argument of ${node.name}()`, arg, ctx);
}

function text(value: XPathValue): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : value.join(' ');
}

const dsl = (query: Record<string, unknown>): QueryPlan => ({ kind: 'dsl', query });

const DISTANCE_UNITS = new Set([
  'miles',
  'yards',
  'feet',
  'inch',
  'kilometers',
  'meters',
  'centimeters',
  'millimeters',
  'nauticalmiles',
]);

/** CommCare's GeoPoint.from_string (flexible): `lat lon`, `lat,lon` or `lat lon altitude accuracy`. */
function geoPoint(value: string): { lat: number; lon: number } | undefined {
  const parts = value
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  if (parts.length !== 2 && parts.length !== 4) return undefined;
  const [lat, lon] = parts as [number, number];
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
    return undefined;
  }
  return { lat, lon };
}

function withinDistance(node: Call, ctx: CompileContext): QueryPlan {
  expectArgs(node, ctx, 4);
  const name = propertyName(node, ctx);
  const [, coordsNode, distanceNode, unitNode] = node.args as [XPathNode, XPathNode, XPathNode, XPathNode];
  const point = geoPoint(text(unwrapValue(coordsNode, ctx)));
  if (!point)
    return fail(
      "expected coordinates as 'latitude longitude' as the second argument of within-distance()",
      coordsNode,
      ctx,
    );
  const distance = Number(text(unwrapValue(distanceNode, ctx)));
  if (!Number.isFinite(distance) || distance < 0) {
    return fail(
      'expected a distance (a number) as the third argument of within-distance()',
      distanceNode,
      ctx,
    );
  }
  const unit = text(unwrapValue(unitNode, ctx));
  if (!DISTANCE_UNITS.has(unit)) {
    return fail(
      `expected a distance unit (one of ${[...DISTANCE_UNITS].join(', ')}), got '${unit}'`,
      unitNode,
      ctx,
    );
  }
  return dsl(geoDistance(name, point, `${distance}${unit}`));
}

function ancestorExists(node: Call, ctx: CompileContext, compile: Compile): QueryPlan {
  expectArgs(node, ctx, 2);
  const [path, filter] = node.args as [XPathNode, XPathNode];
  if (path.type !== 'path')
    return fail(
      'expected an ancestor path such as parent or parent/host as the first argument of ancestor-exists()',
      path,
      ctx,
    );
  rejectSubcaseFunctions(filter, ctx);
  // `@case_id = 'x'`: the ancestor is known, no lookup of it is needed.
  if (
    filter.type === 'binary' &&
    filter.op === '=' &&
    filter.left.type === 'path' &&
    filter.left.steps.join('/') === '@case_id'
  ) {
    const value = unwrapValue(filter.right, ctx);
    const caseIds =
      typeof value === 'string' ? [value] : typeof value === 'number' ? [String(value)] : [...value];
    return {
      kind: 'ancestor',
      path: path.steps,
      filter: null,
      caseIds,
      source: ctx.query.slice(node.pos, node.end),
    };
  }
  return {
    kind: 'ancestor',
    path: path.steps,
    filter: compile(filter, ctx),
    caseIds: null,
    source: ctx.query.slice(node.pos, node.end),
  };
}

function rejectSubcaseFunctions(node: XPathNode, ctx: CompileContext): void {
  if (node.type === 'call' && (node.name === 'subcase-exists' || node.name === 'subcase-count')) {
    fail(`${node.name}() is not supported inside ancestor-exists()`, node, ctx);
  }
  if (node.type === 'binary' && (node.op === 'and' || node.op === 'or')) {
    rejectSubcaseFunctions(node.left, ctx);
    rejectSubcaseFunctions(node.right, ctx);
  }
}

/**
 * `subcase-exists('parent'[, filter])`, or `subcase-count('parent'[, filter]) op n`, normalised as
 * CommCare's `_normalize_param`: to `count > n` or `count = n`, inverted for <, <=, != and `= 0`.
 */
export function compileSubcase(node: XPathNode, ctx: CompileContext, compile: Compile): QueryPlan {
  let call: Call;
  let op: string = '>';
  let count = 0;
  if (node.type === 'binary') {
    call = node.left as Call;
    if (node.right.type !== 'number' || !Number.isInteger(node.right.value) || node.right.value < 0) {
      return fail('expected a whole number (0 or more) to compare subcase-count() with', node.right, ctx);
    }
    op = node.op;
    count = node.right.value;
  } else if (node.type === 'call' && node.name === 'subcase-exists') {
    call = node;
  } else {
    return fail(
      `expected subcase-count() compared with a number, e.g. subcase-count('parent') > 2`,
      node,
      ctx,
    );
  }
  expectArgs(call, ctx, 1, 2);
  const identifier = call.args[0]!;
  if (identifier.type !== 'string')
    return fail(
      `expected an index identifier in quotes (e.g. 'parent') as the first argument of ${call.name}()`,
      identifier,
      ctx,
    );
  let invert = false;
  if (op === '<') [op, count, invert] = ['>', count - 1, true];
  else if (op === '<=') [op, invert] = ['>', true];
  else if (op === '>=') [op, count] = ['>', count - 1];
  else if (op === '!=') [op, invert] = ['=', true];
  if (op === '=' && count === 0) [op, invert] = ['>', !invert];
  return {
    kind: 'subcase',
    identifier: identifier.value,
    filter: call.args[1] ? compile(call.args[1], ctx) : null,
    op: op as '>' | '=',
    count,
    invert,
    source: ctx.query.slice(node.pos, node.end),
  };
}

const handlers: Record<string, (node: Call, ctx: CompileContext, compile: Compile) => QueryPlan> = {
  not: (node, ctx, compile) => {
    expectArgs(node, ctx, 1);
    return { kind: 'not', part: compile(node.args[0]!, ctx) };
  },
  'starts-with': (node, ctx) => {
    expectArgs(node, ctx, 2);
    return dsl(startsWith(propertyName(node, ctx), text(unwrapValue(node.args[1]!, ctx))));
  },
  selected: (node, ctx) => selectedQuery(node, ctx, 'or'),
  'selected-any': (node, ctx) => selectedQuery(node, ctx, 'or'),
  'selected-all': (node, ctx) => selectedQuery(node, ctx, 'and'),
  'within-distance': withinDistance,
  'phonetic-match': (node, ctx) => {
    expectArgs(node, ctx, 2);
    return dsl(soundsLike(propertyName(node, ctx), text(unwrapValue(node.args[1]!, ctx))));
  },
  'fuzzy-match': (node, ctx) => {
    expectArgs(node, ctx, 2);
    const value = unwrapValue(node.args[1]!, ctx);
    return dsl(
      propertyQuery(propertyName(node, ctx), text(value), {
        fuzzy: true,
        fuzzyPrefixLength: ctx.fuzzyPrefixLength,
      }),
    );
  },
  'match-all': (node, ctx) => {
    expectArgs(node, ctx, 0);
    return dsl(matchAll());
  },
  'match-none': (node, ctx) => {
    expectArgs(node, ctx, 0);
    return dsl(matchNone());
  },
  'subcase-exists': (node, ctx, compile) => compileSubcase(node, ctx, compile),
  'subcase-count': (node, ctx) =>
    fail("subcase-count() compared with a number, e.g. subcase-count('parent') > 2", node, ctx),
  'ancestor-exists': ancestorExists,
};

function selectedQuery(node: Call, ctx: CompileContext, mode: 'and' | 'or'): QueryPlan {
  expectArgs(node, ctx, 2);
  const value = unwrapValue(node.args[1]!, ctx);
  const values = typeof value === 'number' ? String(value) : value;
  return dsl(
    propertyQuery(propertyName(node, ctx), values, {
      fuzzy: ctx.fuzzy,
      mode,
      fuzzyPrefixLength: ctx.fuzzyPrefixLength,
    }),
  );
}

export const queryFunctionNames: ReadonlySet<string> = new Set(Object.keys(handlers));

export function compileFunction(node: Call, ctx: CompileContext, compile: Compile): QueryPlan {
  return handlers[node.name]!(node, ctx, compile);
}
