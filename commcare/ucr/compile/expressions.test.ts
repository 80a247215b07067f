import { describe, expect, it } from 'vitest';
import { compileExpression } from '../compile-standalone.js';
import type { UcrLookups } from '../contract.js';
import { Decimal, PyFloat, UcrDate, UcrDateTime, kindOf } from '../values/kinds.js';
import { UcrConfigError } from './ucr-config-error.js';

const d = (s: string) => new Decimal(s);
const date = (y: number, m: number, day: number) => UcrDate.of(y, m, day)!;

function ev(
  spec: unknown,
  item: unknown = {},
  options: Parameters<ReturnType<typeof compileExpression>>[1] = {},
  named?: Record<string, unknown>,
): unknown {
  return compileExpression(spec, { namedExpressions: named })(item, options).value;
}

const prop = (name: string, datatype?: string) => ({
  type: 'property_name',
  property_name: name,
  ...(datatype ? { datatype } : {}),
});

describe('literals and constants', () => {
  it('treats non-objects in expression positions as constants after literal conversion', () => {
    expect(ev('hello')).toBe('hello');
    expect(ev(5)).toBe(5);
    expect(ev(null)).toBeNull();
    expect(ev([1, '2023-01-01'])).toEqual([1, date(2023, 1, 1)]);
    expect(ev('2023-01-01')).toEqual(date(2023, 1, 1));
  });
  it('converts constant values and ignores a datatype on constant', () => {
    expect(ev({ type: 'constant', constant: '2023-01-01' })).toEqual(date(2023, 1, 1));
    expect(ev({ type: 'constant', constant: '2023-03-14T09:21:05Z' })).toEqual(
      UcrDateTime.of(2023, 3, 14, 9, 21, 5, 0),
    );
    expect(kindOf(ev({ type: 'constant', constant: '61.5', datatype: 'string' }))).toBe('decimal');
    expect(ev({ type: 'constant', constant: null })).toBeNull();
  });
  it('requires the constant key', () => {
    expect(() => compileExpression({ type: 'constant' })).toThrow(/^constant: /);
  });
});

describe('property_name and property_path', () => {
  const doc = { a: '5', nested: { b: { c: 'deep' } }, list: [{ x: 1 }], constructor: 'own' };
  it('reads a property and applies its datatype', () => {
    expect(ev(prop('a'), doc)).toBe('5');
    expect(ev(prop('a', 'integer'), doc)).toBe(5);
    expect(ev(prop('missing'), doc)).toBeNull();
    expect(ev(prop('a'), 'not a dict')).toBeNull();
  });
  it('never reads inherited properties', () => {
    expect(ev(prop('toString'), doc)).toBeNull();
    expect(ev(prop('constructor'), doc)).toBe('own');
    expect(ev(prop('hasOwnProperty'), {})).toBeNull();
  });
  it('takes an expression as the property name', () => {
    expect(ev({ type: 'property_name', property_name: { type: 'constant', constant: 'a' } }, doc)).toBe('5');
  });
  it('walks paths but cannot index lists', () => {
    expect(ev({ type: 'property_path', property_path: ['nested', 'b', 'c'] }, doc)).toBe('deep');
    expect(ev({ type: 'property_path', property_path: ['nested', 'x', 'c'] }, doc)).toBeNull();
    expect(ev({ type: 'property_path', property_path: ['list', '0', 'x'] }, doc)).toBeNull();
  });
  it('rejects an empty path', () => {
    expect(() => compileExpression({ type: 'property_path', property_path: [] })).toThrow(UcrConfigError);
  });
});

describe('jsonpath', () => {
  const doc = { form: { kids: [{ name: 'A' }, { name: 'B' }], one: { name: 'C' } } };
  it('returns None, the value or a list by the number of matches', () => {
    expect(ev({ type: 'jsonpath', jsonpath: 'form.missing' }, doc)).toBeNull();
    expect(ev({ type: 'jsonpath', jsonpath: '$.form.one.name' }, doc)).toBe('C');
    expect(ev({ type: 'jsonpath', jsonpath: 'form.kids[*].name' }, doc)).toEqual(['A', 'B']);
    expect(ev({ type: 'jsonpath', jsonpath: 'form.kids[1].name' }, doc)).toBe('B');
    expect(ev({ type: 'jsonpath', jsonpath: '$..name' }, doc)).toEqual(['A', 'B', 'C']);
  });
  it('applies the datatype per match', () => {
    expect(ev({ type: 'jsonpath', jsonpath: 'a[*]', datatype: 'integer' }, { a: ['1', 'x'] })).toEqual([
      1,
      null,
    ]);
  });
});

describe('conditional, switch, coalesce', () => {
  const isA = { type: 'boolean_expression', expression: prop('v'), operator: 'eq', property_value: 'a' };
  it('evaluates only the chosen branch', () => {
    const spec = { type: 'conditional', test: isA, expression_if_true: 'yes', expression_if_false: 'no' };
    expect(ev(spec, { v: 'a' })).toBe('yes');
    expect(ev(spec, { v: 'b' })).toBe('no');
  });
  it('matches switch keys as strings only', () => {
    const spec = { type: 'switch', switch_on: prop('v'), cases: { '1': 'one', a: 'A' }, default: 'other' };
    expect(ev(spec, { v: 'a' })).toBe('A');
    expect(ev(spec, { v: '1' })).toBe('one');
    expect(ev(spec, { v: 1 })).toBe('other');
  });
  it('coalesces None and empty string but keeps 0, false and []', () => {
    const spec = (v: unknown) => ({
      type: 'coalesce',
      expression: { type: 'constant', constant: v },
      default_expression: 'dflt',
    });
    expect(ev(spec(null))).toBe('dflt');
    expect(ev(spec(''))).toBe('dflt');
    expect(ev(spec(0))).toBe(0);
    expect(ev(spec(false))).toBe(false);
    expect(ev(spec([]))).toEqual([]);
  });
});

describe('array_index, split_string, iterator, nested, dict', () => {
  it('indexes arrays with ints and bools, negatives from the end', () => {
    const at = (i: unknown) => ({ type: 'array_index', array_expression: prop('l'), index_expression: i });
    expect(ev(at(0), { l: ['a', 'b'] })).toBe('a');
    expect(ev(at(-1), { l: ['a', 'b'] })).toBe('b');
    expect(ev(at(true), { l: ['a', 'b'] })).toBe('b');
    expect(ev(at(5), { l: ['a', 'b'] })).toBeNull();
    expect(ev(at('0'), { l: ['a', 'b'] })).toBeNull();
    expect(ev(at(0), { l: 'ab' })).toBeNull();
  });
  it('splits on whitespace runs without a delimiter and keeps empty fields with one', () => {
    expect(ev({ type: 'split_string', string_expression: '  a  b c ' })).toEqual(['a', 'b', 'c']);
    expect(ev({ type: 'split_string', string_expression: 'a  b', delimiter: ' ' })).toEqual(['a', '', 'b']);
    expect(ev({ type: 'split_string', string_expression: 'a b c', index_expression: -1 })).toBe('c');
    expect(ev({ type: 'split_string', string_expression: 'a b c', index_expression: 9 })).toBeNull();
    expect(ev({ type: 'split_string', string_expression: 5 })).toBeNull();
  });
  it('iterates with an optional test', () => {
    expect(ev({ type: 'iterator', expressions: [prop('a'), prop('b'), prop('c')] }, { a: 1, c: 3 })).toEqual([
      1,
      null,
      3,
    ]);
    const test = {
      type: 'boolean_expression',
      expression: { type: 'identity' },
      operator: 'not_eq',
      property_value: null,
    };
    expect(
      ev({ type: 'iterator', expressions: [prop('a'), prop('b'), prop('c')], test }, { a: 1, c: 3 }),
    ).toEqual([1, 3]);
  });
  it('nests and builds dicts', () => {
    expect(
      ev({ type: 'nested', argument_expression: prop('o'), value_expression: prop('x') }, { o: { x: 7 } }),
    ).toBe(7);
    expect(ev({ type: 'dict', properties: { k: prop('a'), c: 1 } }, { a: 'v' })).toEqual({ k: 'v', c: 1 });
    expect(() => compileExpression({ type: 'dict', properties: {} })).toThrow(UcrConfigError);
  });
});

describe('root_doc, base_iteration_number, named', () => {
  it('reads the root document and the iteration', () => {
    expect(ev({ type: 'root_doc', expression: prop('r') }, { r: 'item' }, { rootDoc: { r: 'root' } })).toBe(
      'root',
    );
    expect(ev({ type: 'base_iteration_number' }, {}, { iteration: 3 })).toBe(3);
  });
  it('resolves named expressions, chained', () => {
    const named = { a: prop('x'), b: { type: 'named', name: 'a' } };
    expect(ev({ type: 'named', name: 'b' }, { x: 9 }, {}, named)).toBe(9);
  });
  it('rejects unknown names and cycles', () => {
    expect(() => compileExpression({ type: 'named', name: 'nope' })).toThrow(/^name: /);
    const cyclic = { a: { type: 'named', name: 'b' }, b: { type: 'named', name: 'a' } };
    expect(() => compileExpression({ type: 'named', name: 'a' }, { namedExpressions: cyclic })).toThrow(
      /cycle/,
    );
  });
});

describe('date expressions', () => {
  it('adds days (result a date, count via integer coercion)', () => {
    expect(ev({ type: 'add_days', date_expression: '2023-01-30', count_expression: '7' })).toEqual(
      date(2023, 2, 6),
    );
    expect(
      ev({
        type: 'add_days',
        date_expression: { type: 'constant', constant: '2023-01-30T10:00:00Z' },
        count_expression: 7.9,
      }),
    ).toEqual(date(2023, 2, 6));
    expect(ev({ type: 'add_days', date_expression: prop('missing'), count_expression: 1 })).toBeNull();
  });
  it('adds months clamping to the month end', () => {
    expect(ev({ type: 'add_months', date_expression: '2023-01-31', months_expression: 1 })).toEqual(
      date(2023, 2, 28),
    );
    expect(ev({ type: 'add_months', date_expression: '2024-01-31', months_expression: 1 })).toEqual(
      date(2024, 2, 29),
    );
    expect(ev({ type: 'add_months', date_expression: '2024-03-15', months_expression: -3 })).toEqual(
      date(2023, 12, 15),
    );
  });
  it('finds month starts and ends and differences in days', () => {
    expect(ev({ type: 'month_start_date', date_expression: '2023-02-14' })).toEqual(date(2023, 2, 1));
    expect(ev({ type: 'month_end_date', date_expression: '2024-02-14' })).toEqual(date(2024, 2, 29));
    expect(
      ev({ type: 'diff_days', from_date_expression: '2023-03-01', to_date_expression: '2023-02-01' }),
    ).toBe(-28);
    expect(
      ev({
        type: 'diff_days',
        from_date_expression: { type: 'constant', constant: '2023-03-01T23:00:00Z' },
        to_date_expression: '2023-03-02',
      }),
    ).toBe(1);
  });
  it('adds hours to a datetime', () => {
    expect(
      ev({
        type: 'add_hours',
        date_expression: { type: 'constant', constant: '2023-03-01T23:00:00Z' },
        count_expression: 2,
      }),
    ).toEqual(UcrDateTime.of(2023, 3, 2, 1, 0, 0, 0));
  });
});

describe('list expressions', () => {
  const items = { l: [{ v: 3 }, { v: null }, { v: 1 }, { v: 2 }] };
  it('treats anything but a list as no items', () => {
    expect(
      ev({ type: 'reduce_items', items_expression: prop('l'), aggregation_fn: 'count' }, { l: { v: 1 } }),
    ).toBe(0);
    expect(
      ev(
        { type: 'reduce_items', items_expression: prop('l', 'array'), aggregation_fn: 'count' },
        { l: { v: 1 } },
      ),
    ).toBe(1);
    expect(
      ev({ type: 'reduce_items', items_expression: prop('l', 'array'), aggregation_fn: 'count' }, {}),
    ).toBe(1);
  });
  it('filters and maps relative to each item', () => {
    const filter = { type: 'boolean_expression', expression: prop('v'), operator: 'gt', property_value: 1 };
    expect(
      ev({ type: 'filter_items', items_expression: prop('l'), filter_expression: filter }, items),
    ).toEqual([{ v: 3 }, { v: 2 }]);
    expect(ev({ type: 'map_items', items_expression: prop('l'), map_expression: prop('v') }, items)).toEqual([
      3,
      null,
      1,
      2,
    ]);
  });
  it('sorts with None first ascending and last descending, stably', () => {
    expect(
      ev({ type: 'sort_items', items_expression: prop('l'), sort_expression: prop('v') }, items),
    ).toEqual([{ v: null }, { v: 1 }, { v: 2 }, { v: 3 }]);
    expect(
      ev(
        { type: 'sort_items', items_expression: prop('l'), sort_expression: prop('v'), order: 'DESC' },
        items,
      ),
    ).toEqual([{ v: 3 }, { v: 2 }, { v: 1 }, { v: null }]);
    expect(
      ev({ type: 'sort_items', items_expression: [1, 'a'], sort_expression: { type: 'identity' } }),
    ).toEqual([]);
    expect(() =>
      compileExpression({ type: 'sort_items', items_expression: [], sort_expression: 1, order: 'UP' }),
    ).toThrow(/order/);
  });
  it('reduces with Python semantics', () => {
    const reduce = (fn: string, list: unknown) =>
      ev({
        type: 'reduce_items',
        items_expression: { type: 'constant', constant: list },
        aggregation_fn: fn,
      });
    expect(reduce('sum', [1, 2, 3])).toBe(6);
    expect(reduce('sum', [])).toBe(0);
    expect(reduce('sum', [1, '2'])).toBeNull();
    expect(reduce('sum', [1, null])).toBeNull();
    expect(reduce('sum', ['1.5', 1])).toEqual(d('2.5'));
    expect(reduce('sum', ['1.5', 0.5])).toBeNull();
    expect(kindOf(reduce('sum', [1, 0.5]))).toBe('float');
    expect(reduce('min', [3, 1, 2])).toBe(1);
    expect(reduce('max', ['b', 'a'])).toBe('b');
    expect(reduce('max', [1, 'a'])).toBeNull();
    expect(reduce('min', [])).toBeNull();
    expect(reduce('first_item', [])).toBeNull();
    expect(reduce('last_item', [1, 2])).toBe(2);
    expect(reduce('join', ['a', null, 1, true])).toBe('a1True');
    expect(() =>
      compileExpression({ type: 'reduce_items', items_expression: [], aggregation_fn: 'avg' }),
    ).toThrow(/aggregation_fn/);
  });
  it('flattens lists of lists and gives [] when an element is not a list', () => {
    expect(ev({ type: 'flatten', items_expression: { type: 'constant', constant: [[1], [2, 3]] } })).toEqual([
      1, 2, 3,
    ]);
    expect(ev({ type: 'flatten', items_expression: { type: 'constant', constant: [[1], 2] } })).toEqual([]);
  });
});

describe('live-data expressions through lookups', () => {
  const root = {
    _id: 'c1',
    domain: 'demo',
    indices: [{ identifier: 'parent', referenced_id: 'h1', referenced_type: 'household' }],
  };
  const docs: Record<string, unknown> = {
    h1: { _id: 'h1', domain: 'demo', village: 'Kasese' },
    x1: { _id: 'x1', domain: 'other', village: 'Elsewhere' },
  };
  const lookups: UcrLookups = {
    get: (key) => (key.id in docs ? docs[key.id] : key.id === 'unknown' ? undefined : null),
  };
  const related = (id: unknown, value: unknown) => ({
    type: 'related_doc',
    related_doc_type: 'CommCareCase',
    doc_id_expression: id,
    value_expression: value,
  });

  it('fetches a related doc and evaluates with it as root', () => {
    const result = compileExpression(related('h1', { type: 'root_doc', expression: prop('village') }))(root, {
      lookups,
    });
    expect(result).toEqual({ value: 'Kasese', missing: [] });
  });
  it('treats a doc of another domain as missing but still evaluates the value expression', () => {
    expect(ev(related('x1', prop('village')), root, { lookups })).toBeNull();
    expect(ev(related('x1', 'const'), root, { lookups })).toBe('const');
  });
  it('does not look up a falsy id', () => {
    expect(ev(related('', 'const'), root, { lookups })).toBeNull();
  });
  it('records lookups that are not loaded yet', () => {
    const result = compileExpression(related('unknown', prop('v')))(root, { lookups });
    expect(result.missing).toEqual([{ kind: 'case', id: 'unknown', domain: 'demo' }]);
  });
  it('follows a case index', () => {
    expect(
      ev(
        {
          type: 'nested',
          argument_expression: { type: 'indexed_case', case_expression: { type: 'identity' } },
          value_expression: prop('village'),
        },
        root,
        { lookups },
      ),
    ).toBe('Kasese');
  });
  it('asks for subcases, case forms and groups by kind', () => {
    const seen: string[] = [];
    const recording: UcrLookups = {
      get: (key) => (
        seen.push(`${key.kind}:${key.id}`),
        [
          { domain: 'demo', xmlns: 'a' },
          { domain: 'demo', xmlns: 'b' },
        ]
      ),
    };
    expect(ev({ type: 'get_subcases', case_id_expression: 'c1' }, root, { lookups: recording })).toHaveLength(
      2,
    );
    expect(
      ev({ type: 'get_case_forms', case_id_expression: 'c1', xmlns: ['b'] }, root, { lookups: recording }),
    ).toEqual([{ domain: 'demo', xmlns: 'b' }]);
    expect(
      ev({ type: 'get_reporting_groups', user_id_expression: 'u1' }, root, { lookups: recording }),
    ).toHaveLength(2);
    expect(seen).toEqual(['subcases:c1', 'case_forms:c1', 'reporting_groups:u1']);
  });
});

describe('configuration errors', () => {
  it('names the path of an unknown type', () => {
    expect(() =>
      compileExpression(
        { type: 'nested', argument_expression: { type: 'nope' }, value_expression: 1 },
        { path: 'x' },
      ),
    ).toThrow(/^x\.argument_expression\.type: a known expression type/);
  });
  it('names a missing required field', () => {
    expect(() => compileExpression({ type: 'conditional', test: { type: 'not', filter: {} } })).toThrow(
      UcrConfigError,
    );
    expect(() => compileExpression({ type: 'switch', switch_on: 1, cases: {} })).toThrow(/^default: /);
  });
  it('rejects a bad datatype', () => {
    expect(() =>
      compileExpression({ type: 'property_name', property_name: 'a', datatype: 'number' }),
    ).toThrow(/^datatype: /);
  });
});

describe('utcnow', () => {
  it('is a datetime', () => {
    expect(ev({ type: 'utcnow' })).toBeInstanceOf(UcrDateTime);
    expect(ev(new PyFloat(1))).toBeInstanceOf(PyFloat);
  });
});

describe('location expressions', () => {
  const locations: Record<string, unknown> = {
    l1: { domain: 'demo', location_type: 'village', parent_location_id: 'l2' },
    l2: { domain: 'demo', location_type: 'district', parent_location_id: null },
  };
  const lookups: UcrLookups = {
    get: (key) => (key.kind === 'ancestor_locations' ? [locations.l2] : (locations[key.id] ?? null)),
  };
  const root = { domain: 'demo', loc: 'l1' };
  it('reads a location type name and parent id', () => {
    expect(ev({ type: 'location_type_name', location_id_expression: prop('loc') }, root, { lookups })).toBe(
      'village',
    );
    expect(ev({ type: 'location_parent_id', location_id_expression: prop('loc') }, root, { lookups })).toBe(
      'l2',
    );
    expect(ev({ type: 'location_parent_id', location_id_expression: '' }, root, { lookups })).toBeNull();
  });
  it('finds the ancestor of a type', () => {
    expect(
      ev({ type: 'ancestor_location', location_id: prop('loc'), location_type: 'district' }, root, {
        lookups,
      }),
    ).toEqual(locations.l2);
    expect(
      ev({ type: 'ancestor_location', location_id: prop('loc'), location_type: 'country' }, root, {
        lookups,
      }),
    ).toBeNull();
  });
  it('returns [] for groups of a missing user id', () => {
    expect(
      ev({ type: 'get_case_sharing_groups', user_id_expression: prop('nobody') }, root, { lookups }),
    ).toEqual([]);
  });
});

describe('more §13 edge cases', () => {
  it('switch keys are never converted: a date value does not match a date-like key', () => {
    const spec = {
      type: 'switch',
      switch_on: prop('d', 'date'),
      cases: { '2023-01-01': 'hit' },
      default: 'miss',
    };
    expect(ev(spec, { d: '2023-01-01' })).toBe('miss');
    expect(ev({ ...spec, switch_on: prop('d') }, { d: '2023-01-01' })).toBe('hit');
  });
  it('a string datatype on a datetime prints a space and on a Decimal its digits', () => {
    expect(ev(prop('t', 'string'), { t: { type: 'x' } })).toBe("{'type': 'x'}");
    expect(
      ev({ type: 'evaluator', statement: 'str(a)', context_variables: { a: '2023-03-14T09:21:05Z' } }),
    ).toBe('2023-03-14 09:21:05');
    expect(ev({ type: 'evaluator', statement: 'str(a)', context_variables: { a: '1.50' } })).toBe('1.5');
  });
  it('integer truncates toward zero through float and keeps None for junk', () => {
    expect(ev(prop('n', 'integer'), { n: '-7.9' })).toBe(-7);
    expect(ev(prop('n', 'integer'), { n: '4o' })).toBeNull();
    expect(ev(prop('n', 'small_integer'), { n: ' 12 ' })).toBe(12);
  });
});

describe('named expression cache', () => {
  it('evaluates a named expression once per item and iteration', () => {
    let calls = 0;
    const lookups = { get: () => (calls++, { domain: 'd', v: calls }) };
    const named = {
      rel: {
        type: 'related_doc',
        related_doc_type: 'CommCareCase',
        doc_id_expression: 'x',
        value_expression: prop('v'),
      },
    };
    const spec = {
      type: 'iterator',
      expressions: [
        { type: 'named', name: 'rel' },
        { type: 'named', name: 'rel' },
      ],
    };
    expect(compileExpression(spec, { namedExpressions: named })({ domain: 'd' }, { lookups }).value).toEqual([
      1, 1,
    ]);
    expect(calls).toBe(1);
  });
});
