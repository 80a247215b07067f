import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileDataSource } from './compile-data-source.js';

function load(name: string) {
  return compileDataSource(
    JSON.parse(readFileSync(new URL(`../../pipelines/ucr/${name}`, import.meta.url), 'utf8')),
    { path: name },
  );
}

const noLookups = { get: () => null };

const household = {
  _id: 'h1',
  doc_type: 'CommCareCase',
  domain: 'demo',
  type: 'household',
  name: 'Kasese household 1',
  owner_id: 'u1',
  opened_on: '2026-11-01T08:00:00.000000Z',
  closed: false,
  village: 'Kasese',
  household_size: '5',
  head_name: 'Amina',
};

const followup = {
  _id: 'f1',
  doc_type: 'XFormInstance',
  domain: 'demo',
  xmlns: 'http://tributary.dev/demo/followup-visit',
  form: {
    visit_date: '2026-11-20',
    temperature: '37.5',
    case: { '@case_id': 'm1' },
    meta: { userID: 'u1' },
    medications: {
      medication: [
        { name: 'Amoxicillin', dose_mg: '250', taken: 'yes' },
        { name: 'Paracetamol', dose_mg: '500.5', taken: 'no' },
      ],
    },
  },
};

describe('shipped data sources', () => {
  it('household_register has the agreed columns and values', () => {
    const ds = load('household-register.json');
    expect(ds.tableId).toBe('household_register');
    expect(ds.columns.map((c) => [c.id, c.datatype])).toEqual([
      ['doc_id', 'string'],
      ['inserted_at', 'datetime'],
      ['name', 'string'],
      ['village', 'string'],
      ['household_size', 'integer'],
      ['head_name', 'string'],
      ['owner_id', 'string'],
      ['opened_on', 'date'],
      ['closed', 'integer'],
    ]);
    expect(ds.evaluate(household, noLookups)).toEqual({
      status: 'rows',
      matched: true,
      rows: [
        {
          doc_id: 'h1',
          name: 'Kasese household 1',
          village: 'Kasese',
          household_size: 5,
          head_name: 'Amina',
          owner_id: 'u1',
          opened_on: '2026-11-01',
          closed: 0,
        },
      ],
    });
    expect(ds.evaluate({ ...household, type: 'member' }, noLookups)).toMatchObject({ matched: false });
  });

  it('visit_medications makes one row per medication', () => {
    const ds = load('visit-medications.json');
    expect(ds.primaryKey).toEqual(['doc_id', 'repeat_iteration']);
    expect(ds.evaluate(followup, noLookups)).toEqual({
      status: 'rows',
      matched: true,
      rows: [
        {
          doc_id: 'f1',
          repeat_iteration: 0,
          medication_name: 'Amoxicillin',
          dose_mg: '250',
          taken: 1,
          visit_date: '2026-11-20',
          member_case_id: 'm1',
          user_id: 'u1',
        },
        {
          doc_id: 'f1',
          repeat_iteration: 1,
          medication_name: 'Paracetamol',
          dose_mg: '500.5',
          taken: 0,
          visit_date: '2026-11-20',
          member_case_id: 'm1',
          user_id: 'u1',
        },
      ],
    });
  });

  it('visit_medications makes one row from a single medication (a dict) and none without', () => {
    const ds = load('visit-medications.json');
    const single = {
      ...followup,
      form: { ...followup.form, medications: { medication: { name: 'Zinc', dose_mg: '20', taken: 'yes' } } },
    };
    expect(ds.evaluate(single, noLookups)).toMatchObject({
      rows: [{ medication_name: 'Zinc', repeat_iteration: 0 }],
    });
    const none = { ...followup, form: { ...followup.form, medications: {} } };
    expect(ds.evaluate(none, noLookups)).toEqual({ status: 'rows', matched: true, rows: [] });
  });

  it('open_cases_by_owner keeps open cases only', () => {
    const ds = load('open-cases-by-owner.json');
    expect(ds.evaluate(household, noLookups)).toEqual({
      status: 'rows',
      matched: true,
      rows: [
        {
          doc_id: 'h1',
          owner_id: 'u1',
          case_type: 'household',
          closed: 0,
          opened_on: '2026-11-01',
          count: 1,
        },
      ],
    });
    expect(ds.evaluate({ ...household, closed: true }, noLookups)).toMatchObject({ matched: false });
    expect(ds.indexes).toEqual([['owner_id', 'case_type']]);
  });
});
