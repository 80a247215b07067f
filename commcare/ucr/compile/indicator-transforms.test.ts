import { describe, expect, it } from 'vitest';
import type { UcrLookups } from '../contract.js';
import { compileDataSource } from '../compile-data-source.js';
import { compileExpression, compileIndicator } from '../compile-standalone.js';
import { UcrConfigError } from './ucr-config-error.js';

const prop = (name: string) => ({ type: 'property_name', property_name: name });
const indicator = (datatype: string, transform: unknown, property = 'v') => ({
  type: 'expression',
  column_id: 'c',
  datatype,
  expression: prop(property),
  transform,
});
const value = (spec: unknown, doc: unknown, lookups?: UcrLookups) =>
  compileIndicator(spec).evaluate(doc, lookups ? { lookups } : {}).value.c;

describe('indicator transforms, applied before the datatype as CommCare does', () => {
  it('an empty transform is no transform', () => {
    expect(value(indicator('string', {}), { v: 'x' })).toBe('x');
  });

  it('custom month_display, then the string datatype', () => {
    expect(value(indicator('string', { type: 'custom', custom_type: 'month_display' }), { v: '3' })).toBe(
      'March',
    );
  });

  it('date_format on a date-typed value stores the formatted text', () => {
    const spec = {
      type: 'expression',
      column_id: 'c',
      datatype: 'string',
      expression: { ...prop('v'), datatype: 'date' },
      transform: { type: 'date_format', format: '%Y/%m' },
    };
    expect(value(spec, { v: '2024-03-05' })).toBe('2024/03');
  });

  it('ethiopian_date_to_gregorian_date then the date datatype', () => {
    const spec = indicator('date', { type: 'custom', custom_type: 'ethiopian_date_to_gregorian_date' });
    expect(value(spec, { v: '2014-13-05' })).toBe('2022-09-10');
    expect(value(spec, { v: 'garbage' })).toBeNull();
  });

  it('number_format and translation', () => {
    expect(
      value(indicator('string', { type: 'number_format', format_string: '{0:.1f}' }), { v: '2.25' }),
    ).toBe('2.2');
    const translation = { type: 'translation', translations: { y: { en: 'Yes', fra: 'Oui' } } };
    expect(value(indicator('string', translation), { v: 'y' })).toBe('Yes');
  });

  it('owner_display looks the owner up through the batched lookups', () => {
    const spec = indicator('string', { type: 'custom', custom_type: 'owner_display' });
    const lookups: UcrLookups = {
      get: (key) => (key.kind === 'group' && key.id === 'g1' ? { name: 'Team North', domain: 'd' } : null),
    };
    expect(value(spec, { v: 'g1', domain: 'd' }, lookups)).toBe('Team North');
  });

  it('reports the lookups a transform misses so the stage can fetch them', () => {
    const ds = compileDataSource({
      domain: 'd',
      table_id: 't',
      referenced_doc_type: 'CommCareCase',
      configured_indicators: [
        {
          type: 'expression',
          column_id: 'owner',
          datatype: 'string',
          expression: prop('owner_id'),
          transform: { type: 'custom', custom_type: 'user_display' },
        },
      ],
    });
    const result = ds.evaluate(
      { _id: 'c1', domain: 'd', doc_type: 'CommCareCase', owner_id: 'u9' },
      { get: () => undefined },
    );
    expect(result).toEqual({ status: 'missing', missing: [{ kind: 'user', id: 'u9', domain: 'd' }] });
  });

  it('refuses an unknown transform with the JSON path', () => {
    expect(() => compileIndicator(indicator('string', { type: 'custom', custom_type: 'icds_age' }))).toThrow(
      new UcrConfigError(
        'transform.custom_type',
        'one of month_display, days_elapsed_from_date, user_display, owner_display, user_without_domain_display, short_decimal_display, ethiopian_date_to_gregorian_date, gregorian_date_to_ethiopian_date (got "icds_age")',
      ),
    );
  });
});

describe('None and booleans as stored', () => {
  it('a missing value in an array column is a NULL element, not the text None', () => {
    expect(value(indicator('array', undefined), {})).toEqual([null]);
    const list = {
      type: 'expression',
      column_id: 'c',
      datatype: 'array',
      expression: { type: 'evaluator', statement: '[1, None, True]', context_variables: { x: 1 } },
    };
    expect(value(list, {})).toEqual(['1', null, 'True']);
  });

  it('the evaluator returns an operand of and/or, and comparisons give True/False', () => {
    const evaluator = (statement: string, vars: Record<string, unknown>) =>
      compileExpression({ type: 'evaluator', statement, context_variables: vars })({}).value;
    expect(evaluator('a or b', { a: 0, b: 5 })).toBe(5);
    expect(evaluator('a and b', { a: 1, b: 'x' })).toBe('x');
    expect(evaluator('a > 1 or b', { a: 3, b: 0 })).toBe(true);
    expect(evaluator('a > 5 and b', { a: 3, b: 1 })).toBe(false);
    const stored = (datatype: string) =>
      value(
        {
          type: 'expression',
          column_id: 'c',
          datatype,
          expression: { type: 'evaluator', statement: 'a > 1', context_variables: { a: 3 } },
        },
        {},
      );
    expect(stored('string')).toBe('True');
    expect(stored('integer')).toBe(1);
    expect(stored('decimal')).toBe('1');
    expect(stored('array')).toEqual(['True']);
  });
});

describe('Ethiopian date expressions (date_specs.py test vectors)', () => {
  const eth = (type: string, dob: unknown) =>
    compileExpression({ type, date_expression: prop('dob') })({ dob }).value;
  it.each([
    ['2015-01-20', '2022-09-30'],
    ['2014-13-05', '2022-09-10'],
  ])('ethiopian %s is gregorian %s', (dob, iso) => {
    expect((eth('ethiopian_date_to_gregorian_date', dob) as { toIso(): string }).toIso()).toBe(iso);
  });
  it.each([
    ['2022-09-30', '2015-01-20'],
    ['2021-10-9', '2014-01-29'],
  ])('gregorian %s is ethiopian %s', (dob, text) => {
    expect(eth('gregorian_date_to_ethiopian_date', dob)).toBe(text);
  });
  it('a constant that only looks Ethiopian stays a string and converts', () => {
    const expr = compileExpression({
      type: 'ethiopian_date_to_gregorian_date',
      date_expression: { type: 'constant', constant: '2014-13-05' },
    });
    expect((expr({}).value as { toIso(): string }).toIso()).toBe('2022-09-10');
  });
});
