import { describe, expect, it } from 'vitest';
import { compileDataSource } from './compile-data-source.js';

// Odd values a document may carry, each tried in every position below.
const oddValues: unknown[] = [
  null,
  '',
  'x',
  ' 42 ',
  5,
  -0,
  1.5,
  1e308,
  true,
  [],
  {},
  [1, 'a', null],
  { a: { b: [] } },
  '2023-02-30',
  '2023-01-01T25:00:00Z',
  '1e999999999999999999',
  '-1e-999999999999999999',
  'inf',
  'NaN',
  '__proto__',
  'constructor',
  '9'.repeat(400),
];

const v = { type: 'property_name', property_name: 'v' };
const w = { type: 'property_name', property_name: 'w' };
const expressions: unknown[] = [
  v,
  { type: 'property_path', property_path: ['v', 'a', 'b'] },
  { type: 'jsonpath', jsonpath: '$..b' },
  { type: 'array_index', array_expression: v, index_expression: w },
  { type: 'split_string', string_expression: v, index_expression: w },
  { type: 'coalesce', expression: v, default_expression: w },
  { type: 'switch', switch_on: v, cases: { x: w }, default: v },
  { type: 'add_days', date_expression: v, count_expression: w },
  { type: 'add_months', date_expression: v, months_expression: w },
  { type: 'add_hours', date_expression: v, count_expression: w },
  { type: 'month_end_date', date_expression: v },
  { type: 'diff_days', from_date_expression: v, to_date_expression: w },
  { type: 'reduce_items', items_expression: v, aggregation_fn: 'sum' },
  { type: 'reduce_items', items_expression: v, aggregation_fn: 'max' },
  { type: 'reduce_items', items_expression: v, aggregation_fn: 'join' },
  { type: 'sort_items', items_expression: v, sort_expression: { type: 'identity' } },
  { type: 'flatten', items_expression: v },
  { type: 'evaluator', statement: 'a + b * 2 - a / b // 3 % b', context_variables: { a: v, b: w } },
  {
    type: 'evaluator',
    statement: 'round(a, b) if a > b else int(a) + float(b)',
    context_variables: { a: v, b: w },
  },
  { type: 'evaluator', statement: '[x for x in a if x in b][0:2]', context_variables: { a: v, b: w } },
  { type: 'related_doc', related_doc_type: 'CommCareCase', doc_id_expression: v, value_expression: w },
  { type: 'indexed_case', case_expression: v },
  { type: 'ancestor_location', location_id: v, location_type: w },
];
const datatypes = ['string', 'integer', 'decimal', 'date', 'datetime', 'array'];
const operators = ['eq', 'not_eq', 'in', 'in_multi', 'any_in_multi', 'lt', 'lte', 'gt', 'gte', 'regex'];

const config = {
  domain: 'd',
  referenced_doc_type: 'CommCareCase',
  table_id: 'fuzz',
  configured_indicators: [
    ...expressions.flatMap((expression, i) =>
      datatypes.map((datatype) => ({
        type: 'expression',
        column_id: `e${i}_${datatype}`,
        datatype,
        expression,
      })),
    ),
    ...operators.map((operator) => ({
      type: 'boolean',
      column_id: `f_${operator}`,
      filter: { type: 'boolean_expression', expression: v, operator, property_value: w },
    })),
    { type: 'choice_list', column_id: 'c', property_name: 'v', choices: ['x', 5], select_style: 'multiple' },
  ],
};

describe('evaluation never throws for data', () => {
  it('evaluates every combination of odd values in every expression, datatype and operator', () => {
    const ds = compileDataSource(config);
    const lookups = { get: () => ({ domain: 'd', v: 1, indices: 'x' }) };
    let rows = 0;
    for (const a of oddValues) {
      for (const b of oddValues) {
        const result = ds.evaluate({ _id: 'x', domain: 'd', doc_type: 'CommCareCase', v: a, w: b }, lookups);
        expect(result.status).toBe('rows');
        if (result.status === 'rows') rows += result.rows.length;
      }
    }
    expect(rows).toBe(oddValues.length ** 2);
  });
});
