/**
 * Expression columns (§11: computed on each report row after the query). Only the expressions that
 * need nothing but the row are accepted: `property_name`, `constant` (or a bare literal) and
 * `conditional` with `boolean_expression`/`and`/`or`/`not` tests, and `evaluator` statements of
 * arithmetic only (see row-arithmetic.ts). Anything else is refused when the
 * configuration is read, with the path and the list of supported types, never at request time.
 */
import { isObject } from '../../runtime/contract/index.js';
import type { ReportConfigIssue } from './report-config-error.js';
import { jsonPath } from './report-config-error.js';
import { parseArithmetic } from './row-arithmetic.js';

/** A report row keyed by column id, values as the query returned them (numbers, strings, null). */
export type ReportRowData = Readonly<Record<string, unknown>>;
export type RowExpression = (row: ReportRowData) => unknown;
type RowFilter = (row: ReportRowData) => boolean;

const supportedExpressions = 'property_name, constant, conditional, evaluator (arithmetic only)';
const supportedFilters = 'boolean_expression, and, or, not';
const operators = ['eq', 'not_eq', 'in', 'lt', 'lte', 'gt', 'gte'] as const;

// Python-like: numbers compare with numbers, strings with strings; anything else is not ordered.
function compare(left: unknown, right: unknown): number | null {
  if (typeof left === 'number' && typeof right === 'number') return left - right;
  if (typeof left === 'string' && typeof right === 'string') return left < right ? -1 : left > right ? 1 : 0;
  return null;
}

function equals(left: unknown, right: unknown): boolean {
  if (typeof left === 'boolean' || typeof right === 'boolean')
    return Number(left) === Number(right) && left !== null && right !== null;
  return left === right;
}

function compileFilter(spec: unknown, path: PropertyKey[], issues: ReportConfigIssue[]): RowFilter {
  const never: RowFilter = () => false;
  if (!isObject(spec)) {
    issues.push({ path: jsonPath(path), message: `expected a filter object (${supportedFilters})` });
    return never;
  }
  switch (spec.type) {
    case 'boolean_expression': {
      const operator = spec.operator;
      if (!operators.includes(operator as (typeof operators)[number])) {
        issues.push({
          path: jsonPath([...path, 'operator']),
          message: `expected one of ${operators.join('|')}, got ${JSON.stringify(operator)}`,
        });
        return never;
      }
      const expression = compileReportExpression(spec.expression, [...path, 'expression'], issues);
      const reference = spec.property_value;
      if (operator === 'in' && !Array.isArray(reference)) {
        issues.push({
          path: jsonPath([...path, 'property_value']),
          message: 'expected a list for operator "in"',
        });
        return never;
      }
      return (row) => {
        const value = expression(row);
        const order = compare(value, reference);
        switch (operator as (typeof operators)[number]) {
          case 'eq':
            return equals(value, reference);
          case 'not_eq':
            return !equals(value, reference);
          case 'in':
            return (reference as unknown[]).some((item) => equals(value, item));
          case 'lt':
            return order !== null && order < 0;
          case 'lte':
            return order !== null && order <= 0;
          case 'gt':
            return order !== null && order > 0;
          case 'gte':
            return order !== null && order >= 0;
        }
      };
    }
    case 'and':
    case 'or': {
      if (!Array.isArray(spec.filters)) {
        issues.push({ path: jsonPath([...path, 'filters']), message: 'expected a list of filters' });
        return never;
      }
      const parts = spec.filters.map((part, index) =>
        compileFilter(part, [...path, 'filters', index], issues),
      );
      return spec.type === 'and'
        ? (row) => parts.every((part) => part(row))
        : (row) => parts.some((part) => part(row));
    }
    case 'not': {
      const inner = compileFilter(spec.filter, [...path, 'filter'], issues);
      return (row) => !inner(row);
    }
    default:
      issues.push({
        path: jsonPath([...path, 'type']),
        message: `filter type ${JSON.stringify(spec.type)} is not supported in report expression columns; expected one of ${supportedFilters}`,
      });
      return never;
  }
}

/**
 * Compiles an expression over a report row. Problems are appended to `issues` (the caller throws
 * them together); the returned function is then a placeholder that yields null.
 */
export function compileReportExpression(
  spec: unknown,
  path: PropertyKey[],
  issues: ReportConfigIssue[],
): RowExpression {
  // CommCare accepts a bare literal where an expression is expected.
  if (!isObject(spec)) {
    if (spec === undefined) {
      issues.push({
        path: jsonPath(path),
        message: `required: expected an expression (${supportedExpressions})`,
      });
      return () => null;
    }
    return () => spec;
  }
  switch (spec.type) {
    case 'constant':
      return () => spec.constant ?? null;
    case 'property_name': {
      const name = spec.property_name;
      if (typeof name !== 'string' || name === '') {
        issues.push({ path: jsonPath([...path, 'property_name']), message: 'expected a report column id' });
        return () => null;
      }
      return (row) => (Object.hasOwn(row, name) ? (row[name] ?? null) : null);
    }
    case 'conditional': {
      const test = compileFilter(spec.test, [...path, 'test'], issues);
      const whenTrue = compileReportExpression(
        spec.expression_if_true ?? null,
        [...path, 'expression_if_true'],
        issues,
      );
      const whenFalse = compileReportExpression(
        spec.expression_if_false ?? null,
        [...path, 'expression_if_false'],
        issues,
      );
      return (row) => (test(row) ? whenTrue(row) : whenFalse(row));
    }
    case 'evaluator': {
      const statement =
        typeof spec.statement === 'string' ? parseArithmetic(spec.statement) : 'expected a statement string';
      if (typeof statement === 'string') {
        issues.push({
          path: jsonPath([...path, 'statement']),
          message: `${statement}; report expression columns accept arithmetic only (numbers, names, ( ), + - * / // %)`,
        });
        return () => null;
      }
      const truncate = spec.datatype === 'integer' || spec.datatype === 'small_integer';
      let variables: (row: ReportRowData) => Record<string, unknown>;
      if (
        spec.context_variables === undefined ||
        (isObject(spec.context_variables) && Object.keys(spec.context_variables).length === 0)
      ) {
        // As in CommCare: without context_variables the item's own keys are the variables.
        variables = (row) => row;
      } else if (isObject(spec.context_variables)) {
        const compiled = Object.entries(spec.context_variables).map(
          ([name, variable]) =>
            [name, compileReportExpression(variable, [...path, 'context_variables', name], issues)] as const,
        );
        variables = (row) =>
          Object.fromEntries(compiled.map(([name, expression]) => [name, expression(row)]));
      } else {
        issues.push({
          path: jsonPath([...path, 'context_variables']),
          message: 'expected an object of name -> expression',
        });
        return () => null;
      }
      return (row) => {
        const value = statement.evaluate(variables(row));
        return value !== null && truncate ? Math.trunc(value) : value;
      };
    }
    default:
      issues.push({
        path: jsonPath([...path, 'type']),
        message: `expression type ${JSON.stringify(spec.type)} is not supported in report expression columns; expected one of ${supportedExpressions}`,
      });
      return () => null;
  }
}
