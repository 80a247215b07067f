import { describe, expect, it } from 'vitest';
import { compileDataSource } from './compile-data-source.js';
import { UcrConfigError } from './compile/ucr-config-error.js';

const noLookups = { get: () => null };

const childRows = {
  domain: 'demo-health',
  referenced_doc_type: 'XFormInstance',
  table_id: 'child_rows',
  configured_filter: {
    type: 'boolean_expression',
    operator: 'eq',
    expression: { type: 'property_name', property_name: 'xmlns' },
    property_value: 'http://openrosa.org/formdesigner/ANC-VISIT-7F3A',
  },
  base_item_expression: { type: 'property_path', property_path: ['form', 'child_repeat'] },
  configured_indicators: [
    {
      type: 'expression',
      column_id: 'child_name',
      datatype: 'string',
      expression: { type: 'property_name', property_name: 'child_name' },
    },
    {
      type: 'expression',
      column_id: 'age_months',
      datatype: 'integer',
      expression: { type: 'property_name', property_name: 'age_months' },
    },
    {
      type: 'expression',
      column_id: 'user_id',
      datatype: 'string',
      expression: {
        type: 'root_doc',
        expression: { type: 'property_path', property_path: ['form', 'meta', 'userID'] },
      },
    },
  ],
};

function form(children: unknown, overrides: Record<string, unknown> = {}) {
  return {
    _id: 'f-1',
    domain: 'demo-health',
    doc_type: 'XFormInstance',
    xmlns: 'http://openrosa.org/formdesigner/ANC-VISIT-7F3A',
    form: { meta: { userID: 'u-42' }, child_repeat: children },
    ...overrides,
  };
}

describe('compileDataSource', () => {
  it('produces one row per repeat entry as in the reference worked example', () => {
    const ds = compileDataSource(childRows);
    expect(ds.columns.map((c) => c.id)).toEqual([
      'doc_id',
      'inserted_at',
      'repeat_iteration',
      'child_name',
      'age_months',
      'user_id',
    ]);
    expect(ds.primaryKey).toEqual(['doc_id', 'repeat_iteration']);
    const result = ds.evaluate(
      form([
        { child_name: 'Asha', age_months: '14' },
        { child_name: 'Baraka', age_months: '4o' },
      ]),
      noLookups,
    );
    expect(result).toEqual({
      status: 'rows',
      matched: true,
      rows: [
        { doc_id: 'f-1', repeat_iteration: 0, child_name: 'Asha', age_months: 14, user_id: 'u-42' },
        { doc_id: 'f-1', repeat_iteration: 1, child_name: 'Baraka', age_months: null, user_id: 'u-42' },
      ],
    });
  });

  it('does not match archived forms or another domain', () => {
    const ds = compileDataSource(childRows);
    expect(ds.evaluate(form([], { doc_type: 'XFormArchived' }), noLookups)).toEqual({
      status: 'rows',
      matched: false,
      rows: [],
    });
    expect(ds.evaluate(form([], { domain: 'other' }), noLookups)).toEqual({
      status: 'rows',
      matched: false,
      rows: [],
    });
  });

  it('rejects an unknown expression type with its JSON path', () => {
    const bad = structuredClone(childRows);
    (bad.configured_indicators[1]!.expression as { type: string }).type = 'propery_name';
    expect(() => compileDataSource(bad)).toThrow(UcrConfigError);
    expect(() => compileDataSource(bad)).toThrow(/^configured_indicators\[1\]\.expression\.type: /);
  });
});

describe('compileDataSource: items, named, validations, errors', () => {
  const base = { domain: 'd', referenced_doc_type: 'CommCareCase', table_id: 't' };
  const doc = (extra: Record<string, unknown> = {}) => ({
    _id: 'c1',
    domain: 'd',
    doc_type: 'CommCareCase',
    ...extra,
  });
  const col = (id: string, expression: unknown, datatype = 'string') => ({
    type: 'expression',
    column_id: id,
    datatype,
    expression,
  });

  it('makes one row from a dict base item and none from a missing one', () => {
    const ds = compileDataSource({
      ...base,
      base_item_expression: { type: 'property_name', property_name: 'r' },
      configured_indicators: [col('v', { type: 'property_name', property_name: 'v' })],
    });
    expect(ds.evaluate(doc({ r: { v: 'x' } }), noLookups)).toEqual({
      status: 'rows',
      matched: true,
      rows: [{ doc_id: 'c1', repeat_iteration: 0, v: 'x' }],
    });
    expect(ds.evaluate(doc(), noLookups)).toEqual({ status: 'rows', matched: true, rows: [] });
  });

  it('counts repeat_iteration over emitted items only (iterator with a test)', () => {
    const notNull = {
      type: 'boolean_expression',
      expression: { type: 'identity' },
      operator: 'not_eq',
      property_value: null,
    };
    const ds = compileDataSource({
      ...base,
      base_item_expression: {
        type: 'iterator',
        expressions: [
          { type: 'property_name', property_name: 'a' },
          { type: 'property_name', property_name: 'b' },
          { type: 'property_name', property_name: 'c' },
        ],
        test: notNull,
      },
      configured_indicators: [
        col('v', { type: 'identity' }),
        col('i', { type: 'base_iteration_number' }, 'integer'),
      ],
    });
    const result = ds.evaluate(doc({ a: 'A', c: 'C' }), noLookups);
    expect(result).toEqual({
      status: 'rows',
      matched: true,
      rows: [
        { doc_id: 'c1', repeat_iteration: 0, v: 'A', i: 0 },
        { doc_id: 'c1', repeat_iteration: 1, v: 'C', i: 1 },
      ],
    });
  });

  it('lets indicators use named expressions and named filters', () => {
    const ds = compileDataSource({
      ...base,
      named_expressions: { kind: { type: 'property_name', property_name: 'kind' } },
      named_filters: {
        is_big: {
          type: 'boolean_expression',
          expression: { type: 'named', name: 'kind' },
          operator: 'eq',
          property_value: 'big',
        },
      },
      configured_filter: { type: 'named', name: 'is_big' },
      configured_indicators: [col('kind', { type: 'named', name: 'kind' })],
    });
    expect(ds.evaluate(doc({ kind: 'big' }), noLookups)).toMatchObject({
      matched: true,
      rows: [{ kind: 'big' }],
    });
    expect(ds.evaluate(doc({ kind: 'small' }), noLookups)).toMatchObject({ matched: false, rows: [] });
  });

  it('reports a document failing a validation as not matched', () => {
    const ds = compileDataSource({
      ...base,
      validations: [
        {
          name: 'has_name',
          error_message: 'no name',
          expression: {
            type: 'boolean_expression',
            expression: { type: 'property_name', property_name: 'name' },
            operator: 'not_eq',
            property_value: null,
          },
        },
      ],
      configured_indicators: [col('name', { type: 'property_name', property_name: 'name' })],
    });
    expect(ds.evaluate(doc({ name: 'n' }), noLookups)).toMatchObject({ matched: true });
    expect(ds.evaluate(doc(), noLookups)).toEqual({ status: 'rows', matched: false, rows: [] });
  });

  it('returns the missing lookups instead of rows when a related doc is not loaded', () => {
    const ds = compileDataSource({
      ...base,
      configured_indicators: [
        col('p', {
          type: 'related_doc',
          related_doc_type: 'CommCareCase',
          doc_id_expression: { type: 'property_name', property_name: 'parent' },
          value_expression: { type: 'property_name', property_name: 'name' },
        }),
      ],
    });
    const empty = { get: () => undefined };
    expect(ds.evaluate(doc({ parent: 'p1' }), empty)).toEqual({
      status: 'missing',
      missing: [{ kind: 'case', id: 'p1', domain: 'd' }],
    });
    const loaded = { get: () => ({ domain: 'd', name: 'Parent' }) };
    expect(ds.evaluate(doc({ parent: 'p1' }), loaded)).toMatchObject({
      status: 'rows',
      rows: [{ p: 'Parent' }],
    });
  });

  it('never throws for data problems', () => {
    const ds = compileDataSource({
      ...base,
      configured_indicators: [
        col('n', { type: 'property_name', property_name: 'n' }, 'integer'),
        col('e', { type: 'evaluator', statement: 'n / 0' }, 'decimal'),
      ],
    });
    expect(ds.evaluate(doc({ n: { weird: [1] } }), noLookups)).toMatchObject({
      rows: [{ n: null, e: null }],
    });
    expect(ds.evaluate(null, noLookups)).toMatchObject({ matched: false });
  });

  it('rejects duplicate column ids, including the default ones', () => {
    expect(() => compileDataSource({ ...base, configured_indicators: [col('a', 1), col('a', 2)] })).toThrow(
      /^configured_indicators\[1\]\.column_id: /,
    );
    expect(() => compileDataSource({ ...base, configured_indicators: [col('doc_id', 1)] })).toThrow(
      /^configured_indicators\[0\]\.column_id: /,
    );
  });

  it('checks sql_settings.primary_key against the flagged columns and reorders', () => {
    const indicators = [{ ...col('k', 1), is_primary_key: true }];
    const ds = compileDataSource({
      ...base,
      configured_indicators: indicators,
      sql_settings: { primary_key: ['k', 'doc_id'] },
    });
    expect(ds.primaryKey).toEqual(['k', 'doc_id']);
    expect(() =>
      compileDataSource({
        ...base,
        configured_indicators: indicators,
        sql_settings: { primary_key: ['doc_id'] },
      }),
    ).toThrow(/^sql_settings\.primary_key: /);
  });

  it('drops indexes naming unknown columns', () => {
    const ds = compileDataSource({
      ...base,
      configured_indicators: [col('a', 1)],
      sql_column_indexes: [{ column_ids: ['a', 'doc_id'] }, { column_ids: ['zz'] }],
    });
    expect(ds.indexes).toEqual([['a', 'doc_id']]);
  });

  it('rejects a bad referenced_doc_type, a missing domain and a cycle among named expressions', () => {
    expect(() => compileDataSource({ ...base, referenced_doc_type: 'Case' })).toThrow(
      /^referenced_doc_type: /,
    );
    expect(() => compileDataSource({ referenced_doc_type: 'CommCareCase', table_id: 't' })).toThrow(
      /^domain: /,
    );
    expect(() =>
      compileDataSource({
        ...base,
        named_expressions: { a: { type: 'named', name: 'b' }, b: { type: 'named', name: 'a' } },
      }),
    ).toThrow(/cycle/);
    expect(() => compileDataSource({ ...base, named_expressions: { a: { type: 'bogus' } } })).toThrow(
      /^named_expressions\.a\.type: /,
    );
    expect(() =>
      compileDataSource({ ...base, configured_filter: { type: 'not', filter: [] } }, { path: 'ds.json' }),
    ).toThrow(/^ds\.json\.configured_filter\.filter: /);
  });

  it('hashes the definition but not labels', () => {
    const a = compileDataSource({
      ...base,
      display_name: 'A',
      configured_indicators: [{ ...col('a', 1), display_name: 'x' }],
    });
    const b = compileDataSource({
      ...base,
      display_name: 'B',
      configured_indicators: [{ ...col('a', 1), display_name: 'y' }],
    });
    const c = compileDataSource({ ...base, configured_indicators: [col('a', 2)] });
    expect(a.definitionHash).toBe(b.definitionHash);
    expect(a.definitionHash).not.toBe(c.definitionHash);
    expect(a.definitionHash).toMatch(/^[0-9a-f]{40}$/);
  });
});
