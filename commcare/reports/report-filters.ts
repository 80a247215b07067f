/**
 * Report filters (§11): checked against the data source once, then turned into WHERE conditions
 * per request. Request parameters: `date` reads `<slug>-start` and `<slug>-end` (YYYY-MM-DD, both
 * inclusive); `numeric` reads `<slug>-operator` (= != < <= > >=, or eq ne lt lte gt gte) and
 * `<slug>-operand`; `choice_list` and `dynamic_choice_list` read every `<slug>` (`_all` = no filter,
 * U+2400 = "is empty"); `pre` reads nothing. A bad value throws `ReportRequestError` naming the
 * parameter; a filter that does not fit its column is a `ReportConfigIssue`.
 */
import { columnSql, comparisonCast, isNumeric, type DataSourceColumn } from './data-source-column.js';
import { jsonPath, type ReportConfigIssue } from './report-config-error.js';
import type { ReportFilterSpec } from './report-config.js';
import { ReportRequestError } from './report-request-error.js';
import type { SqlParams } from './sql-params.js';

/** The choice value meaning "no filter" (CommCare's SHOW_ALL_CHOICE). */
export const showAllChoice = '_all';
/** The choice value meaning "the column is empty" (CommCare's NONE_CHOICE). */
export const noneChoice = '\u2400';

// Bounds on what one request may ask for, so a URL cannot make a huge query.
const maxChoiceValues = 500;
const maxValueLength = 1000;

/** A filter bound to its data source column, ready to read requests. */
export interface ResolvedFilter {
  readonly spec: ReportFilterSpec;
  readonly column: DataSourceColumn;
  /** The condition for this request, or null when the request does not restrict by this filter. */
  condition(request: URLSearchParams, params: SqlParams): string | null;
}

const numberPattern = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?$/;

function isRealDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day
  );
}

function isRealDatetime(text: string): boolean {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?Z?$/.exec(text);
  return (
    !!match &&
    isRealDate(match[1]!) &&
    Number(match[2]) < 24 &&
    Number(match[3]) < 60 &&
    Number(match[4]) < 60
  );
}

/**
 * Why `text` cannot be compared with `column`, or null when it can: numbers for numeric columns,
 * real calendar dates for date columns, date or datetime text for datetime columns.
 */
export function valueProblem(text: string, column: DataSourceColumn): string | null {
  if (text.length > maxValueLength) return `expected at most ${maxValueLength} characters`;
  if (isNumeric(column)) {
    return numberPattern.test(text) && Number.isFinite(Number(text))
      ? null
      : `expected a number, got ${JSON.stringify(text)}`;
  }
  if (column.datatype === 'date')
    return isRealDate(text) ? null : `expected a date YYYY-MM-DD, got ${JSON.stringify(text)}`;
  if (column.datatype === 'datetime') {
    return isRealDate(text) || isRealDatetime(text)
      ? null
      : `expected a date YYYY-MM-DD or datetime YYYY-MM-DDTHH:MM:SS, got ${JSON.stringify(text)}`;
  }
  return text.includes('\0') ? 'expected text without NUL characters' : null;
}

function requestValue(text: string, column: DataSourceColumn, parameter: string): string {
  const problem = valueProblem(text, column);
  if (problem) throw new ReportRequestError(parameter, problem);
  return text;
}

function nextDay(date: string): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(year, month - 1, day + 1));
  return next.toISOString().slice(0, 10);
}

const numericOperators: Readonly<Record<string, string>> = {
  '=': '=',
  eq: '=',
  '!=': '<>',
  ne: '<>',
  not_eq: '<>',
  '<': '<',
  lt: '<',
  '<=': '<=',
  lte: '<=',
  '>': '>',
  gt: '>',
  '>=': '>=',
  gte: '>=',
};
const scalarOperators: Readonly<Record<string, string>> = {
  '=': '=',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

// One value from a request, ignoring empty ones (an HTML form sends `slug=` for "nothing chosen").
function single(request: URLSearchParams, name: string): string | null {
  const values = request.getAll(name).filter((value) => value !== '');
  if (values.length > 1) throw new ReportRequestError(name, `expected one value, got ${values.length}`);
  return values[0] ?? null;
}

function literalText(value: string | number | boolean): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

/** Binds a filter to its data source column, or explains (in `issues`) why it cannot be. */
export function resolveFilter(
  spec: ReportFilterSpec,
  index: number,
  columns: ReadonlyMap<string, DataSourceColumn>,
  issues: ReportConfigIssue[],
): ResolvedFilter | null {
  const path = (...rest: PropertyKey[]) => jsonPath(['filters', index, ...rest]);
  const column = columns.get(spec.field);
  if (!column) {
    issues.push({
      path: path('field'),
      message: `expected a column of the data source (${[...columns.keys()].join(', ')}), got ${JSON.stringify(spec.field)}`,
    });
    return null;
  }
  const sql = columnSql(column);
  const cast = comparisonCast(column);
  const required = (request: URLSearchParams, names: string[]): void => {
    if (spec.required && names.every((name) => request.getAll(name).every((value) => value === ''))) {
      throw new ReportRequestError(names[0]!, 'required: this report needs a value for this filter');
    }
  };

  switch (spec.type) {
    case 'date': {
      if (
        column.datatype !== 'date' &&
        column.datatype !== 'datetime' &&
        !(spec.compare_as_string && column.datatype === 'string')
      ) {
        issues.push({
          path: path('field'),
          message: `a date filter needs a date or datetime column (or compare_as_string on a string column); ${spec.field} is ${column.datatype}`,
        });
        return null;
      }
      const boundCast = spec.compare_as_string ? 'text' : cast;
      return {
        spec,
        column,
        condition(request, params) {
          const startName = `${spec.slug}-start`;
          const endName = `${spec.slug}-end`;
          required(request, [startName, endName]);
          const start = single(request, startName);
          const end = single(request, endName);
          for (const [name, value] of [
            [startName, start],
            [endName, end],
          ] as const) {
            if (value !== null && !isRealDate(value))
              throw new ReportRequestError(
                name,
                `expected a date YYYY-MM-DD, got ${JSON.stringify(value.slice(0, 100))}`,
              );
          }
          if (start !== null && end !== null && start > end)
            throw new ReportRequestError(
              endName,
              `expected a date on or after ${startName} (${start}), got ${end}`,
            );
          const parts: string[] = [];
          if (start !== null) parts.push(`${sql} >= ${params.bind(start, boundCast)}`);
          // The end day is inclusive: compare with the start of the next day, which is right for
          // dates, for datetimes (any time that day) and for ISO text.
          if (end !== null) parts.push(`${sql} < ${params.bind(nextDay(end), boundCast)}`);
          return parts.length > 0 ? parts.join(' AND ') : null;
        },
      };
    }
    case 'numeric':
      if (!isNumeric(column)) {
        issues.push({
          path: path('field'),
          message: `a numeric filter needs an integer or decimal column; ${spec.field} is ${column.datatype}`,
        });
        return null;
      }
      return {
        spec,
        column,
        condition(request, params) {
          const operatorName = `${spec.slug}-operator`;
          const operandName = `${spec.slug}-operand`;
          required(request, [operandName]);
          const operator = single(request, operatorName);
          const operand = single(request, operandName);
          if (operator === null && operand === null) return null;
          if (operand === null)
            throw new ReportRequestError(operandName, `required with ${operatorName}: expected a number`);
          const sqlOperator = numericOperators[operator ?? '='];
          if (!sqlOperator) {
            throw new ReportRequestError(
              operatorName,
              `expected one of = != < <= > >= (or eq ne lt lte gt gte), got ${JSON.stringify(operator!.slice(0, 20))}`,
            );
          }
          return `${sql} ${sqlOperator} ${params.bind(requestValue(operand, column, operandName), 'numeric')}`;
        },
      };
    case 'pre':
      return resolvePreFilter(spec, column, sql, cast, path, issues);
    case 'choice_list':
    case 'dynamic_choice_list': {
      const allowed =
        spec.type === 'choice_list' && spec.choices.length > 0
          ? new Set(spec.choices.map((choice) => literalText(choice.value)))
          : null;
      if (allowed && spec.type === 'choice_list') {
        spec.choices.forEach((choice, choiceIndex) => {
          const problem = valueProblem(literalText(choice.value), column);
          if (problem) issues.push({ path: path('choices', choiceIndex, 'value'), message: problem });
        });
      }
      return {
        spec,
        column,
        condition(request, params) {
          required(request, [spec.slug]);
          const values = request.getAll(spec.slug).filter((value) => value !== '');
          if (values.length === 0 || values.includes(showAllChoice)) return null;
          if (values.includes(noneChoice)) return `${sql} IS NULL`;
          if (values.length > maxChoiceValues)
            throw new ReportRequestError(
              spec.slug,
              `expected at most ${maxChoiceValues} values, got ${values.length}`,
            );
          for (const value of values) {
            if (allowed && !allowed.has(value)) {
              throw new ReportRequestError(
                spec.slug,
                `expected one of ${[...allowed].map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value.slice(0, 100))}`,
              );
            }
            requestValue(value, column, spec.slug);
          }
          // An array column matches when it holds any of the chosen values.
          if (column.datatype === 'array') return `${sql} && ${params.bind(values, 'text[]')}`;
          return `${sql} IN (${values.map((value) => params.bind(value, cast)).join(', ')})`;
        },
      };
    }
  }
}

function resolvePreFilter(
  spec: Extract<ReportFilterSpec, { type: 'pre' }>,
  column: DataSourceColumn,
  sql: string,
  cast: ReturnType<typeof comparisonCast>,
  path: (...rest: PropertyKey[]) => string,
  issues: ReportConfigIssue[],
): ResolvedFilter | null {
  const value = spec.pre_value;
  const operator = spec.pre_operator ?? null;
  const fail = (message: string): null => {
    issues.push({ path: path('pre_operator'), message });
    return null;
  };
  const checkValue = (text: string, at: PropertyKey[]): boolean => {
    const problem = valueProblem(text, column);
    if (problem) issues.push({ path: path('pre_value', ...at), message: problem });
    return !problem;
  };
  const fixed = (build: (params: SqlParams) => string): ResolvedFilter => ({
    spec,
    column,
    condition: (_request, params) => build(params),
  });

  if (value === null) {
    if (operator === null || operator === '=' || operator === 'is') return fixed(() => `${sql} IS NULL`);
    if (operator === '!=' || operator === 'is not') return fixed(() => `${sql} IS NOT NULL`);
    return fail(`a null pre_value supports =, is, != or is not; got ${JSON.stringify(operator)}`);
  }
  if (Array.isArray(value)) {
    const texts = value.map((item) => literalText(item));
    if (!texts.every((text, index) => checkValue(text, [index]))) return null;
    if (operator === null || operator === 'in') {
      if (texts.length === 0) return fixed(() => 'FALSE');
      if (column.datatype === 'array') return fixed((params) => `${sql} && ${params.bind(texts, 'text[]')}`);
      return fixed((params) => `${sql} IN (${texts.map((text) => params.bind(text, cast)).join(', ')})`);
    }
    if (operator === 'between') {
      if (texts.length !== 2)
        return fail(`between needs a pre_value of exactly two items, got ${texts.length}`);
      if (column.datatype === 'array') return fail('between cannot compare an array column');
      return fixed(
        (params) => `${sql} BETWEEN ${params.bind(texts[0], cast)} AND ${params.bind(texts[1], cast)}`,
      );
    }
    return fail(`a list pre_value supports in or between; got ${JSON.stringify(operator)}`);
  }
  const text = literalText(value);
  if (!checkValue(text, [])) return null;
  const sqlOperator = scalarOperators[operator ?? '='];
  if (!sqlOperator)
    return fail(`a scalar pre_value supports = != < <= > >=; got ${JSON.stringify(operator)}`);
  if (column.datatype === 'array') {
    if (sqlOperator === '=') return fixed((params) => `${params.bind(text, 'text')} = ANY(${sql})`);
    if (sqlOperator === '<>') return fixed((params) => `NOT (${params.bind(text, 'text')} = ANY(${sql}))`);
    return fail('an array column supports only = and != with a scalar pre_value');
  }
  return fixed((params) => `${sql} ${sqlOperator} ${params.bind(text, cast)}`);
}
