import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileExport } from './compile-export.js';
import { ExportDate, MISSING_VALUE } from './export-cell.js';
import { parseExportInstance } from './export-instance.js';
import { mapLookups, noLookups } from './export-lookups.js';

const node = (name: string, is_repeat = false) => ({ name, is_repeat });
const column = (
  label: string,
  path: (string | [string, boolean])[],
  extra: Record<string, unknown> = {},
) => ({
  doc_type: 'ExportColumn',
  label,
  selected: true,
  item: {
    doc_type: 'ExportItem',
    path: path.map((p) => (typeof p === 'string' ? node(p) : node(...p))),
    ...((extra.item as object) ?? {}),
  },
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'item')),
});

const caseExport = (columns: unknown[], extra: Record<string, unknown> = {}) =>
  parseExportInstance(
    {
      doc_type: 'CaseExportInstance',
      _id: 'e1',
      domain: 'demo',
      name: 'Households',
      case_type: 'household',
      tables: [{ label: 'Cases', path: [], selected: true, columns }],
      ...extra,
    },
    'test.json',
  );

const householdDoc = {
  _id: 'c1',
  domain: 'demo',
  name: 'Okafor household',
  owner_id: 'u1',
  opened_by: 'u1',
  opened_on: '2026-10-01T08:30:00.000000Z',
  village: 'Bondo',
  household_size: '5',
  phone: '0712345678',
  closed: false,
  note: '=HYPERLINK("x")',
  indices: [{ referenced_type: 'household', referenced_id: 'h9' }],
};

describe('compileExport', () => {
  it('makes one row per case with CommCare values: numbers, dates, booleans and --- for missing', () => {
    const compiled = compileExport(
      caseExport([
        column('caseid', ['_id']),
        column('size', ['household_size']),
        column('phone', ['phone']),
        column('opened_on', ['opened_on']),
        column('closed', ['closed']),
        column('missing', ['nothing_here']),
      ]),
    );
    const [table] = compiled.tables;
    expect(table!.headers).toEqual(['caseid', 'size', 'phone', 'opened_on', 'closed', 'missing']);
    expect(table!.rows(householdDoc, 0, noLookups)).toEqual([
      ['c1', 5, '0712345678', new ExportDate(Date.parse('2026-10-01T08:30:00Z'), true), false, MISSING_VALUE],
    ]);
  });

  it('answers transforms from the batch of lookups and collects what they need', () => {
    const compiled = compileExport(
      caseExport([
        column('owner', ['owner_id'], { item: { transform: 'owner_id_transform' } }),
        column('opened_by', ['opened_by'], { item: { transform: 'username_transform' } }),
      ]),
    );
    const keys = compiled.lookupKeys([householdDoc]);
    expect([...keys.owners]).toEqual(['u1']);
    expect([...keys.users]).toEqual(['u1']);
    const lookups = mapLookups({
      usernames: new Map([['u1', 'chw1']]),
      ownerNames: new Map([['u1', 'chw1']]),
    });
    expect(compiled.tables[0]!.rows(householdDoc, 0, lookups)).toEqual([['chw1', 'chw1']]);
    // An id nobody knows stays the id, as CommCare's transforms return it.
    expect(compiled.tables[0]!.rows({ ...householdDoc, owner_id: 'g7' }, 0, lookups)[0]![0]).toBe('g7');
  });

  it('gives a repeat group its own table with the number column (document.iteration)', () => {
    const instance = parseExportInstance(
      {
        doc_type: 'FormExportInstance',
        _id: 'f1',
        domain: 'demo',
        name: 'Visits',
        xmlns: 'http://x',
        tables: [
          {
            label: 'Visits',
            path: [],
            selected: true,
            columns: [
              {
                doc_type: 'RowNumberColumn',
                label: 'number',
                selected: true,
                item: { path: [node('number')] },
              },
              column('formid', ['form', 'meta', 'instanceID']),
            ],
          },
          {
            label: 'Medications',
            path: [node('form'), node('meds'), node('med', true)],
            selected: true,
            columns: [
              {
                doc_type: 'RowNumberColumn',
                label: 'number',
                selected: true,
                repeat: 1,
                item: { path: [node('number')] },
              },
              column('name', ['form', 'meds', ['med', true], 'name']),
            ],
          },
        ],
      },
      'visits.json',
    );
    const compiled = compileExport(instance);
    const many = {
      _id: 'f-a',
      form: { meta: { instanceID: 'f-a' }, meds: { med: [{ name: 'ors' }, { name: 'zinc' }] } },
    };
    const one = { _id: 'f-b', form: { meta: { instanceID: 'f-b' }, meds: { med: { name: 'ors' } } } };
    const none = { _id: 'f-c', form: { meta: { instanceID: 'f-c' }, meds: '' } };
    const [visits, meds] = compiled.tables;
    expect(visits!.rows(many, 3, noLookups)).toEqual([['3', 'f-a']]);
    expect(meds!.headers).toEqual(['number', 'number__0', 'number__1', 'name']);
    expect(meds!.rows(many, 3, noLookups)).toEqual([
      ['3.0', 3, 0, 'ors'],
      ['3.1', 3, 1, 'zinc'],
    ]);
    expect(meds!.rows(one, 4, noLookups)).toEqual([['4.0', 4, 0, 'ors']]);
    expect(meds!.rows(none, 5, noLookups)).toEqual([]);
  });

  it('splits a multiple choice answer into one column per option plus extra', () => {
    const compiled = compileExport(
      caseExport(
        [
          column('symptoms', ['symptoms'], {
            doc_type: 'SplitExportColumn',
            item: { doc_type: 'MultipleChoiceItem', options: [{ value: 'fever' }, { value: 'cough' }] },
          }),
        ],
        { split_multiselects: true },
      ),
    );
    expect(compiled.tables[0]!.headers).toEqual(['symptoms | fever', 'symptoms | cough', 'symptoms | extra']);
    expect(compiled.tables[0]!.rows({ ...householdDoc, symptoms: 'cough rash' }, 0, noLookups)).toEqual([
      ['', 1, 'rash'],
    ]);
  });

  it('de-identifies ids stably and marks the header sensitive', () => {
    const compiled = compileExport(caseExport([column('caseid', ['_id'], { deid_transform: 'deid_id' })]));
    const [first] = compiled.tables[0]!.rows(householdDoc, 0, noLookups)[0]!;
    expect(compiled.tables[0]!.headers).toEqual(['caseid *sensitive*']);
    expect(first).toMatch(/^[0-9a-f]{12}$/);
    expect(compiled.tables[0]!.rows(householdDoc, 1, noLookups)[0]![0]).toBe(first);
    expect(first).not.toBe('c1');
  });

  it('lists the referenced ids of a case index column', () => {
    const compiled = compileExport(
      caseExport([column('parent', ['indices', 'household'], { doc_type: 'CaseIndexExportColumn' })]),
    );
    expect(compiled.tables[0]!.rows(householdDoc, 0, noLookups)).toEqual([['h9']]);
  });
});

describe('parseExportInstance', () => {
  it('refuses an unknown transform naming its JSON path', () => {
    expect(() =>
      caseExport([column('owner', ['owner_id'], { item: { transform: 'owner_to_name' } })]),
    ).toThrow(/test\.json: tables\[0\]\.columns\[0\]\.item\.transform: /);
  });

  it('refuses a column outside its table path', () => {
    expect(() =>
      parseExportInstance(
        {
          doc_type: 'FormExportInstance',
          _id: 'f',
          domain: 'd',
          name: 'n',
          xmlns: 'x',
          tables: [
            {
              label: 'R',
              path: [node('form'), node('r', true)],
              selected: true,
              columns: [column('a', ['form', 'q'])],
            },
          ],
        },
        'f.json',
      ),
    ).toThrow('f.json: tables[0].columns[0].item.path: a column of table "R" must start with');
  });

  it('refuses a document that is no export instance', () => {
    expect(() => parseExportInstance({ doc_type: 'ReportConfiguration' }, 'r.json')).toThrow(
      'r.json: doc_type: ',
    );
  });

  it('reads the shipped exports', () => {
    for (const file of ['household-cases.json', 'followup-visits.json']) {
      const url = new URL(`../../pipelines/exports/${file}`, import.meta.url);
      const instance = parseExportInstance(JSON.parse(readFileSync(url, 'utf8')), file);
      expect(compileExport(instance).tables.length).toBeGreaterThan(0);
    }
  });
});
