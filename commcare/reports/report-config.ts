/**
 * CommCare's `ReportConfiguration` JSON (the reference's §11), read and checked without the data
 * source: shapes, enumerations, references between the report's own parts. Checks that need the data
 * source's columns happen in `compileReport`. Unknown keys are ignored, as CommCare's jsonobject does
 * (`report_meta`, `doc_type`, `_rev`… stay harmless); null counts as absent for optional fields.
 */
import { z } from 'zod';
import { jsonPath, ReportConfigError, type ReportConfigIssue } from './report-config-error.js';
import { isValidDomain } from './ucr-view-name.js';

// CommCare's jsonobject reads null as "not given" for optional properties, and its report builder
// writes nulls freely (`alias: null`, `pre_operator: null`, `choices[].display: null`…).
const opt = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === null ? undefined : value), schema.optional());

const display = opt(z.union([z.string(), z.record(z.string(), z.string().nullable())])).describe(
  'Header text, or {lang: text}.',
);

// Report column ids only ever become JSON keys and CSV headers (SQL uses synthetic aliases), but a
// sane alphabet keeps them usable in URLs and sort expressions.
const columnId = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, 'expected a column id of letters, digits, "_", "-", ":" or "."');
const fieldName = z.string().min(1, 'expected a data source column id');
const object = z.record(z.string(), z.unknown());
const flag = (fallback: boolean) => opt(z.boolean()).transform((value) => value ?? fallback);

const aggregations = [
  'simple',
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'count_unique',
  'month',
  'year',
] as const;

const common = {
  display,
  description: opt(z.string()),
  comment: opt(z.unknown()),
  visible: flag(true),
  calculate_total: flag(false),
  transform: opt(object),
};

const fieldColumn = z.object({
  type: z.literal('field'),
  column_id: opt(columnId),
  alias: opt(columnId),
  field: fieldName,
  ...common,
  aggregation: z.enum(aggregations),
  format: opt(z.enum(['default', 'percent_of_total'])).transform((value) => value ?? 'default'),
  sortable: opt(z.boolean()),
});

const percentColumn = z.object({
  type: z.literal('percent'),
  column_id: columnId,
  ...common,
  format: opt(z.enum(['percent', 'fraction', 'both', 'numeric_percent', 'decimal'])).transform(
    (value) => value ?? 'percent',
  ),
  numerator: fieldColumn,
  denominator: fieldColumn,
});

const aggregateDateColumn = z.object({
  type: z.literal('aggregate_date'),
  column_id: columnId,
  field: fieldName,
  ...common,
  format: opt(z.string()),
});

const expandedColumn = z.object({
  type: z.literal('expanded'),
  column_id: opt(columnId),
  alias: opt(columnId),
  field: fieldName,
  ...common,
  // CommCare's default (DEFAULT_MAXIMUM_EXPANSION); the upper bound is a setting of the server.
  max_expansion: opt(z.number().int().min(1)).transform((value) => value ?? 10),
});

const integerBucketsColumn = z.object({
  type: z.literal('integer_buckets'),
  column_id: columnId,
  field: fieldName,
  ...common,
  ranges: z
    .record(z.string(), z.tuple([z.number().int(), z.number().int()]))
    .refine((ranges) => Object.keys(ranges).length > 0, 'expected at least one range'),
  else_: z.string().nullable().optional(),
});

const sumWhenColumn = z.object({
  type: z.literal('sum_when'),
  column_id: columnId,
  field: opt(fieldName),
  ...common,
  whens: z.union([
    z.array(z.tuple([z.string(), z.number()])).min(1),
    z
      .record(z.string(), z.number())
      .refine((whens) => Object.keys(whens).length > 0, 'expected at least one when'),
  ]),
  else_: opt(z.number()).transform((value) => value ?? 0),
});

const expressionColumn = z.object({
  type: z.literal('expression'),
  column_id: columnId,
  ...common,
  expression: z.unknown(),
});

const locationColumn = z.object({
  type: z.literal('location'),
  column_id: columnId,
  field: fieldName,
  ...common,
  sortable: opt(z.boolean()),
});

const columnTypes = [
  'field',
  'percent',
  'aggregate_date',
  'expanded',
  'integer_buckets',
  'sum_when',
  'expression',
  'location',
];
// A legacy field column with `aggregation: expand` is an expanded column (CommCare's lazy migration).
const legacyExpand = (value: unknown): unknown => {
  if (typeof value !== 'object' || value === null) return value;
  const column = value as Record<string, unknown>;
  if (column.type !== 'field' || column.aggregation !== 'expand') return value;
  const { aggregation: _aggregation, ...rest } = column;
  return { ...rest, type: 'expanded' };
};
const column = z.preprocess(
  legacyExpand,
  z.discriminatedUnion('type', [
    fieldColumn,
    percentColumn,
    aggregateDateColumn,
    expandedColumn,
    integerBucketsColumn,
    sumWhenColumn,
    expressionColumn,
    locationColumn,
  ]),
);

const filterBase = {
  slug: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'expected a slug of letters, digits, "_", "-", ":" or "."'),
  field: fieldName,
  display,
  comment: opt(z.unknown()),
  required: flag(false),
  datatype: opt(
    z.enum(['date', 'datetime', 'string', 'integer', 'decimal', 'array', 'small_integer', 'boolean']),
  ),
};
const choice = z.object({
  value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
  display: opt(z.union([z.string(), z.record(z.string(), z.string())])),
});
const preOperators = [
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'distinct from',
  'is',
  'is not',
  'in',
  'between',
] as const;
/** CommCare's dynamic date ranges (`reports/daterange.py`), usable as a pre-filter operator. */
export const dateRangeOperators = [
  'last7',
  'last30',
  'lastn',
  'lastmonth',
  'thisyear',
  'lastyear',
  'since',
  'range',
  'thismonth',
  'thisquarter',
  'lastquarter',
] as const;
const filterTypes = [
  'date',
  'quarter',
  'numeric',
  'pre',
  'choice_list',
  'dynamic_choice_list',
  'multi_field_dynamic_choice_list',
  'location_drilldown',
];
const filter = z.discriminatedUnion('type', [
  z.object({ type: z.literal('date'), ...filterBase, compare_as_string: flag(false) }),
  z.object({ type: z.literal('quarter'), ...filterBase, show_all: flag(false) }),
  z.object({ type: z.literal('numeric'), ...filterBase }),
  z.object({
    type: z.literal('pre'),
    ...filterBase,
    pre_value: z.union([
      z.string(),
      z.number(),
      z.boolean(),
      z.null(),
      z.array(z.union([z.string(), z.number(), z.null()])),
    ]),
    pre_operator: opt(z.enum([...preOperators, ...dateRangeOperators])),
  }),
  z.object({
    type: z.literal('choice_list'),
    ...filterBase,
    show_all: flag(true),
    choices: opt(z.array(choice)).transform((value) => value ?? []),
  }),
  z.object({
    type: z.literal('dynamic_choice_list'),
    ...filterBase,
    show_all: flag(true),
    choice_provider: opt(object),
    ancestor_expression: opt(object),
  }),
  z.object({
    type: z.literal('multi_field_dynamic_choice_list'),
    ...filterBase,
    field: opt(fieldName),
    fields: z.array(fieldName).min(1, 'expected at least one field'),
    show_all: flag(true),
    choice_provider: opt(object),
  }),
  z.object({
    type: z.literal('location_drilldown'),
    ...filterBase,
    include_descendants: flag(false),
    max_drilldown_levels: opt(z.number().int()),
    ancestor_expression: opt(object),
  }),
]);

const chartBase = {
  title: opt(z.string()),
  chart_id: opt(z.string()),
};
const chartTypes = ['pie', 'multibar', 'multibar-aggregate'];
const chart = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('pie'),
    ...chartBase,
    aggregation_column: opt(z.string()),
    value_column: z.string(),
  }),
  z.object({
    type: z.literal('multibar'),
    ...chartBase,
    aggregation_column: opt(z.string()),
    x_axis_column: z.string(),
    y_axis_columns: z.array(
      z.union([
        z.string().transform((id) => ({ column_id: id, display: id })),
        z
          .object({
            column_id: z.string(),
            display: opt(z.union([z.string(), z.record(z.string(), z.string())])),
          })
          .transform((y) => ({ column_id: y.column_id, display: y.display ?? y.column_id })),
      ]),
    ),
    is_stacked: flag(false),
  }),
  z.object({
    type: z.literal('multibar-aggregate'),
    ...chartBase,
    primary_aggregation: z.string(),
    secondary_aggregation: z.string(),
    value_column: z.string(),
  }),
]);

const reportConfig = z.object({
  _id: opt(z.string()),
  domain: z.string().refine(isValidDomain, 'expected a domain name (letters, digits, "-", "_")'),
  config_id: z.string().min(1, "expected the data source's table_id or _id"),
  title: opt(z.string()).transform((value) => value ?? ''),
  description: opt(z.string()),
  aggregation_columns: opt(z.array(z.string().min(1))).transform((value) => value ?? []),
  columns: z.array(column).min(1, 'expected at least one column'),
  filters: opt(z.array(filter)).transform((value) => value ?? []),
  configured_charts: opt(z.array(chart)).transform((value) => value ?? []),
  sort_expression: opt(
    z.array(
      z.object({
        field: z.string().min(1),
        order: opt(z.enum(['ASC', 'DESC'])).transform((value) => value ?? 'ASC'),
      }),
    ),
  ).transform((value) => value ?? []),
  distinct_on: opt(z.array(z.string().min(1))).transform((value) => value ?? []),
});

export type ReportConfig = z.infer<typeof reportConfig>;
export type ReportColumnSpec = ReportConfig['columns'][number];
export type FieldColumnSpec = z.infer<typeof fieldColumn>;
export type ReportFilterSpec = ReportConfig['filters'][number];
export type ReportChartSpec = ReportConfig['configured_charts'][number];

function describeIssue(issue: z.core.$ZodIssue, input: unknown): ReportConfigIssue {
  let path = issue.path;
  let message = issue.message;
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    // Say which types exist instead of zod's generic "Invalid input".
    const types =
      path[0] === 'filters' ? filterTypes : path[0] === 'configured_charts' ? chartTypes : columnTypes;
    if (path[path.length - 1] !== 'type') path = [...path, 'type'];
    const got = valueAt(input, path);
    message = `expected one of ${types.join('|')}, got ${JSON.stringify(got)}`;
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
        message: `cannot sort by a ${column.type} column; expected a field, aggregate_date, integer_buckets, sum_when or location column`,
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
    return column.column_id ?? column.alias ?? column.field;
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
