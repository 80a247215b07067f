/**
 * A property compared with a value (`age > 10`, `name = 'x'`, `dob < date-add(today(), 'years', -18)`),
 * as CommCare's `property_comparison_query`: equality is an exact match (fuzzy with the fuzzy
 * flag; `''` means not set), `!=` its negation, ranges are numeric when the value is a number and
 * date ranges when it is a `YYYY-MM-DD` date; date-time system properties compare whole days in
 * the project's time zone.
 */
import {
  dateRange,
  not,
  numericRange,
  propertyQuery,
  type Dsl,
  type RangeBounds,
} from '../case-search-queries.js';
import type { ComparisonOperator, XPathNode } from './xpath-ast.js';
import { dateTimeProperties, type CompileContext } from './compile-context.js';
import { parseIsoDate, startOfDayIn } from './xpath-dates.js';
import { CaseSearchQueryError } from './xpath-error.js';
import { unwrapValue, valueToEpochDay, type XPathValue } from './xpath-values.js';

const RANGE: Record<'<' | '<=' | '>' | '>=', keyof RangeBounds> = {
  '>': 'gt',
  '>=': 'gte',
  '<': 'lt',
  '<=': 'lte',
};
const PYTHON_FLOAT = /^\s*[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A value as Python's `str()` gives it: 5 → '5', the literal 5.0 → '5.0'. */
function valueText(value: XPathValue, node: XPathNode, query: string): string | readonly string[] {
  if (typeof value !== 'number') return value;
  if (Number.isInteger(value) && node.type === 'number' && query.slice(node.pos, node.end).includes('.')) {
    return `${value}.0`;
  }
  return String(value);
}

function rangeQuery(
  name: string,
  op: keyof typeof RANGE,
  value: XPathValue,
  node: XPathNode,
  ctx: CompileContext,
): Dsl {
  const bound = RANGE[op];
  if (typeof value === 'number') return numericRange(name, { [bound]: value });
  if (typeof value === 'string') {
    if (PYTHON_FLOAT.test(value)) return numericRange(name, { [bound]: Number(value.replace(/_/g, '')) });
    if (parseIsoDate(value) !== undefined) return dateRange(name, { [bound]: value });
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      throw new CaseSearchQueryError(`'${value}' is not a valid date`, node.pos, ctx.query);
    }
  }
  throw new CaseSearchQueryError(
    "expected a number or a date on the right of a comparison (dates as 'YYYY-MM-DD', in quotes)",
    node.pos,
    ctx.query,
  );
}

/** A date-time system property against a date: the day's bounds in the project's time zone. */
function dateTimeQuery(
  name: string,
  op: ComparisonOperator,
  value: XPathValue,
  node: XPathNode,
  ctx: CompileContext,
): Dsl {
  const day = valueToEpochDay(value, node, ctx);
  const instant = (d: number) => new Date(startOfDayIn(d, ctx.timeZone)).toISOString();
  if (op === '=' || op === '!=') {
    const query = dateRange(name, { gte: instant(day), lt: instant(day + 1) });
    return op === '=' ? query : not(query);
  }
  // `> d` and `<= d` are about the end of day d: the start of the next.
  const adjusted = op === '>' || op === '<=' ? day + 1 : day;
  return dateRange(name, { [RANGE[op]]: instant(adjusted) });
}

export function compileComparison(
  name: string,
  op: ComparisonOperator,
  right: XPathNode,
  ctx: CompileContext,
): Dsl {
  const value = unwrapValue(right, ctx);
  if (dateTimeProperties.has(name)) return dateTimeQuery(name, op, value, right, ctx);
  if (op === '=' || op === '!=') {
    const query = propertyQuery(name, valueText(value, right, ctx.query), {
      fuzzy: ctx.fuzzy,
      fuzzyPrefixLength: ctx.fuzzyPrefixLength,
    });
    return op === '=' ? query : not(query);
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new CaseSearchQueryError('expected a number or a date, got a list', right.pos, ctx.query);
  }
  return rangeQuery(name, op, value, right, ctx);
}
