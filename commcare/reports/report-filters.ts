/**
 * Report filters (§11, `reports/filters/`): checked against the data source once, then turned into
 * WHERE conditions per request. Request parameters: `date` reads `<slug>-start` and `<slug>-end`
 * (YYYY-MM-DD, both inclusive); `quarter` reads `<slug>-year` and `<slug>-quarter` (no year: the
 * first quarter of this year, as CommCare's default; year `_all`: no filter); `numeric` reads
 * `<slug>-operator` (= != < <= > >=, or eq ne lt lte gt gte) and `<slug>-operand`; `choice_list`,
 * `dynamic_choice_list` and `multi_field_dynamic_choice_list` read every `<slug>` (`_all` = no
 * filter, U+2400 = "is empty"; several fields: any of them matches); `location_drilldown` reads a
 * location id `<slug>` (with its descendants when `include_descendants`; none = all locations);
 * `pre` reads nothing. A bad value throws `ReportRequestError` naming the parameter; a filter that
 * does not fit its column is a `ReportConfigIssue`.
 */
import { columnSql, comparisonCast, isNumeric, type DataSourceColumn } from './data-source-column.js';
import { jsonPath, type ReportConfigIssue } from './report-config-error.js';
import { dateRangeOperators, type ReportFilterSpec } from './report-config.js';
import { ReportRequestError } from './report-request-error.js';
import type { SqlCast, SqlParams } from './sql-params.js';

/** The choice value meaning "no filter" (CommCare's SHOW_ALL_CHOICE). */
export const showAllChoice = '_all';
/** The choice value meaning "the column is empty" (CommCare's NONE_CHOICE). */
export const noneChoice = '\u2400';

// Bounds on what one request may ask for, so a URL cannot make a huge query.
const maxChoiceValues = 500;
const maxValueLength = 1000;

/** Something a filter must look up before its condition can be built. */
export interface FilterLookupKey {
  readonly kind: 'location_descendants';
  readonly id: string;
}

/** Answers for `FilterLookupKey`s: undefined when not loaded. */
export interface FilterLookups {
  get(kind: string, id: string): unknown;
}

/** A filter bound to its data source column, ready to read requests. */
export interface ResolvedFilter {
  readonly spec: ReportFilterSpec;
  readonly column: DataSourceColumn;
  /** The condition for this request, or null when the request does not restrict by this filter. */
  condition(request: URLSearchParams, params: SqlParams, lookups?: FilterLookups): string | null;
  /** What the condition needs looked up first for this request. */
  lookupKeys?(request: URLSearchParams): FilterLookupKey[];
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

const numericPreOperators: Readonly<Record<string, string>> = {
  ...scalarOperators,
  'distinct from': 'IS DISTINCT FROM',
};

type Path = (...rest: PropertyKey[]) => string;
type FilterOf<T extends ReportFilterSpec['type']> = Extract<ReportFilterSpec, { type: T }>;
interface FilterContext {
  readonly column: DataSourceColumn;
  readonly sql: string;
  readonly cast: SqlCast;
  readonly path: Path;
  readonly issues: ReportConfigIssue[];
  readonly columns: ReadonlyMap<string, DataSourceColumn>;
}
type FilterResolver<T extends ReportFilterSpec['type']> = (
  spec: FilterOf<T>,
  ctx: FilterContext,
) => ResolvedFilter | null;

function requireValue(spec: ReportFilterSpec, request: URLSearchParams, names: string[]): void {
  if (spec.required && names.every((name) => request.getAll(name).every((value) => value === ''))) {
    throw new ReportRequestError(names[0]!, 'required: this report needs a value for this filter');
  }
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);
const utcDate = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));

/** `start <= column < end + 1 day` for inclusive date bounds (right for dates, datetimes and ISO text). */
function dateRange(sql: string, cast: SqlCast, params: SqlParams, start: string | null, end: string | null) {
  const parts: string[] = [];
  if (start !== null) parts.push(`${sql} >= ${params.bind(start, cast)}`);
  if (end !== null) parts.push(`${sql} < ${params.bind(nextDay(end), cast)}`);
  return parts.length > 0 ? parts.join(' AND ') : null;
}

const dateFilter: FilterResolver<'date'> = (spec, ctx) => {
  const { column } = ctx;
  if (
    column.datatype !== 'date' &&
    column.datatype !== 'datetime' &&
    !(spec.compare_as_string && column.datatype === 'string')
  ) {
    ctx.issues.push({
      path: ctx.path('field'),
      message: `a date filter needs a date or datetime column (or compare_as_string on a string column); ${spec.field} is ${column.datatype}`,
    });
    return null;
  }
  const boundCast = spec.compare_as_string ? 'text' : ctx.cast;
  return {
    spec,
    column,
    condition(request, params) {
      const [startName, endName] = [`${spec.slug}-start`, `${spec.slug}-end`];
      requireValue(spec, request, [startName, endName]);
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
      return dateRange(ctx.sql, boundCast, params, start, end);
    },
  };
};

const quarterFilter: FilterResolver<'quarter'> = (spec, ctx) => {
  if (ctx.column.datatype !== 'date' && ctx.column.datatype !== 'datetime') {
    ctx.issues.push({
      path: ctx.path('field'),
      message: `a quarter filter needs a date or datetime column; ${spec.field} is ${ctx.column.datatype}`,
    });
    return null;
  }
  return {
    spec,
    column: ctx.column,
    condition(request, params) {
      const [yearName, quarterName] = [`${spec.slug}-year`, `${spec.slug}-quarter`];
      const year = single(request, yearName);
      const quarter = single(request, quarterName);
      if (year === showAllChoice) return null;
      // CommCare's default without both parameters: the first quarter of the current year.
      const y = year === null || quarter === null ? new Date().getUTCFullYear() : Number(year);
      const q = year === null || quarter === null ? 1 : Number(quarter);
      if (!/^\d{4}$/.test(String(y)))
        throw new ReportRequestError(yearName, `expected a year, got ${JSON.stringify(year)}`);
      if (![1, 2, 3, 4].includes(q))
        throw new ReportRequestError(quarterName, `expected 1, 2, 3 or 4, got ${JSON.stringify(quarter)}`);
      const start = isoDay(utcDate(y, q * 3 - 2, 1));
      const end = isoDay(utcDate(y, q * 3 + 1, 1));
      return `${ctx.sql} >= ${params.bind(start, ctx.cast)} AND ${ctx.sql} < ${params.bind(end, ctx.cast)}`;
    },
  };
};

const numericFilter: FilterResolver<'numeric'> = (spec, ctx) => {
  if (!isNumeric(ctx.column)) {
    ctx.issues.push({
      path: ctx.path('field'),
      message: `a numeric filter needs an integer or decimal column; ${spec.field} is ${ctx.column.datatype}`,
    });
    return null;
  }
  return {
    spec,
    column: ctx.column,
    condition(request, params) {
      const [operatorName, operandName] = [`${spec.slug}-operator`, `${spec.slug}-operand`];
      requireValue(spec, request, [operandName]);
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
      return `${ctx.sql} ${sqlOperator} ${params.bind(requestValue(operand, ctx.column, operandName), 'numeric')}`;
    },
  };
};

/** `IN (…)` over one or several columns (any matches), `IS NULL` for the none choice. */
function choiceCondition(
  columns: readonly DataSourceColumn[],
  values: readonly string[],
  params: SqlParams,
): string {
  const one = (column: DataSourceColumn) => {
    const sql = columnSql(column);
    if (values.includes(noneChoice)) return `${sql} IS NULL`;
    // An array column matches when it holds any of the chosen values.
    if (column.datatype === 'array') return `${sql} && ${params.bind(values, 'text[]')}`;
    return `${sql} IN (${values.map((value) => params.bind(value, comparisonCast(column))).join(', ')})`;
  };
  const conditions = columns.map(one);
  return conditions.length === 1 ? conditions[0]! : conditions.map((c) => `(${c})`).join(' OR ');
}

function choiceFilter(
  spec: FilterOf<'choice_list' | 'dynamic_choice_list' | 'multi_field_dynamic_choice_list'>,
  ctx: FilterContext,
  columns: readonly DataSourceColumn[],
): ResolvedFilter {
  const allowed =
    spec.type === 'choice_list' && spec.choices.length > 0
      ? new Set(
          spec.choices.map((choice) => (choice.value === null ? noneChoice : literalText(choice.value))),
        )
      : null;
  if (spec.type === 'choice_list') {
    spec.choices.forEach((choice, choiceIndex) => {
      if (choice.value === null || choice.value === showAllChoice) return;
      const problem = valueProblem(literalText(choice.value), ctx.column);
      if (problem) ctx.issues.push({ path: ctx.path('choices', choiceIndex, 'value'), message: problem });
    });
  }
  return {
    spec,
    column: ctx.column,
    condition(request, params) {
      requireValue(spec, request, [spec.slug]);
      const values = request.getAll(spec.slug).filter((value) => value !== '');
      if (values.length === 0 || values.includes(showAllChoice)) return null;
      if (values.length > maxChoiceValues)
        throw new ReportRequestError(
          spec.slug,
          `expected at most ${maxChoiceValues} values, got ${values.length}`,
        );
      for (const value of values) {
        if (value === noneChoice) continue;
        if (allowed && !allowed.has(value)) {
          throw new ReportRequestError(
            spec.slug,
            `expected one of ${[...allowed].map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value.slice(0, 100))}`,
          );
        }
        for (const column of columns) requestValue(value, column, spec.slug);
      }
      return choiceCondition(columns, values, params);
    },
  };
}

const multiFieldFilter: FilterResolver<'multi_field_dynamic_choice_list'> = (spec, ctx) => {
  const columns: DataSourceColumn[] = [];
  spec.fields.forEach((field, index) => {
    const column = ctx.columns.get(field);
    if (column) columns.push(column);
    else
      ctx.issues.push({
        path: ctx.path('fields', index),
        message: `expected a column of the data source (${[...ctx.columns.keys()].join(', ')}), got ${JSON.stringify(field)}`,
      });
  });
  return columns.length === spec.fields.length
    ? choiceFilter(spec, { ...ctx, column: columns[0]! }, columns)
    : null;
};

const locationDrilldownFilter: FilterResolver<'location_drilldown'> = (spec, ctx) => ({
  spec,
  column: ctx.column,
  lookupKeys(request) {
    const id = single(request, spec.slug);
    return spec.include_descendants && id !== null && id !== showAllChoice
      ? [{ kind: 'location_descendants', id }]
      : [];
  },
  condition(request, params, lookups) {
    requireValue(spec, request, [spec.slug]);
    const id = single(request, spec.slug);
    // No location chosen: every location (a user restricted to locations is not modelled here).
    if (id === null || id === showAllChoice) return null;
    requestValue(id, ctx.column, spec.slug);
    let ids = [id];
    if (spec.include_descendants) {
      const found = lookups?.get('location_descendants', id);
      ids = Array.isArray(found)
        ? [id, ...found.filter((x): x is string => typeof x === 'string' && x !== id)]
        : [id];
    }
    return `${ctx.sql} IN (${ids.map((value) => params.bind(value, ctx.cast)).join(', ')})`;
  },
});

const filterResolvers: { [T in ReportFilterSpec['type']]: FilterResolver<T> } = {
  date: dateFilter,
  quarter: quarterFilter,
  numeric: numericFilter,
  pre: (spec, ctx) => resolvePreFilter(spec, ctx.column, ctx.sql, ctx.cast, ctx.path, ctx.issues),
  choice_list: (spec, ctx) => choiceFilter(spec, ctx, [ctx.column]),
  dynamic_choice_list: (spec, ctx) => choiceFilter(spec, ctx, [ctx.column]),
  multi_field_dynamic_choice_list: multiFieldFilter,
  location_drilldown: locationDrilldownFilter,
};

/** Binds a filter to its data source column(s), or explains (in `issues`) why it cannot be. */
export function resolveFilter(
  spec: ReportFilterSpec,
  index: number,
  columns: ReadonlyMap<string, DataSourceColumn>,
  issues: ReportConfigIssue[],
): ResolvedFilter | null {
  const path: Path = (...rest) => jsonPath(['filters', index, ...rest]);
  const field =
    spec.type === 'multi_field_dynamic_choice_list' ? (spec.field ?? spec.fields[0]!) : spec.field;
  const column = columns.get(field);
  if (!column) {
    issues.push({
      path: path(
        spec.type === 'multi_field_dynamic_choice_list' && spec.field === undefined ? 'fields' : 'field',
      ),
      message: `expected a column of the data source (${[...columns.keys()].join(', ')}), got ${JSON.stringify(field)}`,
    });
    return null;
  }
  const ctx: FilterContext = {
    column,
    sql: columnSql(column),
    cast: comparisonCast(column),
    path,
    issues,
    columns,
  };
  const resolver = filterResolvers[spec.type] as FilterResolver<typeof spec.type>;
  return resolver(spec, ctx);
}

/** The [start, end] dates of one of CommCare's dynamic date ranges, or a problem. */
function dynamicDateRange(operator: string, operand: readonly unknown[]): [string, string] | string {
  const now = new Date();
  const [y, m, d] = [now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate()];
  const today = isoDay(utcDate(y, m, d));
  const quarterStart = (year: number, q: number) => utcDate(year, q * 3 - 2, 1);
  const lastDay = (date: Date) => isoDay(new Date(date.getTime() - 86_400_000));
  const q = Math.floor((m - 1) / 3) + 1;
  const given = (i: number) => (typeof operand[i] === 'string' && isRealDate(operand[i]) ? operand[i] : null);
  switch (operator) {
    case 'since':
      return given(0) ? [given(0)!, today] : `since needs pre_value [start date]`;
    case 'range':
      return given(0) && given(1) ? [given(0)!, given(1)!] : `range needs pre_value [start date, end date]`;
    case 'thismonth':
      return [isoDay(utcDate(y, m, 1)), lastDay(utcDate(y, m + 1, 1))];
    case 'lastmonth':
      return [isoDay(utcDate(y, m - 1, 1)), lastDay(utcDate(y, m, 1))];
    case 'thisquarter':
      return [isoDay(quarterStart(y, q)), lastDay(quarterStart(y, q + 1))];
    case 'lastquarter':
      return [isoDay(quarterStart(y, q - 1)), lastDay(quarterStart(y, q))];
    case 'thisyear':
      return [`${y}-01-01`, `${y}-12-31`];
    case 'lastyear':
      return [`${y - 1}-01-01`, `${y - 1}-12-31`];
    default: {
      const days = operator === 'last7' ? 7 : operator === 'last30' ? 30 : Number(operand[2]);
      if (!Number.isInteger(days)) return 'lastn needs pre_value [null, null, days]';
      return [isoDay(utcDate(y, m, d - days)), today];
    }
  }
}

function resolvePreFilter(
  spec: FilterOf<'pre'>,
  column: DataSourceColumn,
  sql: string,
  cast: SqlCast,
  path: Path,
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

  if (operator !== null && (dateRangeOperators as readonly string[]).includes(operator)) {
    const operand = Array.isArray(value) ? value : [value];
    const problem = dynamicDateRange(operator, operand);
    if (typeof problem === 'string') return fail(problem);
    // Re-evaluated per request: "last 7 days" moves with the clock.
    return fixed((params) => {
      const [start, end] = dynamicDateRange(operator, operand) as [string, string];
      return `${sql} BETWEEN ${params.bind(start, cast)} AND ${params.bind(end, cast)}`;
    });
  }
  if (value === null) {
    if (operator === null || operator === '=' || operator === 'is') return fixed(() => `${sql} IS NULL`);
    if (operator === '!=' || operator === 'is not') return fixed(() => `${sql} IS NOT NULL`);
    return fail(`a null pre_value supports =, is, != or is not; got ${JSON.stringify(operator)}`);
  }
  if (Array.isArray(value) && spec.datatype !== 'array') {
    const texts = value.map((item) => (item === null ? null : literalText(item)));
    if (!texts.every((text, index) => text === null || checkValue(text, [index]))) return null;
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
  if (Array.isArray(value)) {
    // datatype "array": the list is the value itself, compared with an array column.
    const texts = value.map((item) => (item === null ? null : literalText(item)));
    const sqlOperator = numericPreOperators[operator ?? '='];
    if (column.datatype !== 'array' || (sqlOperator !== '=' && sqlOperator !== '<>'))
      return fail('a pre_value list with datatype array compares an array column with = or !=');
    return fixed((params) => `${sql} ${sqlOperator} ${params.bind(texts, 'text[]')}`);
  }
  const text = literalText(value);
  if (!checkValue(text, [])) return null;
  const sqlOperator = numericPreOperators[operator ?? '='];
  if (!sqlOperator)
    return fail(
      `a scalar pre_value supports = != < <= > >= or distinct from; got ${JSON.stringify(operator)}`,
    );
  if (column.datatype === 'array') {
    if (sqlOperator === '=') return fixed((params) => `${params.bind(text, 'text')} = ANY(${sql})`);
    if (sqlOperator === '<>') return fixed((params) => `NOT (${params.bind(text, 'text')} = ANY(${sql}))`);
    return fail('an array column supports only = and != with a scalar pre_value');
  }
  return fixed((params) => `${sql} ${sqlOperator} ${params.bind(text, cast)}`);
}
