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
