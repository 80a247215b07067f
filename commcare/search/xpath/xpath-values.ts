/**
 * The right-hand sides of case search comparisons: literals, negative numbers, and CommCare's value
 * functions `date()`, `today()`, `date-add()` and `unwrap-list()` (`xpath_functions/value_functions.py`).
 * A property reference is refused here, as CommCare does: the right side is a value, not a case.
 */
import type { XPathNode } from './xpath-ast.js';
import { addMonths, epochDayIn, formatEpochDay, parseIsoDate } from './xpath-dates.js';
import { CaseSearchQueryError } from './xpath-error.js';

export type XPathValue = string | number | readonly string[];

/** What value functions need to know: the query (for errors), the project's time zone and the clock. */
export interface ValueContext {
  query: string;
  timeZone: string;
  /** Epoch ms of "now", for `today()`. */
  now: number;
}

const fail = (message: string, node: XPathNode, ctx: ValueContext): never => {
  throw new CaseSearchQueryError(message, node.pos, ctx.query);
};

export const valueFunctionNames = ['date', 'today', 'date-add', 'unwrap-list'] as const;

function expectArgs(node: Extract<XPathNode, { type: 'call' }>, count: number, ctx: ValueContext): void {
  if (node.args.length !== count) {
    fail(
      `${node.name}() expects ${count} argument${count === 1 ? '' : 's'}, got ${node.args.length}`,
      node,
      ctx,
    );
  }
}

/** A value as a date (days since the epoch): an integer is days since 1970-01-01, text is `YYYY-MM-DD`. */
export function valueToEpochDay(value: XPathValue, node: XPathNode, ctx: ValueContext): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail(`${value} is not a whole number of days since 1970-01-01`, node, ctx);
    return value;
  }
  if (typeof value === 'string') {
    const day = parseIsoDate(value);
    if (day === undefined) fail(`expected a date as 'YYYY-MM-DD', got '${value}'`, node, ctx);
    return day!;
  }
  return fail('expected a date, got a list', node, ctx);
}

function dateAdd(node: Extract<XPathNode, { type: 'call' }>, ctx: ValueContext): string {
  expectArgs(node, 3, ctx);
  const [dateNode, intervalNode, quantityNode] = node.args as [XPathNode, XPathNode, XPathNode];
  const day = valueToEpochDay(unwrapValue(dateNode, ctx), dateNode, ctx);
  const interval = unwrapValue(intervalNode, ctx);
  if (interval !== 'days' && interval !== 'weeks' && interval !== 'months' && interval !== 'years') {
    return fail(
      "date-add() expects the interval to be one of 'days', 'weeks', 'months', 'years'",
      intervalNode,
      ctx,
    );
  }
  const raw = unwrapValue(quantityNode, ctx);
  const quantity = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof quantity !== 'number' || !Number.isFinite(quantity)) {
    return fail('date-add() expects the quantity to be a number', quantityNode, ctx);
  }
  if ((interval === 'months' || interval === 'years') && !Number.isInteger(quantity)) {
    return fail(`date-add() cannot add a fraction of ${interval} (ambiguous)`, quantityNode, ctx);
  }
  if (interval === 'months') return formatEpochDay(addMonths(day, quantity));
  if (interval === 'years') return formatEpochDay(addMonths(day, quantity * 12));
  // Fractions of days or weeks land on the date they reach, as a date plus a relativedelta does.
  return formatEpochDay(day + Math.floor(quantity * (interval === 'weeks' ? 7 : 1)));
}

function unwrapList(node: Extract<XPathNode, { type: 'call' }>, ctx: ValueContext): readonly string[] {
  expectArgs(node, 1, ctx);
  const arg = node.args[0]!;
  const text = unwrapValue(arg, ctx);
  if (typeof text !== 'string') return fail('unwrap-list() expects a JSON list as text', arg, ctx);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail(`unwrap-list() expects a JSON list as text, got '${text}'`, arg, ctx);
  }
  if (!Array.isArray(parsed)) return fail('unwrap-list() expects a JSON list', arg, ctx);
  return parsed.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

/** The value of a right-hand side; a CaseSearchQueryError for a property reference or an unknown function. */
export function unwrapValue(node: XPathNode, ctx: ValueContext): XPathValue {
  switch (node.type) {
    case 'string':
    case 'number':
      return node.value;
    case 'negate': {
      const inner = unwrapValue(node.operand, ctx);
      if (typeof inner !== 'number') return fail('expected a number after -', node, ctx);
      return -inner;
    }
    case 'path':
      return fail(
        `expected a value, got the case property '${node.steps.join('/')}' (to compare with the text ${node.steps.join('/')}, put it in quotes)`,
        node,
        ctx,
      );
    case 'binary':
      return fail(
        'expected a value, got an expression (arithmetic and comparisons are not values in case search)',
        node,
        ctx,
      );
    case 'call':
      switch (node.name) {
        case 'date':
          expectArgs(node, 1, ctx);
          return formatEpochDay(valueToEpochDay(unwrapValue(node.args[0]!, ctx), node.args[0]!, ctx));
        case 'today':
          expectArgs(node, 0, ctx);
          return formatEpochDay(epochDayIn(ctx.now, ctx.timeZone));
        case 'date-add':
          return dateAdd(node, ctx);
        case 'unwrap-list':
          return unwrapList(node, ctx);
        default:
          return fail(
            `expected a value function (${valueFunctionNames.join('(), ')}()), got ${node.name}()`,
            node,
            ctx,
          );
      }
  }
}
