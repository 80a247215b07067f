import { afterAll, describe, expect, it } from 'vitest';
import { createAvroSerde } from '../../connectors/kafka/avro-serde.js';
import { SchemaRegistryClient } from '../../connectors/kafka/schema-registry-client.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { ucrQualified, ucrViewName } from '../../commcare/ucr/ucr-table-names.js';
import { configDocumentSchema, type ConfigDocument } from '../../schemas/generated/index.js';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, produce, testDatabase } from '../support/pipeline-fixtures.js';
import {
  catalogOf,
  configFolder,
  dropDomain,
  formEvent,
  produceForms,
  startUcrPipelines,
  ucrPipeline,
  viewRows,
} from './ucr-fixtures.js';

const names = testNames(import.meta.url);
const domain = `d-${names.id.slice(-8)}`;
const database = await testDatabase();
const folder = await configFolder();

const definition = {
  domain,
  table_id: 'by_user',
  referenced_doc_type: 'XFormInstance',
  configured_indicators: [
    {
      type: 'expression',
      column_id: 'user',
      datatype: 'string',
      expression: { type: 'property_name', property_name: 'user_id' },
    },
  ],
};

function configEvent(version: number, over: Partial<ConfigDocument> = {}): ConfigDocument {
  return {
    doc_id: `${domain}-ds1`,
    domain,
    doc_type: 'DataSourceConfiguration',
    version,
    deleted: false,
    changed_on: Date.now(),
    name: 'By user',
    referenced_doc_type: 'XFormInstance',
    table_id: 'by_user',
    is_deactivated: false,
    revision: `${version}-abc`,
    definition,
    ...over,
  };
}

afterAll(async () => {
  await dropDomain(database.db, domain);
  await database.close();
  await folder.cleanup();
});

describe('UCR configurations from the configs topic', () => {
  it(
    'builds a data source published on the configs topic while forms arrive, and drops it once deactivated',
    { timeout: 90_000 },
    async () => {
      const forms = names.topic('forms');
      const configs = names.topic('configs');
      await Promise.all([createTopic(forms, 1), createTopic(configs, 1)]);
      const serde = createAvroSerde(
        { subject: `${configs}-value`, schema: configDocumentSchema },
        new SchemaRegistryClient({ url: readEndpoints().SCHEMA_REGISTRY_URL }),
      );
      const publish = async (event: ConfigDocument) =>
        produce(configs, [{ key: event.doc_id, value: await serde.encode(event) }]);

      const host = await startUcrPipelines([
        ucrPipeline(names.id, [forms], folder.path, { configsTopic: configs }),
      ]);
      try {
        await publish(configEvent(1));
        expect(
          await eventually(
            async () => (await catalogOf(database.db, domain)).some((r) => r.state === 'live'),
            30_000,
          ),
        ).toBe(true);
        await produceForms(forms, [formEvent(domain, `${domain}-f1`, 1, { user_id: 'u-9' })]);
        expect(
          await eventually(async () => (await viewRows(database.db, domain, 'by_user')).length === 1, 30_000),
        ).toBe(true);
        expect(await viewRows(database.db, domain, 'by_user')).toEqual([
          { doc_id: `${domain}-f1`, user: 'u-9' },
        ]);

        await publish(configEvent(2, { is_deactivated: true }));
        const dropped = await eventually(
          async () => (await catalogOf(database.db, domain)).length === 0,
          30_000,
        );
        expect(dropped).toBe(true);
        const view = await database.db.one<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
          ucrQualified(ucrViewName(domain, 'by_user')),
        ]);
        expect(view.t).toBeNull();
      } finally {
        await host.stop();
      }
    },
  );
});
