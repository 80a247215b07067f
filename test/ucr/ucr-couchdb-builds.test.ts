/**
 * CommCareUser and Location data sources are built from CouchDB the way form and case data
 * sources are built from the primary store: a bounded source through the pipeline's own ucr stage
 * and ucr-postgres sink.
 */
import nano from 'nano';
import { afterAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, testDatabase } from '../support/pipeline-fixtures.js';
import {
  catalogOf,
  configFolder,
  dropDomain,
  startUcrPipelines,
  ucrPipeline,
  viewRows,
} from './ucr-fixtures.js';

const names = testNames(import.meta.url);
const domain = `d-${names.id.slice(-8)}`;
const database = await testDatabase();
const folder = await configFolder();
const couch = nano(readEndpoints().COUCHDB_URL);
const usersDb = names.couchDb('users');
const locationsDb = names.couchDb('locations');

const column = (id: string, property: string) => ({
  type: 'expression',
  column_id: id,
  datatype: 'string',
  expression: { type: 'property_name', property_name: property },
});

afterAll(async () => {
  await dropDomain(database.db, domain);
  await database.close();
  await folder.cleanup();
  for (const db of [usersDb, locationsDb]) await couch.db.destroy(db).catch(() => undefined);
});

describe('UCR builds from CouchDB', () => {
  it(
    "fills a CommCareUser and a Location data source with the domain's documents of that type, deleted ones left out",
    { timeout: 90_000 },
    async () => {
      await couch.db.create(usersDb);
      await couch.db.create(locationsDb);
      const users = couch.use<Record<string, unknown>>(usersDb);
      const locations = couch.use<Record<string, unknown>>(locationsDb);
      // More users than a page, so the build reads several pages.
      await users.bulk({
        docs: [
          ...Array.from({ length: 7 }, (_, i) => ({
            _id: `u${i}`,
            doc_type: 'CommCareUser',
            domain,
            username: `chw${i}@${domain}.commcarehq.org`,
            location_id: `loc-${i % 2}`,
          })),
          { _id: 'w1', doc_type: 'WebUser', domain, username: 'admin@example.org' },
          { _id: 'u-other', doc_type: 'CommCareUser', domain: 'another', username: 'x' },
          { _id: 'u-gone', doc_type: 'CommCareUser-Deleted', domain, username: 'gone' },
          { _id: '_design/views', views: {} },
        ],
      });
      await locations.bulk({
        docs: [
          { _id: 'loc-0', doc_type: 'Location', domain, name: 'Kibera', location_type: 'village' },
          { _id: 'loc-1', doc_type: 'Location', domain, name: 'Lindi', location_type: 'village' },
        ],
      });
      await folder.write('users.json', {
        domain,
        table_id: 'users',
        referenced_doc_type: 'CommCareUser',
        configured_indicators: [column('username', 'username'), column('location', 'location_id')],
      });
      await folder.write('locations.json', {
        domain,
        table_id: 'villages',
        referenced_doc_type: 'Location',
        configured_indicators: [column('name', 'name')],
      });
      const topic = names.topic('forms');
      await createTopic(topic, 1);
      const host = await startUcrPipelines([
        ucrPipeline(names.id, [topic], folder.path, {
          backfillChunkDocs: 3,
          couchDatabases: { user: usersDb, location: locationsDb },
        }),
      ]);
      try {
        const built = await eventually(
          async () =>
            (await catalogOf(database.db, domain)).filter((row) => row.state === 'live').length === 2,
          60_000,
        );
        expect(built).toBe(true);
        expect(await viewRows(database.db, domain, 'users')).toEqual(
          Array.from({ length: 7 }, (_, i) => ({
            doc_id: `u${i}`,
            username: `chw${i}@${domain}.commcarehq.org`,
            location: `loc-${i % 2}`,
          })),
        );
        expect(await viewRows(database.db, domain, 'villages')).toEqual([
          { doc_id: 'loc-0', name: 'Kibera' },
          { doc_id: 'loc-1', name: 'Lindi' },
        ]);
        const catalog = await catalogOf(database.db, domain);
        expect(catalog.map((row) => [row.state, row.rows]).sort()).toEqual([
          ['live', 2n],
          ['live', 7n],
        ]);
      } finally {
        await host.stop();
      }
    },
  );
});
