import { describe, expect, it } from 'vitest';
import { compileIndicator } from '../compile-standalone.js';
import { truncateColumnId } from './truncate-column-id.js';
import { UcrConfigError } from './ucr-config-error.js';

const prop = (name: string) => ({ type: 'property_name', property_name: name });
const values = (spec: unknown, doc: unknown) => compileIndicator(spec).evaluate(doc).value;

describe('indicators (§8)', () => {
  it('expression indicators coerce and store by datatype', () => {
    expect(
      values(
        { type: 'expression', column_id: 'n', datatype: 'integer', expression: prop('n') },
        { n: '61.9' },
      ),
    ).toEqual({ n: 61 });
    expect(
      values(
        { type: 'expression', column_id: 'd', datatype: 'decimal', expression: prop('d') },
        { d: ' 2.50 ' },
      ),
    ).toEqual({ d: '2.5' });
    expect(
      values({ type: 'expression', column_id: 'd', datatype: 'decimal', expression: prop('d') }, { d: 0.1 }),
    ).toEqual({ d: '0.1' });
    expect(
      values(
        { type: 'expression', column_id: 'd', datatype: 'date', expression: prop('d') },
        { d: '2023-3-4' },
      ),
    ).toEqual({ d: '2023-03-04' });
    expect(
      values(
        { type: 'expression', column_id: 'd', datatype: 'datetime', expression: prop('d') },
        { d: '2023-03-14T09:21:05.25Z' },
      ),
    ).toEqual({ d: '2023-03-14T09:21:05.250000' });
    expect(
      values({ type: 'expression', column_id: 's', datatype: 'string', expression: prop('s') }, { s: false }),
    ).toEqual({ s: 'False' });
    expect(
      values(
        { type: 'expression', column_id: 'a', datatype: 'array', expression: prop('a') },
        { a: [1, 'x'] },
      ),
    ).toEqual({ a: ['1', 'x'] });
    expect(
      values({ type: 'expression', column_id: 'a', datatype: 'array', expression: prop('a') }, {}),
    ).toEqual({ a: [null] });
  });
  it('expression indicators take literals', () => {
    expect(
      values({ type: 'expression', column_id: 'c', datatype: 'string', expression: 'fixed' }, {}),
    ).toEqual({ c: 'fixed' });
  });
  it('describes the column', () => {
    const indicator = compileIndicator({
      type: 'expression',
      column_id: 'c',
      datatype: 'integer',
      expression: 1,
      is_nullable: false,
      is_primary_key: true,
      create_index: true,
    });
    expect(indicator.columns).toEqual([
      { id: 'c', datatype: 'integer', nullable: false, primaryKey: true, createIndex: true },
    ]);
  });
  it('raw indicators read a property', () => {
    expect(
      values({ type: 'raw', column_id: 'r', datatype: 'integer', property_name: 'n' }, { n: '4' }),
    ).toEqual({ r: 4 });
    expect(
      values(
        { type: 'raw', column_id: 'r', datatype: 'string', property_path: ['a', 'b'] },
        { a: { b: 'x' } },
      ),
    ).toEqual({ r: 'x' });
  });
  it('boolean indicators are 0/1 integers, never null', () => {
    const spec = {
      type: 'boolean',
      column_id: 'b',
      filter: { type: 'boolean_expression', expression: prop('v'), operator: 'eq', property_value: 'yes' },
    };
    expect(values(spec, { v: 'yes' })).toEqual({ b: 1 });
    expect(values(spec, {})).toEqual({ b: 0 });
    expect(compileIndicator(spec).columns[0]).toMatchObject({ datatype: 'integer', nullable: false });
    expect(compileIndicator({ ...spec, type: 'small_boolean' }).columns[0]).toMatchObject({
      datatype: 'small_integer',
    });
  });
  it('count indicators are always 1', () => {
    expect(values({ type: 'count', column_id: 'count' }, {})).toEqual({ count: 1 });
  });
  it('choice_list makes one column per choice, literals converted', () => {
    const single = {
      type: 'choice_list',
      column_id: 'c',
      property_name: 'v',
      choices: ['a', 2, '2023-01-01'],
    };
    expect(values(single, { v: 2 })).toEqual({ c_a: 0, c_2: 1, 'c_2023-01-01': 0 });
    expect(values(single, { v: '2' })).toEqual({ c_a: 0, c_2: 0, 'c_2023-01-01': 0 });
    expect(values(single, { v: '2023-01-01' })).toEqual({ c_a: 0, c_2: 0, 'c_2023-01-01': 0 });
    const multiple = {
      type: 'choice_list',
      column_id: 'c',
      property_name: 'v',
      choices: ['a', 'b', 'c'],
      select_style: 'multiple',
    };
    expect(values(multiple, { v: 'a c' })).toEqual({ c_a: 1, c_b: 0, c_c: 1 });
  });
  it('ledger indicators use a ledger lookup and default to 0 / 1970-01-01', () => {
    const spec = {
      type: 'ledger_balances',
      column_id: 'soh',
      ledger_section: 'stock',
      product_codes: ['abc', 'def'],
      case_id_expression: prop('_id'),
    };
    expect(values(spec, { _id: 'c1' })).toEqual({ soh_abc: 0, soh_def: 0 });
    const lookups = { get: () => ({ stock: { abc: 12 } }) };
    expect(compileIndicator(spec).evaluate({ _id: 'c1' }, { lookups }).value).toEqual({
      soh_abc: 12,
      soh_def: 0,
    });
    expect(
      compileIndicator({ ...spec, type: 'due_list_date' }).evaluate({ _id: 'c1' }, { lookups }).value,
    ).toEqual({ soh_abc: '1970-01-13', soh_def: '1970-01-01' });
  });
  it('rejects unknown keys, missing datatype and unknown types', () => {
    expect(() =>
      compileIndicator({
        type: 'expression',
        column_id: 'c',
        datatype: 'string',
        expression: 1,
        colour: 'red',
      }),
    ).toThrow(/^colour: no such property/);
    expect(() => compileIndicator({ type: 'expression', column_id: 'c', expression: 1 })).toThrow(
      /^datatype: /,
    );
    expect(() => compileIndicator({ type: 'sum', column_id: 'c' })).toThrow(/^type: /);
    expect(() => compileIndicator({ type: 'count' })).toThrow(UcrConfigError);
  });
  it('truncates long column ids keeping the right part and a hash', () => {
    const long = `${'x'.repeat(60)}_column_end`;
    const id = truncateColumnId(long);
    expect(id).toHaveLength(63);
    expect(id.startsWith(long.slice(-54))).toBe(true);
    expect(truncateColumnId('short')).toBe('short');
  });
});

describe('stored value fast paths agree with the general coercion', () => {
  const decimal = {
    type: 'expression',
    column_id: 'd',
    datatype: 'decimal',
    expression: { type: 'property_name', property_name: 'v' },
  };
  it.each([
    ['007.50', '7.5'],
    ['-0.0', '0'],
    ['-1.25', '-1.25'],
    ['10', '10'],
    ['0.12345678901234567', '0.1234567890123457'],
    [' 2.5', '2.5'],
    ['1e3', '1000'],
    ['abc', null],
  ])('decimal %s is stored as %s', (value, expected) => {
    expect(compileIndicator(decimal).evaluate({ v: value }).value).toEqual({ d: expected });
  });
  const date = {
    type: 'expression',
    column_id: 'd',
    datatype: 'date',
    expression: { type: 'property_name', property_name: 'v' },
  };
  it.each([
    ['2024-02-29', '2024-02-29'],
    ['2023-02-29', null],
    ['0000-01-01', null],
    ['2023-3-4', '2023-03-04'],
    ['2023-03-04T10:00:00Z', '2023-03-04'],
  ])('date %s is stored as %s', (value, expected) => {
    expect(compileIndicator(date).evaluate({ v: value }).value).toEqual({ d: expected });
  });
});

describe('array and datetime storage', () => {
  it('stores arrays as text arrays of str() values', () => {
    const spec = {
      type: 'expression',
      column_id: 'a',
      datatype: 'array',
      expression: { type: 'property_name', property_name: 'a' },
    };
    expect(compileIndicator(spec).evaluate({ a: [1, 1.5, true, null, 'x'] }).value).toEqual({
      a: ['1', '1.5', 'True', null, 'x'],
    });
  });
  it('stores datetimes without a fraction when it is zero', () => {
    const spec = {
      type: 'expression',
      column_id: 't',
      datatype: 'datetime',
      expression: { type: 'property_name', property_name: 't' },
    };
    expect(compileIndicator(spec).evaluate({ t: '2023-03-14T09:21:05.000000Z' }).value).toEqual({
      t: '2023-03-14T09:21:05',
    });
    expect(compileIndicator(spec).evaluate({ t: '2023-03-14' }).value).toEqual({ t: '2023-03-14T00:00:00' });
  });
});
