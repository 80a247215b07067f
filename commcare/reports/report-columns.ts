/**
 * Report columns checked against the data source's columns (`reports/specs.py`): one resolver per
 * column type, each adding problems to the compilation's issues instead of throwing, so a
 * configuration is reported in one pass.
 */
import { UcrCompiler, type Expr } from '../ucr/compile/ucr-compiler.js';
import { UcrConfigError } from '../ucr/compile/ucr-config-error.js';
import {
  compileTransform,
  isEmptyTransform,
  TransformSpecError,
  type ValueTransform,
} from '../ucr/transforms/compile-transform.js';
import { strftimeDirectives, unsupportedStrftimeDirective } from '../ucr/transforms/strftime.js';
import { isNumeric, type DataSourceColumn } from './data-source-column.js';
import type { PercentFormat } from './format-percent.js';
import { jsonPath, type ReportConfigIssue } from './report-config-error.js';
import { reportColumnId, type FieldColumnSpec, type ReportColumnSpec } from './report-config.js';
import { parseSumWhenCondition, type SumWhenCondition } from './sum-when-condition.js';

export type Aggregation = FieldColumnSpec['aggregation'];
type Path = PropertyKey[];

/** What resolving a report needs: the data source's columns, the limits, and where problems go. */
export interface CompileContext {
  readonly sources: ReadonlyMap<string, DataSourceColumn>;
  readonly issues: ReportConfigIssue[];
  /** The largest `max_expansion` accepted (CommCare's server setting). */
  readonly maxExpansion: number;
}

export interface ResolvedField {
  readonly id: string;
  readonly source: DataSourceColumn;
  readonly aggregation: Aggregation;
}

type Common = {
  readonly id: string;
  readonly display: unknown;
  readonly total: boolean;
  readonly visible: boolean;
};

/** A report column bound to its data source columns. */
export type ResolvedColumn = Common &
  (
    | (ResolvedField & {
        readonly type: 'field';
        readonly transform: ValueTransform | null;
        readonly percentOfTotal: boolean;
      })
    | {
        readonly type: 'percent';
        readonly format: PercentFormat;
        readonly numerator: ResolvedField;
        readonly denominator: ResolvedField;
      }
    | {
        readonly type: 'aggregate_date';
        readonly source: DataSourceColumn;
        readonly format: string;
      }
    | { readonly type: 'expanded'; readonly source: DataSourceColumn; readonly maxExpansion: number }
    | {
        readonly type: 'integer_buckets';
        readonly source: DataSourceColumn;
        readonly ranges: readonly (readonly [string, number, number])[];
        readonly else_: string | null;
      }
    | {
        readonly type: 'sum_when';
        readonly whens: readonly (readonly [SumWhenCondition, number])[];
        readonly else_: number;
      }
    | { readonly type: 'expression'; readonly expression: Expr }
    | {
        readonly type: 'location';
        readonly source: DataSourceColumn;
        readonly transform: ValueTransform | null;
      }
  );

export function issue(ctx: CompileContext, path: Path, message: string): null {
  ctx.issues.push({ path: jsonPath(path), message });
  return null;
}

/** The data source column `name`, or null after recording an issue at `path`. */
export function sourceColumn(ctx: CompileContext, name: string, path: Path): DataSourceColumn | null {
  const column = ctx.sources.get(name);
  if (column) return column;
  return issue(
    ctx,
    path,
    `expected a column of the data source (${[...ctx.sources.keys()].join(', ')}), got ${JSON.stringify(name)}`,
  );
}

/** A column's transform: null for none or `{}`, else compiled (problems recorded at its path). */
export function columnTransform(ctx: CompileContext, spec: unknown, path: Path): ValueTransform | null {
  if (isEmptyTransform(spec)) return null;
  try {
    return compileTransform(spec);
  } catch (error) {
    if (!(error instanceof TransformSpecError)) throw error;
    return issue(ctx, [...path, ...error.at], `expected ${error.expected}`);
  }
}

const numericAggregations = new Set<Aggregation>(['count', 'count_unique', 'sum', 'avg', 'month', 'year']);

/** Counts, sums and averages are numbers whatever the column; other aggregations keep its type. */
export const numericAggregation = (field: ResolvedField): boolean =>
  numericAggregations.has(field.aggregation) || isNumeric(field.source);

function resolveField(ctx: CompileContext, spec: FieldColumnSpec, path: Path): ResolvedField | null {
  const source = sourceColumn(ctx, spec.field, [...path, 'field']);
  if (!source) return null;
  const at = [...path, 'aggregation'];
  if ((spec.aggregation === 'sum' || spec.aggregation === 'avg') && !isNumeric(source))
    return issue(
      ctx,
      at,
      `${spec.aggregation} needs an integer or decimal column; ${spec.field} is ${source.datatype}`,
    );
  if (
    (spec.aggregation === 'month' || spec.aggregation === 'year') &&
    source.datatype !== 'date' &&
    source.datatype !== 'datetime'
  )
    return issue(
      ctx,
      at,
      `${spec.aggregation} needs a date or datetime column; ${spec.field} is ${source.datatype}`,
    );
  if (source.datatype === 'array' && spec.aggregation !== 'simple' && spec.aggregation !== 'count')
    return issue(ctx, at, `${spec.aggregation} cannot aggregate the array column ${spec.field}`);
  return { id: reportColumnId(spec), source, aggregation: spec.aggregation };
}

type Resolver<T extends ReportColumnSpec['type']> = (
  ctx: CompileContext,
  spec: Extract<ReportColumnSpec, { type: T }>,
  path: Path,
  common: Common,
) => ResolvedColumn | null;

const fieldResolver: Resolver<'field'> = (ctx, spec, path, common) => {
  const field = resolveField(ctx, spec, path);
  if (!field) return null;
  if (common.total && !numericAggregation(field))
    return issue(
      ctx,
      [...path, 'calculate_total'],
      `a total needs a numeric column; ${spec.field} with ${spec.aggregation} is ${field.source.datatype}`,
    );
  if (spec.format === 'percent_of_total' && !numericAggregation(field))
    return issue(
      ctx,
      [...path, 'format'],
      `percent_of_total needs a numeric column; ${spec.field} is ${field.source.datatype}`,
    );
  const transform = columnTransform(ctx, spec.transform, [...path, 'transform']);
  return {
    ...common,
    ...field,
    type: 'field',
    transform,
    percentOfTotal: spec.format === 'percent_of_total',
  };
};

const percentResolver: Resolver<'percent'> = (ctx, spec, path, common) => {
  const numerator = resolveField(ctx, spec.numerator, [...path, 'numerator']);
  const denominator = resolveField(ctx, spec.denominator, [...path, 'denominator']);
  if (!numerator || !denominator) return null;
  for (const [name, part] of [
    ['numerator', numerator],
    ['denominator', denominator],
  ] as const) {
    if (!numericAggregation(part))
      return issue(
        ctx,
        [...path, name],
        `expected a numeric value; ${part.source.id} with ${part.aggregation} is ${part.source.datatype}`,
      );
  }
  return { ...common, type: 'percent', format: spec.format, numerator, denominator };
};

const aggregateDateResolver: Resolver<'aggregate_date'> = (ctx, spec, path, common) => {
  const source = sourceColumn(ctx, spec.field, [...path, 'field']);
  if (!source) return null;
  if (source.datatype !== 'date' && source.datatype !== 'datetime')
    return issue(
      ctx,
      [...path, 'field'],
      `aggregate_date needs a date or datetime column; ${spec.field} is ${source.datatype}`,
    );
  const format = spec.format ?? '%Y-%m';
  const bad = unsupportedStrftimeDirective(format);
  if (bad)
    issue(ctx, [...path, 'format'], `unsupported directive ${bad}; expected ${strftimeDirectives.join(' ')}`);
  if (common.total) issue(ctx, [...path, 'calculate_total'], 'an aggregate_date column has no total');
  return { ...common, total: false, type: 'aggregate_date', source, format };
};

const expandedResolver: Resolver<'expanded'> = (ctx, spec, path, common) => {
  const source = sourceColumn(ctx, spec.field, [...path, 'field']);
  if (!source) return null;
  if (source.datatype === 'array')
    return issue(ctx, [...path, 'field'], `expanded needs a scalar column; ${spec.field} is an array`);
  if (spec.max_expansion > ctx.maxExpansion)
    return issue(
      ctx,
      [...path, 'max_expansion'],
      `at most ${ctx.maxExpansion} (the server's maxExpansion setting), got ${spec.max_expansion}`,
    );
  return { ...common, type: 'expanded', source, maxExpansion: spec.max_expansion };
};

const integerBucketsResolver: Resolver<'integer_buckets'> = (ctx, spec, path, common) => {
  const source = sourceColumn(ctx, spec.field, [...path, 'field']);
  if (!source) return null;
  if (!isNumeric(source))
    return issue(
      ctx,
      [...path, 'field'],
      `integer_buckets needs an integer or decimal column; ${source.id} is ${source.datatype}`,
    );
  if (common.total) issue(ctx, [...path, 'calculate_total'], 'an integer_buckets column has no total');
  const ranges = Object.entries(spec.ranges).map(([name, [low, high]]) => [name, low, high] as const);
  return { ...common, total: false, type: 'integer_buckets', source, ranges, else_: spec.else_ ?? null };
};

const sumWhenResolver: Resolver<'sum_when'> = (ctx, spec, path, common) => {
  const whens = Array.isArray(spec.whens) ? spec.whens : Object.entries(spec.whens);
  const compiled: (readonly [SumWhenCondition, number])[] = [];
  whens.forEach(([condition, value], whenIndex) => {
    const parsed = parseSumWhenCondition(condition, ctx.sources);
    if (typeof parsed === 'string')
      issue(ctx, [...path, 'whens', Array.isArray(spec.whens) ? whenIndex : condition], parsed);
    else compiled.push([parsed, value]);
  });
  return { ...common, type: 'sum_when', whens: compiled, else_: spec.else_ };
};

const expressionResolver: Resolver<'expression'> = (ctx, spec, path, common) => {
  // Any UCR expression, evaluated on the report row (values keyed by report column id).
  try {
    const expression = new UcrCompiler().expression(spec.expression, '');
    return { ...common, total: false, type: 'expression', expression };
  } catch (error) {
    if (!(error instanceof UcrConfigError)) throw error;
    const at = error.path === '' ? '' : error.path.startsWith('[') ? error.path : `.${error.path}`;
    ctx.issues.push({
      path: `${jsonPath([...path, 'expression'])}${at}`,
      message: `expected ${error.expected}`,
    });
    return null;
  }
};

const locationResolver: Resolver<'location'> = (ctx, spec, path, common) => {
  const source = sourceColumn(ctx, spec.field, [...path, 'field']);
  if (!source) return null;
  const transform = columnTransform(ctx, spec.transform, [...path, 'transform']);
  return { ...common, total: false, type: 'location', source, transform };
};

const resolvers: { [T in ReportColumnSpec['type']]: Resolver<T> } = {
  field: fieldResolver,
  percent: percentResolver,
  aggregate_date: aggregateDateResolver,
  expanded: expandedResolver,
  integer_buckets: integerBucketsResolver,
  sum_when: sumWhenResolver,
  expression: expressionResolver,
  location: locationResolver,
};

/** Every report column resolved, in order; the ones with problems are left out (issues recorded). */
export function resolveColumns(ctx: CompileContext, specs: readonly ReportColumnSpec[]): ResolvedColumn[] {
  const resolved: ResolvedColumn[] = [];
  specs.forEach((spec, index) => {
    const path: Path = ['columns', index];
    const id = reportColumnId(spec);
    const common: Common = {
      id,
      display: spec.display ?? id,
      total: spec.type !== 'expression' && spec.calculate_total,
      visible: spec.visible,
    };
    const resolver = resolvers[spec.type] as Resolver<typeof spec.type>;
    const column = resolver(ctx, spec, path, common);
    if (column) resolved.push(column);
  });
  return resolved;
}
