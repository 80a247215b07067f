import { describe, expect, it } from 'vitest';
import { parseReportConfig } from './report-config.js';
import { ReportConfigError } from './report-config-error.js';

const base = {
  domain: 'demo',
  config_id: 'household_register',
  title: 'Households',
  aggregation_columns: ['village'],
  columns: [
    { type: 'field', field: 'village', column_id: 'village', aggregation: 'simple' },
    { type: 'field', field: 'doc_id', column_id: 'count', aggregation: 'count' },
  ],
};

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseReportConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ReportConfigError);
    return [...(error as ReportConfigError).issues];
  }
  throw new Error('expected the configuration to be refused');
}

describe('parseReportConfig', () => {
  it('fills CommCare defaults: column_id from field, format, order, filters', () => {
    const config = parseReportConfig({
      ...base,
      columns: [
        { type: 'field', field: 'village', aggregation: 'simple' },
        { type: 'expanded', field: 'case_type' },
      ],
      sort_expression: [{ field: 'village' }],
    });
    expect(config.columns[0]).toMatchObject({ field: 'village', format: 'default', calculate_total: false });
    expect(config.columns[1]).toMatchObject({ type: 'expanded', max_expansion: 10 });
    expect(config.sort_expression).toEqual([{ field: 'village', order: 'ASC' }]);
    expect(config.filters).toEqual([]);
  });

  it('ignores keys it does not use, as CommCare does', () => {
    expect(() =>
      parseReportConfig({ ...base, description: 'x', configured_charts: [], report_meta: { a: 1 } }),
    ).not.toThrow();
  });

  it('names the JSON path and the expected values of a bad aggregation', () => {
    const issues = issuesOf({
      ...base,
      columns: [{ type: 'field', field: 'village', aggregation: 'median' }],
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('$.columns[0].aggregation');
    expect(issues[0]!.message).toMatch(/simple/);
    expect(issues[0]!.message).toMatch(/count_unique/);
  });

  it('lists the column types when a type is unknown', () => {
    const issues = issuesOf({ ...base, columns: [{ type: 'heatmap', field: 'gps' }] });
    expect(issues).toEqual([
      {
        path: '$.columns[0].type',
        message: expect.stringMatching(/field\|percent\|aggregate_date.*location, got "heatmap"/) as string,
      },
    ]);
  });

  it('lists the filter types when a filter type is unsupported', () => {
    const issues = issuesOf({
      ...base,
      filters: [{ type: 'enikshay_location_hierarchy', slug: 'l', field: 'x' }],
    });
    expect(issues[0]).toEqual({
      path: '$.filters[0].type',
      message: expect.stringMatching(
        /date\|quarter\|numeric\|pre\|choice_list\|dynamic_choice_list\|multi_field_dynamic_choice_list\|location_drilldown/,
      ) as string,
    });
  });

  it('says which fields are required', () => {
    const issues = issuesOf({
      columns: [{ type: 'percent', column_id: 'p', numerator: { type: 'field', aggregation: 'sum' } }],
    });
    const paths = issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '$.domain',
        '$.config_id',
        '$.columns[0].numerator.field',
        '$.columns[0].denominator',
      ]),
    );
    expect(issues.find((issue) => issue.path === '$.domain')!.message).toMatch(/^required/);
  });

  it('refuses duplicate column ids, percent parts included', () => {
    const issues = issuesOf({
      ...base,
      columns: [
        { type: 'field', field: 'taken', column_id: 'taken', aggregation: 'sum' },
        {
          type: 'percent',
          column_id: 'pct',
          numerator: { type: 'field', field: 'taken', column_id: 'taken', aggregation: 'sum' },
          denominator: { type: 'field', field: 'doc_id', column_id: 'n', aggregation: 'count' },
        },
      ],
    });
    expect(issues).toEqual([
      {
        path: '$.columns[1].column_id',
        message: expect.stringMatching(/"taken" is already used by \$.columns\[0\]/) as string,
      },
    ]);
  });

  it('refuses sorting by unknown or unsortable columns', () => {
    const issues = issuesOf({
      ...base,
      columns: [...base.columns, { type: 'expanded', field: 'case_type', column_id: 'types' }],
      sort_expression: [{ field: 'nope' }, { field: 'types', order: 'DESC' }],
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      '$.sort_expression[0].field',
      '$.sort_expression[1].field',
    ]);
  });

  it('requires distinct_on to lead the sort expression', () => {
    const issues = issuesOf({ ...base, sort_expression: [{ field: 'count' }], distinct_on: ['village'] });
    expect(issues).toEqual([
      {
        path: '$.distinct_on[0]',
        message: expect.stringMatching(/sort_expression\[0\] is "count"/) as string,
      },
    ]);
  });

  it('refuses a domain that could not name a view (the config_id is checked when compiled)', () => {
    const issues = issuesOf({ ...base, domain: 'demo"; DROP TABLE x; --', config_id: 'a b' });
    expect(issues.map((issue) => issue.path)).toEqual(['$.domain']);
  });
});
