import { describe, expect, it } from 'vitest';
import { compileReport, type ReportRequest } from './compile-report.js';
import type { DataSourceColumn } from './data-source-column.js';
import { parseReportConfig } from './report-config.js';
import { ReportConfigError } from './report-config-error.js';
import { ReportRequestError } from './report-request-error.js';

const columns: DataSourceColumn[] = [
  { id: 'doc_id', datatype: 'string' },
  { id: 'inserted_at', datatype: 'datetime' },
  { id: 'village', datatype: 'string' },
  { id: 'household_size', datatype: 'integer' },
  { id: 'opened_on', datatype: 'date' },
  { id: 'weight', datatype: 'decimal' },
  { id: 'tags', datatype: 'array' },
];

const households = {
  domain: 'demo',
  config_id: 'household_register',
  title: 'Households by village',
  aggregation_columns: ['village'],
  columns: [
    { type: 'field', field: 'village', column_id: 'village', aggregation: 'simple' },
    { type: 'field', field: 'doc_id', column_id: 'households', aggregation: 'count', calculate_total: true },
    {
      type: 'field',
      field: 'household_size',
      column_id: 'people',
      aggregation: 'sum',
      calculate_total: true,
    },
  ],
  filters: [
    {
      type: 'choice_list',
      slug: 'village',
      field: 'village',
      choices: [{ value: 'Alpha' }, { value: 'Beta' }],
    },
    { type: 'date', slug: 'opened', field: 'opened_on' },
    { type: 'numeric', slug: 'size', field: 'household_size' },
    { type: 'dynamic_choice_list', slug: 'tag', field: 'tags' },
  ],
};

const request = (query: string, page: Partial<ReportRequest> = {}): ReportRequest => ({
  params: new URLSearchParams(query),
  limit: 50,
  offset: 0,
  ...page,
});

const compile = (config: unknown, source = columns) => compileReport(parseReportConfig(config), source);

function configIssues(config: unknown, source = columns) {
  try {
    compile(config, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ReportConfigError);
    return [...(error as ReportConfigError).issues];
  }
  throw new Error('expected the configuration to be refused');
}

function requestError(run: () => unknown): ReportRequestError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ReportRequestError);
    return error as ReportRequestError;
  }
  throw new Error('expected the request to be refused');
}

describe('compileReport', () => {
  it('groups by the aggregation column, aggregates the others, orders and pages with bound values', () => {
    const plan = compile(households).plan(request('', { limit: 20, offset: 40 }), new Map());
    expect(plan.data.text).toBe(
      'SELECT "village" AS "c0", COUNT("doc_id") AS "c1", SUM("household_size") AS "c2" ' +
        'FROM "tributary_ucr"."demo_household_register" GROUP BY 1 ORDER BY "c0" ASC LIMIT $1::bigint OFFSET $2::bigint',
    );
    expect(plan.data.values).toEqual([20, 40]);
    expect(plan.summary.text).toBe(
      'SELECT COUNT(*) AS total_records, SUM(r."c1") AS "t_c1", SUM(r."c2") AS "t_c2" FROM (' +
        'SELECT "village" AS "c0", COUNT("doc_id") AS "c1", SUM("household_size") AS "c2" ' +
        'FROM "tributary_ucr"."demo_household_register" GROUP BY 1 ORDER BY "c0" ASC) AS r',
    );
  });

  it('turns every filter type into conditions on bound, typed parameters', () => {
    const plan = compile(households).plan(
      request(
        'village=Alpha&village=Beta&opened-start=2024-01-01&opened-end=2024-01-31&size-operator=>=&size-operand=3&tag=x',
      ),
      new Map(),
    );
    expect(plan.data.text).toContain(
      'WHERE ("village" IN ($1::text, $2::text)) AND ("opened_on" >= $3::date AND "opened_on" < $4::date) ' +
        'AND ("household_size" >= $5::numeric) AND ("tags" && $6::text[])',
    );
    expect(plan.data.values).toEqual(['Alpha', 'Beta', '2024-01-01', '2024-02-01', '3', ['x'], 50, 0]);
  });

  it('compares a date range with a datetime column up to the end of the last day', () => {
    const config = { ...households, filters: [{ type: 'date', slug: 'in', field: 'inserted_at' }] };
    const plan = compile(config).plan(request('in-start=2024-12-31&in-end=2024-12-31'), new Map());
    expect(plan.data.text).toContain(
      'WHERE ("inserted_at" >= $1::timestamp AND "inserted_at" < $2::timestamp)',
    );
    expect(plan.data.values.slice(0, 2)).toEqual(['2024-12-31', '2025-01-01']);
  });

  it('treats _all and empty values as no filter, and U+2400 as "is empty"', () => {
    const report = compile(households);
    expect(
      report.plan(request('village=_all&opened-start=&size-operand='), new Map()).data.text,
    ).not.toContain('WHERE');
    expect(report.plan(request('village=%E2%90%80'), new Map()).data.text).toContain(
      'WHERE ("village" IS NULL)',
    );
  });

  it('keeps request text out of the SQL, whatever it holds', () => {
    const config = {
      ...households,
      filters: [{ type: 'dynamic_choice_list', slug: 'village', field: 'village' }],
    };
    const attack = `Alpha'); DROP TABLE households; --`;
    const plan = compile(config).plan(
      request(new URLSearchParams({ village: attack }).toString()),
      new Map(),
    );
    expect(plan.data.text).not.toContain('DROP');
    expect(plan.data.values[0]).toBe(attack);
  });

  it('refuses bad filter values, naming the parameter', () => {
    const report = compile(households);
    const plan = (query: string) => () => report.plan(request(query), new Map());
    expect(requestError(plan('opened-start=yesterday')).parameter).toBe('opened-start');
    expect(requestError(plan('opened-start=2024-02-30')).parameter).toBe('opened-start');
    expect(requestError(plan('opened-start=2024-03-01&opened-end=2024-02-01')).parameter).toBe('opened-end');
    expect(requestError(plan('size-operator=LIKE&size-operand=3')).parameter).toBe('size-operator');
    expect(requestError(plan('size-operand=3 OR 1=1')).parameter).toBe('size-operand');
    expect(requestError(plan('size-operator=<')).parameter).toBe('size-operand');
    expect(requestError(plan('village=Gamma')).reason).toMatch(/expected one of "Alpha", "Beta"/);
  });

  it('checks numeric request values against numeric columns', () => {
    const config = {
      ...households,
      filters: [{ type: 'choice_list', slug: 'size', field: 'household_size' }],
    };
    const error = requestError(() => compile(config).plan(request('size=four'), new Map()));
    expect(error.parameter).toBe('size');
    expect(error.reason).toMatch(/expected a number/);
  });

  it('requires a value for a required filter', () => {
    const config = {
      ...households,
      filters: [{ type: 'date', slug: 'opened', field: 'opened_on', required: true }],
    };
    expect(requestError(() => compile(config).plan(request(''), new Map())).parameter).toBe('opened-start');
  });

  it('applies pre filters: scalar equals, null is null, list in, operators', () => {
    const pre = (pre_value: unknown, pre_operator?: string) =>
      compile({
        ...households,
        filters: [{ type: 'pre', slug: 'p', field: 'household_size', pre_value, pre_operator }],
      }).plan(request(''), new Map()).data;
    expect(pre(3).text).toContain('WHERE ("household_size" = $1::numeric)');
    expect(pre(3).values[0]).toBe('3');
    expect(pre(null).text).toContain('WHERE ("household_size" IS NULL)');
    expect(pre(null, '!=').text).toContain('WHERE ("household_size" IS NOT NULL)');
    expect(pre([1, 2]).text).toContain('WHERE ("household_size" IN ($1::numeric, $2::numeric))');
    expect(pre([1, 5], 'between').text).toContain(
      'WHERE ("household_size" BETWEEN $1::numeric AND $2::numeric)',
    );
    expect(pre(4, '>=').text).toContain('WHERE ("household_size" >= $1::numeric)');
  });

  it('refuses pre values that do not fit the column or the operator', () => {
    const issues = configIssues({
      ...households,
      filters: [
        { type: 'pre', slug: 'a', field: 'household_size', pre_value: 'many' },
        { type: 'pre', slug: 'b', field: 'household_size', pre_value: [1, 2, 3], pre_operator: 'between' },
        { type: 'pre', slug: 'c', field: 'household_size', pre_value: null, pre_operator: '<' },
      ],
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      '$.filters[0].pre_value',
      '$.filters[1].pre_operator',
      '$.filters[2].pre_operator',
    ]);
  });

  it('refuses columns the data source does not have, listing the ones it has', () => {
    const issues = configIssues({
      ...households,
      columns: [
        { type: 'field', field: 'village"; DROP TABLE x; --', column_id: 'v', aggregation: 'simple' },
      ],
      aggregation_columns: ['v'],
      filters: [{ type: 'date', slug: 'd', field: 'nope' }],
    });
    expect(issues).toEqual([
      {
        path: '$.columns[0].field',
        message: expect.stringMatching(
          /expected a column of the data source \(doc_id, inserted_at, village/,
        ) as string,
      },
      { path: '$.filters[0].field', message: expect.stringMatching(/got "nope"/) as string },
    ]);
  });

  it('refuses aggregations and filters that do not fit the column type', () => {
    const issues = configIssues({
      ...households,
      columns: [
        { type: 'field', field: 'village', column_id: 'v', aggregation: 'sum' },
        { type: 'aggregate_date', field: 'village', column_id: 'm' },
        { type: 'field', field: 'village', column_id: 'x', aggregation: 'max', calculate_total: true },
      ],
      aggregation_columns: [],
      filters: [
        { type: 'numeric', slug: 'n', field: 'village' },
        { type: 'date', slug: 'd', field: 'household_size' },
      ],
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      '$.columns[0].aggregation',
      '$.columns[1].field',
      '$.columns[2].calculate_total',
      '$.filters[0].field',
      '$.filters[1].field',
    ]);
  });

  it('groups months of an aggregate_date column and formats them', () => {
    const report = compile({
      ...households,
      aggregation_columns: ['month'],
      columns: [
        { type: 'aggregate_date', field: 'opened_on', column_id: 'month', format: '%b %Y' },
        { type: 'field', field: 'doc_id', column_id: 'n', aggregation: 'count' },
      ],
      filters: [],
    });
    const plan = report.plan(request(''), new Map());
    expect(plan.data.text).toContain(
      'SELECT EXTRACT(YEAR FROM "opened_on")::integer AS "c0", EXTRACT(MONTH FROM "opened_on")::integer AS "c1", COUNT("doc_id") AS "c2"',
    );
    expect(plan.data.text).toContain('GROUP BY 1, 2 ORDER BY "c0" ASC, "c1" ASC');
    const output = plan.finish(
      [
        { c0: 2024, c1: 3, c2: 2n },
        { c0: null, c1: null, c2: '1' },
      ],
      { total_records: 2n },
    );
    expect(output.rows).toEqual([
      { month: 'Mar 2024', n: 2 },
      { month: 'Unknown Date', n: 1 },
    ]);
    expect(output.total_records).toBe(2);
    expect(output.total_row).toBeNull();
  });

  it('expands a column into one bound count per distinct value', () => {
    const report = compile({
      domain: 'demo',
      config_id: 'open_cases_by_owner',
      aggregation_columns: ['village'],
      columns: [
        { type: 'field', field: 'village', aggregation: 'simple' },
        {
          type: 'expanded',
          field: 'household_size',
          column_id: 'size',
          display: 'Size',
          max_expansion: 3,
          calculate_total: true,
        },
      ],
    });
    expect(report.expansions).toEqual([
      {
        columnId: 'size',
        query: {
          text:
            'SELECT d.raw::text AS v FROM (SELECT DISTINCT "household_size" AS raw FROM "tributary_ucr"."demo_open_cases_by_owner" ' +
            'WHERE "household_size" IS NOT NULL) AS d ORDER BY d.raw LIMIT $1::integer',
          values: [3],
        },
      },
    ]);
    const plan = report.plan(request(''), new Map([['size', ['1', '2']]]));
    expect(plan.data.text).toContain(
      'SUM(CASE WHEN "household_size" = $1::numeric THEN 1 ELSE 0 END) AS "c1", SUM(CASE WHEN "household_size" = $2::numeric THEN 1 ELSE 0 END) AS "c2"',
    );
    const output = plan.finish([{ c0: 'Alpha', c1: 3n, c2: 0n }], { total_records: 1n, t_c1: 3n, t_c2: 0n });
    expect(output.columns).toEqual([
      { id: 'village', display: 'village', type: 'field' },
      { id: 'size-1', display: 'Size-1', type: 'expanded' },
      { id: 'size-2', display: 'Size-2', type: 'expanded' },
    ]);
    expect(output.rows).toEqual([{ village: 'Alpha', 'size-1': 3, 'size-2': 0 }]);
    expect(output.total_row).toEqual(['Total', 3, 0]);
  });

  it('buckets integers with bound bounds and labels, grouped by ordinal', () => {
    const plan = compile({
      ...households,
      aggregation_columns: ['size_range'],
      columns: [
        {
          type: 'integer_buckets',
          field: 'household_size',
          column_id: 'size_range',
          ranges: { small: [0, 3], large: [4, 99] },
          else_: 'other',
        },
        { type: 'field', field: 'doc_id', column_id: 'n', aggregation: 'count' },
      ],
      filters: [],
    }).plan(request(''), new Map());
    expect(plan.data.text).toContain(
      'CASE WHEN "household_size" BETWEEN $1::numeric AND $2::numeric THEN $3::text WHEN "household_size" BETWEEN $4::numeric AND $5::numeric THEN $6::text ELSE $7::text END AS "c0"',
    );
    expect(plan.data.values.slice(0, 7)).toEqual([0, 3, 'small', 4, 99, 'large', 'other']);
    expect(plan.data.text).toContain('GROUP BY 1 ');
  });

  it('parses sum_when conditions into quoted columns and bound values', () => {
    const plan = compile({
      ...households,
      columns: [
        { type: 'field', field: 'village', aggregation: 'simple' },
        {
          type: 'sum_when',
          column_id: 'small',
          whens: [["household_size < 3 AND village != 'O''Hara'", 1]],
          else_: 0,
        },
      ],
      filters: [],
    }).plan(request(''), new Map());
    expect(plan.data.text).toContain(
      'SUM(CASE WHEN ("household_size" < $1::numeric) AND ("village" <> $2::text) THEN $3::numeric ELSE $4::numeric END) AS "c1"',
    );
    expect(plan.data.values.slice(0, 4)).toEqual(['3', "O'Hara", 1, 0]);
  });

  it('reads IS [NOT] NULL and == in sum_when conditions', () => {
    const plan = compile({
      ...households,
      columns: [
        { type: 'field', field: 'village', aggregation: 'simple' },
        { type: 'sum_when', column_id: 'unknown_size', whens: { 'household_size is null': 1 } },
        {
          type: 'sum_when',
          column_id: 'known',
          whens: [["household_size IS NOT NULL and opened_on == '2024-01-01'", 2]],
        },
      ],
      filters: [],
    }).plan(request(''), new Map());
    expect(plan.data.text).toContain(
      'SUM(CASE WHEN ("household_size" IS NULL) THEN $1::numeric ELSE $2::numeric END) AS "c1"',
    );
    expect(plan.data.text).toContain(
      'SUM(CASE WHEN ("household_size" IS NOT NULL) AND ("opened_on" = $3::date) THEN $4::numeric ELSE $5::numeric END) AS "c2"',
    );
  });

  it('refuses sum_when conditions outside the grammar instead of pasting them into SQL', () => {
    const issues = configIssues({
      ...households,
      columns: [
        { type: 'sum_when', column_id: 'a', whens: [['household_size < 3; DROP TABLE x', 1]] },
        { type: 'sum_when', column_id: 'b', whens: { 'pg_sleep(10) = 1': 1 } },
        { type: 'sum_when', column_id: 'c', whens: [['secret < 3', 1]] },
      ],
      aggregation_columns: [],
      filters: [],
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      '$.columns[0].whens[0]',
      '$.columns[1].whens["pg_sleep(10) = 1"]',
      '$.columns[2].whens[0]',
    ]);
  });

  it('formats percent columns and their totals', () => {
    const plan = compile({
      domain: 'demo',
      config_id: 'visit_medications',
      aggregation_columns: ['village'],
      columns: [
        { type: 'field', field: 'village', aggregation: 'simple' },
        {
          type: 'percent',
          column_id: 'pct',
          format: 'both',
          calculate_total: true,
          numerator: { type: 'field', field: 'household_size', column_id: 'num', aggregation: 'sum' },
          denominator: { type: 'field', field: 'doc_id', column_id: 'den', aggregation: 'count' },
        },
      ],
    }).plan(request(''), new Map());
    const output = plan.finish(
      [
        { c0: 'A', c1: 2n, c2: 3n },
        { c0: 'B', c1: null, c2: 0n },
      ],
      { total_records: 2n, t_c1: 2n, t_c2: 3n },
    );
    expect(output.rows).toEqual([
      { village: 'A', pct: '67% (2/3)' },
      { village: 'B', pct: '-- (None/0)' },
    ]);
    expect(output.total_row).toEqual(['Total', '67% (2/3)']);
  });

  it('computes expression columns on the row after the query', () => {
    const plan = compile({
      ...households,
      filters: [],
      columns: [
        ...households.columns,
        {
          type: 'expression',
          column_id: 'size_class',
          expression: {
            type: 'conditional',
            test: {
              type: 'boolean_expression',
              expression: { type: 'property_name', property_name: 'people' },
              operator: 'gte',
              property_value: 10,
            },
            expression_if_true: 'big',
            expression_if_false: { type: 'constant', constant: 'small' },
          },
        },
      ],
    }).plan(request(''), new Map());
    const output = plan.finish(
      [
        { c0: 'A', c1: 2n, c2: 12n },
        { c0: 'B', c1: 1n, c2: 4n },
      ],
      { total_records: 2n, t_c1: 3n, t_c2: 16n },
    );
    expect(output.rows.map((row) => row.size_class)).toEqual(['big', 'small']);
    expect(output.total_row).toEqual(['Total', 3, 16, null]);
  });

  it('refuses expression types the UCR language does not know, with the path inside the expression', () => {
    const issues = configIssues({
      ...households,
      filters: [],
      columns: [
        ...households.columns,
        {
          type: 'expression',
          column_id: 'e',
          expression: { type: 'nested', argument_expression: { type: 'icds_age' }, value_expression: 1 },
        },
      ],
    });
    expect(issues).toEqual([
      {
        path: '$.columns[3].expression.argument_expression.type',
        message: 'expected a known expression type (got "icds_age")',
      },
    ]);
  });

  it('sorts by the sort expression, then by the grouped columns, with DISTINCT ON when asked', () => {
    const plan = compile({
      ...households,
      filters: [],
      aggregation_columns: ['village', 'opened'],
      columns: [
        ...households.columns,
        { type: 'field', field: 'opened_on', column_id: 'opened', aggregation: 'simple' },
      ],
      sort_expression: [{ field: 'people', order: 'DESC' }],
      distinct_on: ['people'],
    }).plan(request(''), new Map());
    expect(plan.data.text).toContain('SELECT DISTINCT ON ("c2") "village" AS "c0"');
    expect(plan.data.text).toContain(`to_char("opened_on", 'YYYY-MM-DD') AS "c3"`);
    expect(plan.data.text).toContain('GROUP BY 1, 4 ORDER BY "c2" DESC, "c0" ASC, "c3" ASC');
  });

  it('groups by a data source column named in aggregation_columns (CommCare\'s ["doc_id"])', () => {
    const plan = compile({
      ...households,
      filters: [],
      aggregation_columns: ['doc_id'],
      columns: [{ type: 'field', field: 'household_size', column_id: 'size', aggregation: 'max' }],
    }).plan(request(''), new Map());
    expect(plan.data.text).toBe(
      'SELECT MAX("household_size") AS "c0", "doc_id" AS "c1" FROM "tributary_ucr"."demo_household_register" GROUP BY 2 ORDER BY "c1" ASC LIMIT $1::bigint OFFSET $2::bigint',
    );
    expect(plan.finish([{ c0: 4, c1: 'd1' }], { total_records: 1n }).rows).toEqual([{ size: 4 }]);
  });

  it('applies transforms, looking users and owners up in a second pass', () => {
    const output = compile({
      ...households,
      filters: [],
      columns: [
        {
          type: 'field',
          field: 'village',
          aggregation: 'simple',
          transform: { type: 'translation', translations: { A: 'Alpha', B: { en: 'Beta', fr: 'Bêta' } } },
        },
        {
          type: 'field',
          field: 'weight',
          column_id: 'w',
          aggregation: 'avg',
          transform: { type: 'number_format', format_string: '{0:.2f}' },
        },
      ],
    })
      .plan(request('', { lang: 'fr' }), new Map())
      .finish([{ c0: 'B', c1: '2.5000000000000000' }], { total_records: 1n });
    expect(output.rows).toEqual([{ village: 'Bêta', w: '2.50' }]);
    const issues = configIssues({
      ...households,
      filters: [],
      columns: [
        {
          type: 'field',
          field: 'village',
          aggregation: 'simple',
          transform: { type: 'custom', custom_type: 'no_such_display' },
        },
      ],
    });
    expect(issues[0]!.path).toBe('$.columns[0].transform.custom_type');
    const plan = compile({
      ...households,
      filters: [],
      columns: [
        {
          type: 'field',
          field: 'village',
          aggregation: 'simple',
          transform: { type: 'custom', custom_type: 'owner_display' },
        },
      ],
    }).plan(request(''), new Map());
    const rows = [{ c0: 'g1' }, { c0: 'u1' }];
    expect(plan.lookupKeys(rows)).toEqual([
      { kind: 'location', id: 'g1' },
      { kind: 'user', id: 'g1' },
      { kind: 'group', id: 'g1' },
      { kind: 'location', id: 'u1' },
      { kind: 'user', id: 'u1' },
      { kind: 'group', id: 'u1' },
    ]);
    const docs: Record<string, unknown> = {
      'group:g1': { name: 'Team North' },
      'user:u1': { username: 'asha@demo.commcarehq.org' },
    };
    const lookups = { get: (kind: string, id: string) => docs[`${kind}:${id}`] ?? null };
    expect(plan.finish(rows, { total_records: 2 }, lookups).rows).toEqual([
      { village: 'Team North' },
      { village: 'asha' },
    ]);
  });
});
