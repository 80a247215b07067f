/**
 * CommCare's `ReportConfiguration` JSON (the reference's §11), read and checked without the data
 * source: shapes, enumerations, references between the report's own parts. Checks that need the data
 * source's columns happen in `compileReport`. Unknown keys are ignored, as CommCare's jsonobject does
 * (`description`, `visible`, `configured_charts`, `report_meta`… stay harmless).
 */
import { z } from 'zod';
import { jsonPath, ReportConfigError, type ReportConfigIssue } from './report-config-error.js';
import { isValidDomain, isValidTableId } from './ucr-view-name.js';

const display = z
  .union([z.string(), z.record(z.string(), z.string())])
  .optional()
  .describe('Header text, or {lang: text}.');

// Report column ids only ever become JSON keys and CSV headers (SQL uses synthetic aliases), but a
// sane alphabet keeps them usable in URLs and sort expressions.
const columnId = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'expected a column id of letters, digits, "_", "-" or "."');
const fieldName = z.string().min(1, 'expected a data source column id');
const object = z.record(z.string(), z.unknown());

const aggregations = ['simple', 'sum', 'avg', 'min', 'max', 'count', 'count_unique'] as const;

const fieldColumn = z.object({
  type: z.literal('field'),
  column_id: columnId.optional(),
  alias: columnId.optional(),
  field: fieldName,
  display,
  aggregation: z.enum(aggregations),
  format: z.enum(['default', 'percent_of_total']).default('default'),
  transform: object.optional(),
  calculate_total: z.boolean().default(false),
});

const percentColumn = z.object({
  type: z.literal('percent'),
  column_id: columnId,
  display,
  format: z.enum(['percent', 'fraction', 'both', 'numeric_percent', 'decimal']).default('percent'),
  numerator: fieldColumn,
  denominator: fieldColumn,
  calculate_total: z.boolean().default(false),
});

const aggregateDateColumn = z.object({
  type: z.literal('aggregate_date'),
  column_id: columnId,
  field: fieldName,
  display,
  format: z.string().optional(),
  calculate_total: z.boolean().default(false),
});

const expandedColumn = z.object({
  type: z.literal('expanded'),
  column_id: columnId.optional(),
  field: fieldName,
  display,
  // Each value adds a column and a CASE to the query: keep it bounded.
  max_expansion: z.number().int().min(1).max(100).default(10),
  calculate_total: z.boolean().default(false),
});

const integerBucketsColumn = z.object({
  type: z.literal('integer_buckets'),
  column_id: columnId,
  field: fieldName,
  display,
  ranges: z
    .record(z.string(), z.tuple([z.number().int(), z.number().int()]))
    .refine((ranges) => Object.keys(ranges).length > 0, 'expected at least one range'),
  else_: z.string().nullable().optional(),
  calculate_total: z.boolean().default(false),
});

const sumWhenColumn = z.object({
  type: z.literal('sum_when'),
  column_id: columnId,
  field: fieldName.optional(),
  display,
  whens: z.union([
    z.array(z.tuple([z.string(), z.number()])).min(1),
    z
      .record(z.string(), z.number())
      .refine((whens) => Object.keys(whens).length > 0, 'expected at least one when'),
  ]),
  else_: z.number().default(0),
  calculate_total: z.boolean().default(false),
});

const expressionColumn = z.object({
  type: z.literal('expression'),
  column_id: columnId,
  display,
  expression: z.unknown(),
});

const columnTypes = [
  'field',
  'percent',
  'aggregate_date',
  'expanded',
  'integer_buckets',
  'sum_when',
  'expression',
];
const column = z.discriminatedUnion('type', [
  fieldColumn,
  percentColumn,
  aggregateDateColumn,
  expandedColumn,
  integerBucketsColumn,
  sumWhenColumn,
  expressionColumn,
]);

const filterBase = {
  slug: z.string().regex(/^[A-Za-z0-9_.]+$/, 'expected a slug of letters, digits, "_" or "."'),
  field: fieldName,
  display,
  required: z.boolean().default(false),
};
const choice = z.object({
  value: z.union([z.string(), z.number(), z.boolean()]),
  display: z.string().optional(),
});
const filterTypes = ['date', 'numeric', 'pre', 'choice_list', 'dynamic_choice_list'];
const filter = z.discriminatedUnion('type', [
  z.object({ type: z.literal('date'), ...filterBase, compare_as_string: z.boolean().default(false) }),
  z.object({ type: z.literal('numeric'), ...filterBase }),
  z.object({
    type: z.literal('pre'),
    ...filterBase,
    datatype: z.string().optional(),
    pre_value: z.union([
      z.string(),
      z.number(),
      z.boolean(),
      z.null(),
      z.array(z.union([z.string(), z.number()])),
    ]),
    pre_operator: z
      .enum(['=', '!=', '<', '<=', '>', '>=', 'is', 'is not', 'in', 'between'])
      .nullable()
      .optional(),
  }),
  z.object({
    type: z.literal('choice_list'),
    ...filterBase,
    datatype: z.string().optional(),
    show_all: z.boolean().default(true),
    choices: z.array(choice).default([]),
  }),
  z.object({
    type: z.literal('dynamic_choice_list'),
    ...filterBase,
    datatype: z.string().optional(),
    show_all: z.boolean().default(true),
    choice_provider: object.optional(),
  }),
]);

const reportConfig = z.object({
  _id: z.string().optional(),
  domain: z.string().refine(isValidDomain, 'expected a domain name (letters, digits, "-", "_")'),
  config_id: z
    .string()
    .refine(isValidTableId, 'expected the data source\'s table_id (letters, digits, "-", "_")'),
  title: z.string().default(''),
  description: z.string().optional(),
  aggregation_columns: z.array(z.string().min(1)).default([]),
  columns: z.array(column).min(1, 'expected at least one column'),
  filters: z.array(filter).default([]),
  sort_expression: z
    .array(z.object({ field: z.string().min(1), order: z.enum(['ASC', 'DESC']).default('ASC') }))
    .default([]),
  distinct_on: z.array(z.string().min(1)).default([]),
});

export type ReportConfig = z.infer<typeof reportConfig>;
export type ReportColumnSpec = ReportConfig['columns'][number];
export type FieldColumnSpec = z.infer<typeof fieldColumn>;
export type ReportFilterSpec = ReportConfig['filters'][number];

function describeIssue(issue: z.core.$ZodIssue, input: unknown): ReportConfigIssue {
  let path = issue.path;
  let message = issue.message;
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    // Say which types exist instead of zod's generic "Invalid input".
    const inFilters = path[0] === 'filters';
    if (path[path.length - 1] !== 'type') path = [...path, 'type'];
    const got = valueAt(input, path);
    message = `expected one of ${(inFilters ? filterTypes : columnTypes).join('|')}, got ${JSON.stringify(got)}`;
  } else if (issue.code === 'invalid_type' && valueAt(input, path) === undefined) {
    message = `required: ${message.replace(/^Invalid input: /, '')}`;
  }
  return { path: jsonPath(path), message };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

// Cross-references inside the report that need no data source: ids unique, aggregation, sort and
// distinct_on naming things that exist, distinct_on prefixing the sort (as PostgreSQL requires).
function checkReferences(config: ReportConfig): ReportConfigIssue[] {
  const issues: ReportConfigIssue[] = [];
  const seen = new Map<string, number>();
  config.columns.forEach((column, index) => {
    const ids = [reportColumnId(column)];
    if (column.type === 'percent')
      ids.push(reportColumnId(column.numerator), reportColumnId(column.denominator));
    for (const id of ids) {
      const first = seen.get(id);
      if (first !== undefined) {
        issues.push({
          path: jsonPath(['columns', index, 'column_id']),
          message: `column id ${JSON.stringify(id)} is already used by $.columns[${first}] (ids must be unique in the report, percent numerators and denominators included)`,
        });
      } else seen.set(id, index);
    }
  });
  const slugs = new Set<string>();
  config.filters.forEach((filter, index) => {
    if (slugs.has(filter.slug)) {
      issues.push({
        path: jsonPath(['filters', index, 'slug']),
        message: `slug ${JSON.stringify(filter.slug)} is used twice`,
      });
    }
    slugs.add(filter.slug);
  });
  const byId = new Map(config.columns.map((column) => [reportColumnId(column), column]));
  config.sort_expression.forEach((sort, index) => {
    const column = byId.get(sort.field);
    const path = jsonPath(['sort_expression', index, 'field']);
    if (!column)
      issues.push({
        path,
        message: `expected the column_id of a report column, got ${JSON.stringify(sort.field)}`,
      });
    else if (column.type === 'percent' || column.type === 'expanded' || column.type === 'expression') {
      issues.push({
        path,
        message: `cannot sort by a ${column.type} column; expected a field, aggregate_date, integer_buckets or sum_when column`,
      });
    }
  });
  config.distinct_on.forEach((id, index) => {
    if (config.sort_expression[index]?.field !== id) {
      issues.push({
        path: jsonPath(['distinct_on', index]),
        message: `expected distinct_on to repeat the first sort_expression fields in order (PostgreSQL DISTINCT ON needs them leading the ORDER BY); sort_expression[${index}] is ${JSON.stringify(config.sort_expression[index]?.field ?? null)}`,
      });
    }
  });
  return issues;
}

/** The id a report column answers to, with CommCare's default for field and expanded columns (alias, then field). */
export function reportColumnId(column: ReportColumnSpec | FieldColumnSpec): string {
  if (column.type === 'field' || column.type === 'expanded') {
    return column.column_id ?? ('alias' in column ? column.alias : undefined) ?? column.field;
  }
  return column.column_id;
}

/**
 * Reads a report configuration. Throws `ReportConfigError` listing every problem with its JSON path
 * and what was expected; never returns a configuration that references itself inconsistently.
 */
export function parseReportConfig(input: unknown, reportId?: string): ReportConfig {
  const parsed = reportConfig.safeParse(input);
  if (!parsed.success) {
    throw new ReportConfigError(
      parsed.error.issues.map((issue) => describeIssue(issue, input)),
      reportId,
    );
  }
  const issues = checkReferences(parsed.data);
  if (issues.length > 0) throw new ReportConfigError(issues, reportId);
  return parsed.data;
}
