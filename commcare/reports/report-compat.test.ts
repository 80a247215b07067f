/**
 * The report compatibility suite: report configurations in CommCare's shapes (as its report
 * builder and hand-written static reports write them), each feature with the SQL it binds or the
 * value CommCare shows. Inputs written from CommCare's `reports/specs.py`, `filters/` and
 * `transforms/` and its UCR documentation.
 */
import { describe, expect, it } from 'vitest';
import { compileReport, type ReportRequest } from './compile-report.js';
import type { DataSourceColumn } from './data-source-column.js';
import { parseReportConfig } from './report-config.js';
import { ReportConfigError } from './report-config-error.js';

const columns: DataSourceColumn[] = [
  { id: 'doc_id', datatype: 'string' },
  { id: 'inserted_at', datatype: 'datetime' },
  { id: 'owner_id', datatype: 'string' },
  { id: 'village', datatype: 'string' },
  { id: 'district_id', datatype: 'string' },
  { id: 'sex', datatype: 'string' },
  { id: 'age', datatype: 'integer' },
  { id: 'weight', datatype: 'decimal' },
  { id: 'dob', datatype: 'date' },
  { id: 'visit_time', datatype: 'datetime' },
  { id: 'gps', datatype: 'string' },
  { id: 'tags', datatype: 'array' },
  { id: 'is_pregnant', datatype: 'small_integer' },
  { id: 'month', datatype: 'integer' },
];

const base = { domain: 'demo', config_id: 'cases', aggregation_columns: ['doc_id'] };
const field = (id: string, extra: Record<string, unknown> = {}) => ({
  type: 'field',
  field: id,
  column_id: id,
  aggregation: 'simple',
  ...extra,
});
const compile = (config: Record<string, unknown>) =>
  compileReport(parseReportConfig({ ...base, columns: [field('village')], ...config }), columns, 'r');
const request = (query = '', extra: Partial<ReportRequest> = {}): ReportRequest => ({
  params: new URLSearchParams(query),
  limit: 10,
  offset: 0,
  ...extra,
});
const sql = (config: Record<string, unknown>, query = '') => {
  const plan = compile(config).plan(request(query), new Map());
  return { text: plan.data.text, values: plan.data.values };
};
/** The report rows for query rows (items c0, c1… in column order). */
const rowsOf = (
  config: Record<string, unknown>,
  rows: Record<string, unknown>[],
  lang = 'en',
  docs: Record<string, unknown> = {},
) =>
  compile(config)
    .plan(request('', { lang }), new Map())
    .finish(rows, { total_records: rows.length }, { get: (kind, id) => docs[`${kind}:${id}`] ?? null });
const issuesOf = (config: Record<string, unknown>) => {
  try {
    compile(config);
  } catch (error) {
    if (error instanceof ReportConfigError)
      return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
};

describe('report builder output is read as CommCare reads it', () => {
  const builderColumn = {
    type: 'field',
    field: 'village',
    column_id: 'village',
    display: 'Village',
    aggregation: 'simple',
    format: 'default',
    transform: {},
    calculate_total: false,
    alias: null,
    description: null,
    sortable: false,
    visible: true,
    comment: null,
  };
  it.each([
    ['an empty transform {}', { transform: {} }],
    ['transform: null', { transform: null }],
    ['alias: null', { alias: null }],
    ['description: null', { description: null }],
    ['format: null', { format: null }],
    ['calculate_total: null', { calculate_total: null }],
    ['display as {lang: text}', { display: { en: 'Village', hin: 'गाँव' } }],
    ['display: null (the column id)', { display: null }],
    ['sortable: true', { sortable: true }],
    ['column_id: null (alias or field)', { column_id: null }],
    ['a comment', { comment: 'from the builder' }],
  ])('accepts a field column with %s', (_name, patch) => {
    expect(issuesOf({ columns: [{ ...builderColumn, ...patch }] })).toEqual([]);
  });

  it.each([
    ['title: null', { title: null }],
    ['description: null', { description: null }],
    ['filters: null', { filters: null }],
    ['sort_expression: null', { sort_expression: null }],
    ['configured_charts: []', { configured_charts: [] }],
    [
      'report_meta and doc_type',
      { report_meta: { created_by_builder: true }, doc_type: 'ReportConfiguration' },
    ],
    ['visible: false on the report', { visible: false }],
  ])('accepts a report with %s', (_name, patch) => {
    expect(issuesOf(patch)).toEqual([]);
  });

  it.each([
    ['pre_operator: null', { type: 'pre', slug: 's', field: 'sex', pre_value: 'f', pre_operator: null }],
    [
      'choices[].display: null',
      { type: 'choice_list', slug: 's', field: 'sex', choices: [{ value: 'f', display: null }] },
    ],
    [
      'choice display as {lang: text}',
      { type: 'choice_list', slug: 's', field: 'sex', choices: [{ value: 'f', display: { en: 'F' } }] },
    ],
    [
      'display {lang: text} on a filter',
      { type: 'date', slug: 'd', field: 'dob', display: { en: 'Born', fra: 'Né' } },
    ],
    [
      'a choice_provider of the builder',
      {
        type: 'dynamic_choice_list',
        slug: 'v',
        field: 'village',
        choice_provider: { type: 'DataSourceColumnChoiceProvider' },
      },
    ],
    [
      'datatype on a choice list',
      { type: 'dynamic_choice_list', slug: 'v', field: 'village', datatype: 'string' },
    ],
    [
      'ancestor_expression on a location choice list',
      {
        type: 'dynamic_choice_list',
        slug: 'v',
        field: 'district_id',
        choice_provider: { type: 'location' },
        ancestor_expression: { field: 'x', location_type: 'state' },
      },
    ],
    ['required: null', { type: 'numeric', slug: 'a', field: 'age', required: null }],
  ])('accepts a filter with %s', (_name, filter) => {
    expect(issuesOf({ filters: [filter] })).toEqual([]);
  });

  it('accepts percent numerators and denominators with translated displays and null aliases', () => {
    const percent = {
      type: 'percent',
      column_id: 'pct',
      display: { en: 'Pregnant', hin: 'गर्भवती' },
      format: 'both',
      numerator: {
        type: 'field',
        field: 'is_pregnant',
        aggregation: 'sum',
        column_id: 'n',
        alias: null,
        display: { en: 'N' },
        transform: {},
      },
      denominator: {
        type: 'field',
        field: 'doc_id',
        aggregation: 'count',
        column_id: 'd',
        alias: null,
        display: { en: 'D' },
      },
    };
    expect(issuesOf({ aggregation_columns: ['village'], columns: [field('village'), percent] })).toEqual([]);
  });
});

describe('columns bind the SQL CommCare runs', () => {
  it.each([
    ['simple', field('village'), '"village" AS "c0"'],
    ['sum', field('age', { aggregation: 'sum' }), 'SUM("age")'],
    ['avg', field('weight', { aggregation: 'avg' }), 'AVG("weight")'],
    ['min of a date', field('dob', { aggregation: 'min' }), `to_char(MIN("dob"), 'YYYY-MM-DD')`],
    ['max', field('age', { aggregation: 'max' }), 'MAX("age")'],
    ['count', field('doc_id', { aggregation: 'count', column_id: 'n' }), 'COUNT("doc_id")'],
    ['count_unique', field('owner_id', { aggregation: 'count_unique' }), 'COUNT(DISTINCT "owner_id")'],
    ['month', field('dob', { aggregation: 'month' }), 'EXTRACT(MONTH FROM "dob")::integer'],
    ['year', field('dob', { aggregation: 'year' }), 'EXTRACT(YEAR FROM "dob")::integer'],
    ['a datetime as ISO text', field('visit_time'), `to_char("visit_time", 'YYYY-MM-DD"T"HH24:MI:SS.US')`],
    ['a location column', { type: 'location', column_id: 'gps', field: 'gps' }, '"gps" AS "c0"'],
    [
      'aggregate_date',
      { type: 'aggregate_date', column_id: 'm', field: 'dob' },
      'EXTRACT(YEAR FROM "dob")::integer AS "c0", EXTRACT(MONTH FROM "dob")::integer AS "c1"',
    ],
    [
      'integer_buckets',
      { type: 'integer_buckets', column_id: 'b', field: 'age', ranges: { young: [0, 17] }, else_: 'adult' },
      'CASE WHEN "age" BETWEEN $1::numeric AND $2::numeric THEN $3::text ELSE $4::text END',
    ],
    [
      'sum_when',
      { type: 'sum_when', column_id: 'w', field: 'age', whens: [["sex = 'f'", 1]], else_: 0 },
      'SUM(CASE WHEN',
    ],
    [
      'legacy aggregation: expand',
      { type: 'field', field: 'sex', aggregation: 'expand' },
      'SUM(CASE WHEN "sex" = $1::text THEN 1 ELSE 0 END)',
    ],
  ])('%s', (_name, column, expected) => {
    const config = { columns: [column] };
    const report = compile(config);
    const plan = report.plan(request(), new Map(report.expansions.map((e) => [e.columnId, ['f']])));
    expect(plan.data.text).toContain(expected);
  });

  it('expanded columns accept max_expansion above 100 up to the server setting', () => {
    const report = compile({
      columns: [{ type: 'expanded', column_id: 'sex', field: 'sex', max_expansion: 500 }],
    });
    expect(report.expansions[0]!.query.values).toEqual([500]);
    expect(
      issuesOf({ columns: [{ type: 'expanded', column_id: 'sex', field: 'sex', max_expansion: 5000 }] }),
    ).toEqual(["$.columns[0].max_expansion: at most 1000 (the server's maxExpansion setting), got 5000"]);
  });

  it('groups by a location column and sorts by the sort expression', () => {
    const { text } = sql({
      aggregation_columns: ['gps'],
      columns: [{ type: 'location', column_id: 'gps', field: 'gps' }, field('age', { aggregation: 'sum' })],
      sort_expression: [{ field: 'age', order: 'DESC' }],
    });
    expect(text).toContain('GROUP BY 1 ORDER BY "c1" DESC, "c0" ASC');
  });
});

describe('column values as CommCare shows them', () => {
  it.each([
    ['number_format {0:.1f}', { type: 'number_format', format_string: '{0:.1f}' }, 'weight', '2.25', '2.2'],
    ['number_format {:,}', { type: 'number_format', format_string: '{:,}' }, 'age', 1234567, '1,234,567'],
    ['number_format {:.0%}', { type: 'number_format', format_string: '{:.0%}' }, 'weight', '0.256', '26%'],
    ['number_format on text', { type: 'number_format', format_string: '{0:.1f}' }, 'village', 'abc', 'abc'],
    ['date_format of a date', { type: 'date_format', format: '%d/%m/%Y' }, 'dob', '2024-03-05', '05/03/2024'],
    ['date_format %B %Y', { type: 'date_format', format: '%B %Y' }, 'dob', '2024-03-05', 'March 2024'],
    [
      'date_format of a datetime',
      { type: 'date_format', format: '%Y-%m-%d %H:%M' },
      'visit_time',
      '2024-03-05T14:07:09.000000',
      '2024-03-05 14:07',
    ],
    ['date_format of text', { type: 'date_format', format: '%Y' }, 'village', 'x', 'x'],
    ['month_display', { type: 'custom', custom_type: 'month_display' }, 'month', 3, 'March'],
    [
      'short_decimal_display',
      { type: 'custom', custom_type: 'short_decimal_display' },
      'weight',
      '2.345',
      2.34,
    ],
    [
      'ethiopian_date_to_gregorian_date',
      { type: 'custom', custom_type: 'ethiopian_date_to_gregorian_date' },
      'village',
      '2009-09-11',
      '2017-05-19',
    ],
    [
      'gregorian_date_to_ethiopian_date of a date',
      { type: 'custom', custom_type: 'gregorian_date_to_ethiopian_date' },
      'dob',
      '2017-05-19',
      '2009-09-11',
    ],
    ['user_display', { type: 'custom', custom_type: 'user_display' }, 'owner_id', 'u1', 'asha'],
    [
      'user_without_domain_display',
      { type: 'custom', custom_type: 'user_without_domain_display' },
      'owner_id',
      'u1',
      'asha',
    ],
    [
      'owner_display of a group',
      { type: 'custom', custom_type: 'owner_display' },
      'owner_id',
      'g1',
      'Team North',
    ],
    [
      'owner_display of a location',
      { type: 'custom', custom_type: 'owner_display' },
      'owner_id',
      'l1',
      'Bondo',
    ],
    ['owner_display of nobody', { type: 'custom', custom_type: 'owner_display' }, 'owner_id', 'zz', null],
    ['translation', { type: 'translation', translations: { f: 'Female', m: 'Male' } }, 'sex', 'f', 'Female'],
    [
      'translation by language',
      { type: 'translation', translations: { f: { en: 'Female', fra: 'Femme' } } },
      'sex',
      'f',
      'Femme',
    ],
    [
      'translation of an unknown value',
      { type: 'translation', translations: { f: 'Female' } },
      'sex',
      'x',
      'x',
    ],
    [
      'multiple_value_string_translation',
      { type: 'multiple_value_string_translation', delimiter: ' ', translations: { a: 'A1', b: 'B1' } },
      'village',
      'a b',
      'A1 B1',
    ],
    ['prefix_string', { type: 'prefix_string', prefix: '#' }, 'village', '7', '#7'],
    [
      'hyperlink',
      { type: 'hyperlink', link_text: 'open' },
      'village',
      'http://x',
      "<a href='http://x'>open</a>",
    ],
    [
      'nested',
      {
        type: 'nested',
        inner_expression: { type: 'custom', custom_type: 'user_display' },
        outer_expression: { type: 'prefix_string', prefix: '@' },
      },
      'owner_id',
      'u1',
      '@asha',
    ],
  ])('%s', (_name, transform, source, value, expected) => {
    const docs = {
      'user:u1': { username: 'Asha@demo.commcarehq.org' },
      'group:g1': { name: 'Team North' },
      'location:l1': { name: 'Bondo' },
    };
    const output = rowsOf({ columns: [field(source, { transform })] }, [{ c0: value }], 'fra', docs);
    expect(output.rows[0]![source]).toEqual(expected);
  });

  it.each([
    ['1.5 2.5', '1.5 2.5 0.0 0.0'],
    ['1.5 2.5 10 3', '1.5 2.5 10 3'],
    ['91 2 0 0', '91 2 0 0 (Invalid Location)'],
    ['here', 'here (Invalid Location)'],
  ])('a location column shows %j as %j', (value, expected) => {
    const output = rowsOf({ columns: [{ type: 'location', column_id: 'gps', field: 'gps' }] }, [
      { c0: value },
    ]);
    expect(output.rows[0]!.gps).toBe(expected);
  });

  it.each([
    ['percent', 1, 3, '33%'],
    ['fraction', 1, 3, '1/3'],
    ['both', 1, 3, '33% (1/3)'],
    ['numeric_percent', 2, 3, 66],
    ['decimal', 2, 3, 0.667],
    ['percent', 1, 0, '--'],
  ])('percent format %s of %d/%d is %j', (format, n, d, expected) => {
    const percent = {
      type: 'percent',
      column_id: 'p',
      format,
      numerator: field('is_pregnant', { aggregation: 'sum', column_id: 'n' }),
      denominator: field('doc_id', { aggregation: 'count', column_id: 'd' }),
    };
    expect(rowsOf({ columns: [percent] }, [{ c0: n, c1: d }]).rows[0]!.p).toBe(expected);
  });

  it('headers follow the language: the request language, then en, then the first key', () => {
    const columnsSpec = [
      field('village', { display: { en: 'Village', hin: 'गाँव' } }),
      field('sex', { display: { fra: 'Sexe', arb: 'جنس' } }),
    ];
    expect(rowsOf({ columns: columnsSpec }, [], 'hin').columns.map((c) => c.display)).toEqual(['गाँव', 'جنس']);
    expect(rowsOf({ columns: columnsSpec }, [], 'fra').columns.map((c) => c.display)).toEqual([
      'Village',
      'Sexe',
    ]);
  });

  it('hides columns with visible: false but keeps them for expression columns', () => {
    const output = rowsOf(
      {
        columns: [
          field('age', { visible: false }),
          {
            type: 'expression',
            column_id: 'double',
            expression: {
              type: 'evaluator',
              statement: 'a * 2',
              context_variables: { a: { type: 'property_name', property_name: 'age' } },
            },
          },
        ],
      },
      [{ c0: 21 }],
    );
    expect(output.columns.map((c) => c.id)).toEqual(['double']);
    expect(output.rows).toEqual([{ double: 42 }]);
  });

  it.each([
    [
      'conditional',
      {
        type: 'conditional',
        test: {
          type: 'boolean_expression',
          expression: { type: 'property_name', property_name: 'age' },
          operator: 'gte',
          property_value: 18,
        },
        expression_if_true: 'adult',
        expression_if_false: 'child',
      },
      'adult',
    ],
    [
      'switch',
      {
        type: 'switch',
        switch_on: { type: 'property_name', property_name: 'sex' },
        cases: { f: 'Female' },
        default: 'Other',
      },
      'Female',
    ],
    [
      'coalesce',
      {
        type: 'coalesce',
        expression: { type: 'property_name', property_name: 'missing' },
        default_expression: 0,
      },
      0,
    ],
    [
      'add_days on a date column',
      {
        type: 'add_days',
        date_expression: { type: 'property_name', property_name: 'dob' },
        count_expression: 1,
      },
      '2024-03-06',
    ],
    [
      'evaluator with a translated boolean',
      {
        type: 'evaluator',
        statement: 'age > 18 and sex',
        context_variables: {
          age: { type: 'property_name', property_name: 'age' },
          sex: { type: 'property_name', property_name: 'sex' },
        },
      },
      'f',
    ],
  ])('an expression column computes %s on the row', (_name, expression, expected) => {
    const output = rowsOf(
      {
        columns: [
          field('age'),
          field('sex'),
          field('dob'),
          { type: 'expression', column_id: 'e', expression },
        ],
      },
      [{ c0: 30, c1: 'f', c2: '2024-03-05' }],
    );
    expect(output.rows[0]!.e).toEqual(expected);
  });
});

describe('filters bind the conditions CommCare runs', () => {
  it.each([
    [
      'date range',
      { type: 'date', slug: 'd', field: 'dob' },
      'd-start=2024-01-01&d-end=2024-01-31',
      '"dob" >= $1::date AND "dob" < $2::date',
      ['2024-01-01', '2024-02-01'],
    ],
    [
      'date compare_as_string',
      { type: 'date', slug: 'd', field: 'village', compare_as_string: true },
      'd-start=2024-01-01',
      '"village" >= $1::text',
      ['2024-01-01'],
    ],
    [
      'quarter',
      { type: 'quarter', slug: 'q', field: 'dob' },
      'q-year=2024&q-quarter=3',
      '"dob" >= $1::date AND "dob" < $2::date',
      ['2024-07-01', '2024-10-01'],
    ],
    [
      'quarter show all',
      { type: 'quarter', slug: 'q', field: 'dob', show_all: true },
      'q-year=_all&q-quarter=1',
      null,
      [],
    ],
    [
      'numeric',
      { type: 'numeric', slug: 'a', field: 'age' },
      'a-operator=<&a-operand=5',
      '"age" < $1::numeric',
      ['5'],
    ],
    [
      'numeric !=',
      { type: 'numeric', slug: 'a', field: 'age' },
      'a-operator=!=&a-operand=5',
      '"age" <> $1::numeric',
      ['5'],
    ],
    ['pre scalar', { type: 'pre', slug: 'p', field: 'sex', pre_value: 'f' }, '', '"sex" = $1::text', ['f']],
    ['pre null', { type: 'pre', slug: 'p', field: 'sex', pre_value: null }, '', '"sex" IS NULL', []],
    [
      'pre null is not',
      { type: 'pre', slug: 'p', field: 'sex', pre_value: null, pre_operator: 'is not' },
      '',
      '"sex" IS NOT NULL',
      [],
    ],
    [
      'pre list',
      { type: 'pre', slug: 'p', field: 'sex', pre_value: ['f', 'm'] },
      '',
      '"sex" IN ($1::text, $2::text)',
      ['f', 'm'],
    ],
    [
      'pre between',
      { type: 'pre', slug: 'p', field: 'age', pre_value: [1, 5], pre_operator: 'between' },
      '',
      '"age" BETWEEN $1::numeric AND $2::numeric',
      ['1', '5'],
    ],
    [
      'pre distinct from',
      { type: 'pre', slug: 'p', field: 'sex', pre_value: 'f', pre_operator: 'distinct from' },
      '',
      '"sex" IS DISTINCT FROM $1::text',
      ['f'],
    ],
    [
      'pre >=',
      { type: 'pre', slug: 'p', field: 'age', pre_value: 18, pre_operator: '>=' },
      '',
      '"age" >= $1::numeric',
      ['18'],
    ],
    [
      'pre range',
      {
        type: 'pre',
        slug: 'p',
        field: 'dob',
        pre_value: ['2024-01-01', '2024-06-30'],
        pre_operator: 'range',
      },
      '',
      '"dob" BETWEEN $1::date AND $2::date',
      ['2024-01-01', '2024-06-30'],
    ],
    [
      'pre on an array column',
      { type: 'pre', slug: 'p', field: 'tags', pre_value: 'x' },
      '',
      '$1::text = ANY("tags")',
      ['x'],
    ],
    [
      'choice_list',
      { type: 'choice_list', slug: 's', field: 'sex', choices: [{ value: 'f' }, { value: 'm' }] },
      's=f',
      '"sex" IN ($1::text)',
      ['f'],
    ],
    [
      'choice_list none choice',
      { type: 'choice_list', slug: 's', field: 'sex', choices: [{ value: 'f' }] },
      's=%E2%90%80',
      '"sex" IS NULL',
      [],
    ],
    [
      'dynamic_choice_list several',
      { type: 'dynamic_choice_list', slug: 'v', field: 'village' },
      'v=A&v=B',
      '"village" IN ($1::text, $2::text)',
      ['A', 'B'],
    ],
    [
      'dynamic_choice_list show all',
      { type: 'dynamic_choice_list', slug: 'v', field: 'village' },
      'v=_all',
      null,
      [],
    ],
    [
      'dynamic_choice_list on an array',
      { type: 'dynamic_choice_list', slug: 't', field: 'tags' },
      't=x',
      '"tags" && $1::text[]',
      [['x']],
    ],
    [
      'multi_field_dynamic_choice_list',
      { type: 'multi_field_dynamic_choice_list', slug: 'm', fields: ['village', 'district_id'] },
      'm=X',
      '("village" IN ($1::text)) OR ("district_id" IN ($2::text))',
      ['X', 'X'],
    ],
    [
      'multi_field none',
      { type: 'multi_field_dynamic_choice_list', slug: 'm', fields: ['village', 'district_id'] },
      'm=%E2%90%80',
      '("village" IS NULL) OR ("district_id" IS NULL)',
      [],
    ],
    [
      'location_drilldown',
      { type: 'location_drilldown', slug: 'l', field: 'district_id' },
      'l=loc-1',
      '"district_id" IN ($1::text)',
      ['loc-1'],
    ],
    [
      'location_drilldown without a location',
      { type: 'location_drilldown', slug: 'l', field: 'district_id' },
      '',
      null,
      [],
    ],
  ])('%s', (_name, filter, query, condition, values) => {
    const { text, values: bound } = sql({ filters: [filter] }, query);
    if (condition === null) expect(text).not.toContain('WHERE');
    else expect(text).toContain(`WHERE (${condition})`);
    expect(bound.slice(0, -2)).toEqual(values);
  });

  it('location_drilldown with include_descendants asks for the descendants and filters by all of them', () => {
    const report = compile({
      filters: [{ type: 'location_drilldown', slug: 'l', field: 'district_id', include_descendants: true }],
    });
    const params = new URLSearchParams('l=d1');
    expect(report.filterLookupKeys(params)).toEqual([{ kind: 'location_descendants', id: 'd1' }]);
    const plan = report.plan(
      request('l=d1', {
        lookups: {
          get: (kind, id) => (kind === 'location_descendants' && id === 'd1' ? ['v1', 'v2'] : null),
        },
      }),
      new Map(),
    );
    expect(plan.data.text).toContain('"district_id" IN ($1::text, $2::text, $3::text)');
    expect(plan.data.values.slice(0, 3)).toEqual(['d1', 'v1', 'v2']);
  });

  it('a pre filter with a dynamic date range moves with the clock', () => {
    const { text, values } = sql({
      filters: [{ type: 'pre', slug: 'p', field: 'dob', pre_value: [], pre_operator: 'last7' }],
    });
    expect(text).toContain('"dob" BETWEEN $1::date AND $2::date');
    const today = new Date().toISOString().slice(0, 10);
    expect(values[1]).toBe(today);
    expect(values[0]).toBe(new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10));
  });
});

describe('charts in the report JSON', () => {
  const chartColumns = [
    field('village'),
    field('sex'),
    field('doc_id', { aggregation: 'count', column_id: 'count' }),
  ];
  const rows = [
    { c0: 'A', c1: 'f', c2: 2 },
    { c0: 'A', c1: 'm', c2: 1 },
    { c0: 'B', c1: 'f', c2: 4 },
  ];
  it('pie: one slice per value of the aggregation column', () => {
    const output = rowsOf(
      {
        columns: chartColumns,
        configured_charts: [
          { type: 'pie', title: 'By village', aggregation_column: 'village', value_column: 'count' },
        ],
      },
      rows,
    );
    expect(output.charts).toEqual([
      {
        type: 'pie',
        chart_id: 'chart-0',
        title: 'By village',
        aggregation_column: 'village',
        value_column: 'count',
        data: [
          { label: 'A', value: 3 },
          { label: 'B', value: 4 },
        ],
      },
    ]);
  });

  it('multibar: one series per y column, translated displays', () => {
    const output = rowsOf(
      {
        columns: chartColumns,
        configured_charts: [
          {
            type: 'multibar',
            x_axis_column: 'village',
            y_axis_columns: [{ column_id: 'count', display: { en: 'Cases', fra: 'Cas' } }, 'sex'],
          },
        ],
      },
      rows,
      'fra',
    );
    expect(output.charts[0]).toMatchObject({
      type: 'multibar',
      is_stacked: false,
      series: [
        {
          column_id: 'count',
          display: 'Cas',
          values: [
            { x: 'A', y: 2 },
            { x: 'A', y: 1 },
            { x: 'B', y: 4 },
          ],
        },
        { column_id: 'sex', display: 'sex' },
      ],
    });
  });

  it('multibar-aggregate: one series per secondary value, summed per primary value', () => {
    const output = rowsOf(
      {
        columns: chartColumns,
        configured_charts: [
          {
            type: 'multibar-aggregate',
            primary_aggregation: 'village',
            secondary_aggregation: 'sex',
            value_column: 'count',
            chart_id: 'c',
          },
        ],
      },
      rows,
    );
    expect(output.charts[0]).toMatchObject({
      chart_id: 'c',
      series: [
        {
          key: 'f',
          values: [
            { x: 'A', y: 2 },
            { x: 'B', y: 4 },
          ],
        },
        {
          key: 'm',
          values: [
            { x: 'A', y: 1 },
            { x: 'B', y: 0 },
          ],
        },
      ],
    });
  });

  it('refuses a chart naming a column the report does not have', () => {
    expect(issuesOf({ configured_charts: [{ type: 'pie', value_column: 'nope' }] })).toEqual([
      '$.configured_charts[0].value_column: expected a report column id, got "nope"',
    ]);
  });
});
