import { afterAll, describe, expect, it } from 'vitest';
import { ucrQualified, ucrVersionsSchema } from '../../commcare/ucr/ucr-table-names.js';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, testDatabase } from '../support/pipeline-fixtures.js';
import {
  caseEvent,
  catalogOf,
  configFolder,
  dropDomain,
  formEvent,
  produceCases,
  produceForms,
  startUcrPipelines,
  ucrPipeline,
  viewRows,
} from './ucr-fixtures.js';

const names = testNames(import.meta.url);
const domain = `d-${names.id.slice(-8)}`;
const database = await testDatabase();
const folder = await configFolder();
const visit = 'http://example.org/visit';

const childRows = {
  domain,
  table_id: 'child_rows',
  referenced_doc_type: 'XFormInstance',
  configured_filter: {
    type: 'boolean_expression',
    operator: 'eq',
    expression: { type: 'property_name', property_name: 'xmlns' },
    property_value: visit,
  },
  base_item_expression: { type: 'property_path', property_path: ['form', 'child'] },
  configured_indicators: [
    {
      type: 'expression',
      column_id: 'child_name',
      datatype: 'string',
      expression: { type: 'property_name', property_name: 'name' },
    },
    {
      type: 'expression',
      column_id: 'age_months',
      datatype: 'integer',
      expression: { type: 'property_name', property_name: 'age' },
    },
  ],
};

const openPatients = {
  domain,
  table_id: 'open_patients',
  referenced_doc_type: 'CommCareCase',
  configured_filter: {
    type: 'and',
    filters: [
      {
        type: 'boolean_expression',
        operator: 'eq',
        expression: { type: 'property_name', property_name: 'type' },
        property_value: 'patient',
      },
      {
        type: 'boolean_expression',
        operator: 'eq',
        expression: { type: 'property_name', property_name: 'closed' },
        property_value: false,
      },
    ],
  },
  configured_indicators: [
    {
      type: 'expression',
      column_id: 'village',
      datatype: 'string',
      expression: { type: 'property_name', property_name: 'village' },
    },
  ],
};

afterAll(async () => {
  await dropDomain(database.db, domain);
  await database.close();
  await folder.cleanup();
});

const children = (...list: [string, string][]) => ({ child: list.map(([name, age]) => ({ name, age })) });

describe('UCR row lifecycle through the pipeline', () => {
  it(
    'keeps each table equal to what its configuration produces for the latest version of every document, and refuses older versions',
    { timeout: 120_000 },
    async () => {
      const forms = names.topic('forms');
      const cases = names.topic('cases');
      await Promise.all([createTopic(forms, 1), createTopic(cases, 1)]);
      await folder.write('child_rows.json', childRows);
      await folder.write('open_patients.json', openPatients);

      const host = await startUcrPipelines([ucrPipeline(names.id, [forms, cases], folder.path)]);
      try {
        await produceForms(forms, [
          formEvent(domain, 'f1', 1, { form: children(['Asha', '14'], ['Baraka', '4o']) }),
          formEvent(domain, 'f2', 1, { form: children(['Chidi', '3']) }),
          formEvent(domain, 'f3', 1, { xmlns: 'http://example.org/other', form: children(['Dara', '1']) }),
          formEvent(domain, 'f4', 1, { form: children(['Ema', '2']) }),
          formEvent(domain, 'f5', 1, { form: children(['Femi', '5']) }),
          formEvent(domain, 'f6', 1, { form: children(['Gwen', '6']) }),
          formEvent(domain, 'f7', 1, { form: children(['Hana', '7']) }),
          // A new version replaces the document's rows.
          formEvent(domain, 'f1', 2, { form: children(['Asha', '15']) }),
          // Still matches but now yields no rows: removed (CommCare would keep the old rows).
          formEvent(domain, 'f2', 2, { form: children() }),
          // Stops matching the filter: removed.
          formEvent(domain, 'f4', 2, { xmlns: 'http://example.org/other', form: children(['Ema', '2']) }),
          // Deleted, archived: removed.
          formEvent(domain, 'f5', 2, { deleted: true, form: children(['Femi', '5']) }),
          formEvent(domain, 'f6', 2, {
            doc_type: 'XFormArchived',
            state: 'archived',
            form: children(['Gwen', '6']),
          }),
        ]);
        await produceCases(cases, [
          caseEvent(domain, 'c1', 1, { properties: { village: 'Kibera' } }),
          caseEvent(domain, 'c2', 1, { properties: { village: 'Lindi' } }),
          caseEvent(domain, 'c3', 1, { case_type: 'household', properties: { village: 'Mathare' } }),
          caseEvent(domain, 'c2', 2, {
            closed: true,
            closed_on: Date.now(),
            properties: { village: 'Lindi' },
          }),
        ]);

        const expectedForms = [
          { doc_id: 'f1', repeat_iteration: 0, child_name: 'Asha', age_months: 15 },
          { doc_id: 'f7', repeat_iteration: 0, child_name: 'Hana', age_months: 7 },
        ];
        const expectedCases = [{ doc_id: 'c1', village: 'Kibera' }];
        const settled = await eventually(async () => {
          const [f, c] = await Promise.all([
            viewRows(database.db, domain, 'child_rows'),
            viewRows(database.db, domain, 'open_patients'),
          ]);
          return (
            JSON.stringify(f) === JSON.stringify(expectedForms) &&
            JSON.stringify(c) === JSON.stringify(expectedCases)
          );
        }, 60_000);
        expect(await viewRows(database.db, domain, 'child_rows')).toEqual(expectedForms);
        expect(await viewRows(database.db, domain, 'open_patients')).toEqual(expectedCases);
        expect(settled).toBe(true);

        // Replays of older versions, including of a document deleted since, change nothing;
        // a newer document produced after them tells when they have been processed.
        await produceForms(forms, [
          formEvent(domain, 'f1', 1, { form: children(['Asha', '14'], ['Baraka', '4o']) }),
          formEvent(domain, 'f5', 1, { form: children(['Femi', '5']) }),
          formEvent(domain, 'f2', 1, { form: children(['Chidi', '3']) }),
          formEvent(domain, 'f8', 1, { form: children(['Ivo', '8']) }),
        ]);
        const replayed = await eventually(
          async () => (await viewRows(database.db, domain, 'child_rows')).some((r) => r.doc_id === 'f8'),
          30_000,
        );
        expect(replayed).toBe(true);
        expect(await viewRows(database.db, domain, 'child_rows')).toEqual([
          ...expectedForms,
          { doc_id: 'f8', repeat_iteration: 0, child_name: 'Ivo', age_months: 8 },
        ]);

        // The last applied version is kept for documents without rows too.
        const [live] = (await catalogOf(database.db, domain)).filter((r) =>
          r.physical_table.includes('child_rows'),
        );
        const versions = await database.db.any<{ doc_id: string; version: bigint }>(
          `SELECT doc_id, version FROM ${ucrQualified(live!.physical_table, ucrVersionsSchema)} ORDER BY doc_id`,
        );
        expect(Object.fromEntries(versions.map((v) => [v.doc_id, Number(v.version)]))).toEqual({
          f1: 2,
          f2: 2,
          f3: 1,
          f4: 2,
          f5: 2,
          f6: 2,
          f7: 1,
          f8: 1,
        });
      } finally {
        await host.stop();
      }
    },
  );
});
