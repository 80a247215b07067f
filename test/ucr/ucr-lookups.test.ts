import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, testDatabase } from '../support/pipeline-fixtures.js';
import {
  caseEvent,
  configFolder,
  dropDomain,
  formEvent,
  produceForms,
  startUcrPipelines,
  storeEvents,
  ucrPipeline,
  viewRows,
} from './ucr-fixtures.js';

const names = testNames(import.meta.url);
const domain = `d-${names.id.slice(-8)}`;
const database = await testDatabase();
const folder = await configFolder();
const redis = new Redis(readEndpoints().REDIS_URL);

const visits = {
  domain,
  table_id: 'visits',
  referenced_doc_type: 'XFormInstance',
  configured_indicators: [
    {
      type: 'expression',
      column_id: 'village',
      datatype: 'string',
      expression: {
        type: 'related_doc',
        related_doc_type: 'CommCareCase',
        doc_id_expression: { type: 'property_path', property_path: ['form', 'case_id'] },
        value_expression: { type: 'property_name', property_name: 'village' },
      },
    },
  ],
};

afterAll(async () => {
  await dropDomain(database.db, domain);
  await database.close();
  await folder.cleanup();
  redis.disconnect();
});

describe('UCR lookups', () => {
  it(
    'loads related cases from the primary store for a batch, and caches them in Redis',
    { timeout: 60_000 },
    async () => {
      const topic = names.topic('forms');
      await createTopic(topic, 1);
      const households = [
        caseEvent(domain, `${domain}-h1`, 1, { case_type: 'household', properties: { village: 'Kibera' } }),
        caseEvent(domain, `${domain}-h2`, 1, { case_type: 'household', properties: { village: 'Lindi' } }),
      ];
      await storeEvents(database.db, [], households);
      await folder.write('visits.json', visits);
      const host = await startUcrPipelines([ucrPipeline(names.id, [topic], folder.path)]);
      try {
        await produceForms(topic, [
          formEvent(domain, `${domain}-f1`, 1, { form: { case_id: `${domain}-h1` } }),
          formEvent(domain, `${domain}-f2`, 1, { form: { case_id: `${domain}-h2` } }),
          formEvent(domain, `${domain}-f3`, 1, { form: { case_id: `${domain}-missing` } }),
        ]);
        expect(
          await eventually(async () => (await viewRows(database.db, domain, 'visits')).length === 3, 30_000),
        ).toBe(true);
        expect(await viewRows(database.db, domain, 'visits')).toEqual([
          { doc_id: `${domain}-f1`, village: 'Kibera' },
          { doc_id: `${domain}-f2`, village: 'Lindi' },
          { doc_id: `${domain}-f3`, village: null },
        ]);
        const cached = await redis.get(`tributary:ucr:lookup:case:${domain}:${domain}-h1`);
        expect(JSON.parse(cached!)).toMatchObject({ _id: `${domain}-h1`, village: 'Kibera' });
        expect(await redis.get(`tributary:ucr:lookup:case:${domain}:${domain}-missing`)).toBe('null');
      } finally {
        await host.stop();
      }
    },
  );
});
