/**
 * Compiles a case search query (CommCare's `_xpath_query`) from its tree to a plan: `and`, `or`,
 * parentheses and comparisons of properties (`filter_dsl.py`), ancestor paths on the left of a
 * comparison (`parent/host/name = 'x'`), `subcase-count(…) op n`, and the query functions of
 * compile-functions.ts. Every refusal is a CaseSearchQueryError naming the column and what was
 * expected there.
 */
import { isComparison, type XPathNode } from './xpath-ast.js';
import type { CompileContext } from './compile-context.js';
import { compileComparison } from './compile-comparison.js';
import { compileFunction, compileSubcase, queryFunctionNames } from './compile-functions.js';
import { CaseSearchQueryError } from './xpath-error.js';
import { parseXPath } from './parse-xpath.js';
import type { QueryPlan } from './query-plan.js';

const fail = (message: string, node: XPathNode, ctx: CompileContext): never => {
  throw new CaseSearchQueryError(message, node.pos, ctx.query);
};

function flatten(kind: 'and' | 'or', plans: QueryPlan[]): QueryPlan {
  const parts = plans.flatMap((plan) => (plan.kind === kind ? plan.parts : [plan]));
  return { kind, parts };
}

function compileBinary(node: Extract<XPathNode, { type: 'binary' }>, ctx: CompileContext): QueryPlan {
  if (node.op === 'and' || node.op === 'or') {
    return flatten(node.op, [compileNode(node.left, ctx), compileNode(node.right, ctx)]);
  }
  if (!isComparison(node.op)) {
    return fail(
      `expected a comparison or 'and'/'or': '${node.op}' (arithmetic) is not part of case search`,
      node,
      ctx,
    );
  }
  const { left } = node;
  if (left.type === 'call' && left.name === 'subcase-count') return compileSubcase(node, ctx, compileNode);
  if (left.type === 'binary' && !isComparison(left.op) && left.op !== 'and' && left.op !== 'or') {
    return compileBinary(left, ctx);
  }
  if (left.type !== 'path') {
    const got = left.type === 'call' ? `${left.name}()` : left.type === 'binary' ? 'a condition' : 'a value';
    return fail(`expected a case property on the left of '${node.op}', got ${got}`, left, ctx);
  }
  const property = left.steps[left.steps.length - 1]!;
  const query = compileComparison(property, node.op, node.right, ctx);
  if (left.steps.length === 1) return { kind: 'dsl', query };
  // `parent/host/name = 'x'`: an ancestor along parent/host whose name is x.
  return {
    kind: 'ancestor',
    path: left.steps.slice(0, -1),
    filter: { kind: 'dsl', query },
    caseIds: null,
    source: ctx.query.slice(node.pos, node.end),
  };
}

export function compileNode(node: XPathNode, ctx: CompileContext): QueryPlan {
  switch (node.type) {
    case 'binary':
      return compileBinary(node, ctx);
    case 'call':
      if (queryFunctionNames.has(node.name)) return compileFunction(node, ctx, compileNode);
      return fail(
        `expected a condition: ${node.name}() is not a function that can stand alone (query functions: ${[...queryFunctionNames].join(', ')})`,
        node,
        ctx,
      );
    default:
      return fail(
        'expected a condition with an operator (=, !=, <, <=, >, >=) or a query function such as selected()',
        node,
        ctx,
      );
  }
}

/** Parses and compiles `_xpath_query` text; throws CaseSearchQueryError. */
export function compileXPath(query: string, ctx: Omit<CompileContext, 'query'>): QueryPlan {
  const context: CompileContext = { ...ctx, query };
  return compileNode(parseXPath(query), context);
}
