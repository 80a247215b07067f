import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile-standalone.js';
import { UcrConfigError } from './ucr-config-error.js';

const prop = (name: string, datatype?: string) => ({
  type: 'property_name',
  property_name: name,
  ...(datatype ? { datatype } : {}),
});

function check(operator: string, value: unknown, reference: unknown): boolean {
  const filter = compileFilter({
    type: 'boolean_expression',
    expression: { type: 'constant', constant: value },
    operator,
    property_value: reference,
  });
  return filter({}).value;
}

function onDoc(spec: unknown, doc: unknown, named?: Record<string, unknown>): boolean {
  return compileFilter(spec, { namedFilters: named })(doc).value;
}

describe('operators (§4)', () => {
  it.each([
    ['eq', 5, 5.0, true],
    ['eq', true, 1, true],
    ['eq', '5', 5, false],
    ['eq', null, null, true],
    ['not_eq', '5', 5, true],
    ['in', 'a', ['a', 'b'], true],
    ['in', 'ell', 'hello', true],
    ['in', null, 'hello', false],
    ['in', 1, 'hello', false],
    ['in', 1, [true], true],
    ['in_multi', 'a b c', 'b', true],
    ['in_multi', 'a b c', 'd', false],
    ['in_multi', null, '', true],
    ['in_multi', '', '', true],
    ['in_multi', 5, '5', false],
    ['any_in_multi', 'a b c', ['x', 'c'], true],
    ['any_in_multi', 'a b c', 'xc', true],
    ['any_in_multi', 'a b c', ['x'], false],
    ['any_in_multi', 'a b c', null, false],
    ['lt', 1, 2, true],
    ['lt', null, 5, false],
    ['lt', 'a', 5, false],
    ['lte', 2, 2, true],
    ['lt', '10', '9', true],
    ['gt', '9', 21, true],
    ['gte', 'a', true, true],
    ['gt', 21, '9', false],
    ['gt', 2, 1.5, true],
    ['gt', null, 1, false],
    ['gte', 1.5, 1.5, true],
    ['regex', 'abc123', '\\d+', true],
    ['regex', 'abc', '^b', false],
    ['regex', 123, '\\d+', false],
    ['regex', 'x-y', '(?P<first>x)-y', true],
  ])('%s(%o, %o) is %s', (operator, value, reference, expected) => {
    expect(check(operator, value, reference)).toBe(expected);
  });

  it('compares dates with dates only', () => {
    expect(check('lt', '2023-01-01', '2023-01-02')).toBe(true);
    expect(check('lt', { type: 'constant', constant: '2023-01-01' }, '2023-01-02T00:00:00Z')).toBe(false);
  });

  it('compares a date-like literal as a date: an untyped string never equals it (§13.2)', () => {
    const filter = (datatype?: string) => ({
      type: 'boolean_expression',
      expression: prop('d', datatype),
      operator: 'eq',
      property_value: '2022-12-01',
    });
    expect(onDoc(filter(), { d: '2022-12-01' })).toBe(false);
    expect(onDoc(filter('date'), { d: '2022-12-01' })).toBe(true);
  });

  it('compares a decimal-like literal as a Decimal', () => {
    const filter = (datatype?: string) => ({
      type: 'boolean_expression',
      expression: prop('t', datatype),
      operator: 'eq',
      property_value: '61.5',
    });
    expect(onDoc(filter(), { t: '61.5' })).toBe(false);
    expect(onDoc(filter('decimal'), { t: '61.5' })).toBe(true);
    expect(onDoc(filter(), { t: 61.5 })).toBe(true);
    expect(
      onDoc(
        { type: 'boolean_expression', expression: prop('t'), operator: 'eq', property_value: '27' },
        { t: 27 },
      ),
    ).toBe(false);
  });

  it('takes an expression as the reference value', () => {
    const spec = {
      type: 'boolean_expression',
      expression: prop('a'),
      operator: 'eq',
      property_value: prop('b'),
    };
    expect(onDoc(spec, { a: 1, b: 1 })).toBe(true);
    expect(onDoc(spec, { a: 1, b: 2 })).toBe(false);
  });

  it('rejects unknown and case-mismatched operators with the path', () => {
    expect(() =>
      compileFilter({ type: 'boolean_expression', expression: 1, operator: 'EQ', property_value: 1 }),
    ).toThrow(/^operator: /);
    expect(() => compileFilter({ type: 'boolean_expression', expression: 1, operator: 'eq' })).toThrow(
      /^property_value: /,
    );
    expect(() =>
      compileFilter({ type: 'boolean_expression', expression: 1, operator: 'regex', property_value: '(' }),
    ).toThrow(/^property_value: a valid regular expression/);
  });
});

describe('filter types', () => {
  const isA = { type: 'boolean_expression', expression: prop('v'), operator: 'eq', property_value: 'a' };
  const isB = { type: 'boolean_expression', expression: prop('v'), operator: 'eq', property_value: 'b' };
  it('property_match checks equality by name or path', () => {
    expect(onDoc({ type: 'property_match', property_name: 'v', property_value: 'a' }, { v: 'a' })).toBe(true);
    expect(
      onDoc({ type: 'property_match', property_path: ['o', 'v'], property_value: 'a' }, { o: { v: 'a' } }),
    ).toBe(true);
    expect(() => compileFilter({ type: 'property_match', property_value: 'a' })).toThrow(UcrConfigError);
    expect(() =>
      compileFilter({
        type: 'property_match',
        property_name: 'v',
        property_path: ['v'],
        property_value: 'a',
      }),
    ).toThrow(UcrConfigError);
  });
  it('and/or short-circuit and need a non-empty list', () => {
    expect(onDoc({ type: 'and', filters: [isA, isB] }, { v: 'a' })).toBe(false);
    expect(onDoc({ type: 'or', filters: [isA, isB] }, { v: 'b' })).toBe(true);
    expect(() => compileFilter({ type: 'and', filters: [] })).toThrow(/^filters: /);
  });
  it('not takes one filter object, not a list', () => {
    expect(onDoc({ type: 'not', filter: isA }, { v: 'a' })).toBe(false);
    expect(() => compileFilter({ type: 'not', filter: [isA] })).toThrow(/^filter: a single filter object/);
  });
  it('named filters resolve and unknown names are errors', () => {
    expect(onDoc({ type: 'named', name: 'is_a' }, { v: 'a' }, { is_a: isA })).toBe(true);
    expect(() => compileFilter({ type: 'named', name: 'nope' })).toThrow(/^name: /);
    expect(() =>
      compileFilter({ type: 'named', name: 'x' }, { namedFilters: { x: { type: 'named', name: 'x' } } }),
    ).toThrow(/cycle/);
  });
  it('rejects unknown keys on strict filter specs but not on and/or', () => {
    expect(() => compileFilter({ ...isA, extra: 1 })).toThrow(/^extra: no such property/);
    expect(() => compileFilter({ type: 'not', filter: isA, extra: 1 })).toThrow(UcrConfigError);
    expect(onDoc({ type: 'and', filters: [isA], extra: 1 }, { v: 'a' })).toBe(true);
  });
  it('rejects unknown filter types with the path', () => {
    expect(() => compileFilter({ type: 'or', filters: [isA, { type: 'nope' }] })).toThrow(
      /^filters\[1\]\.type: a known filter type/,
    );
  });
});
