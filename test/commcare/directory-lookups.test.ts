/**
 * The UCR lookups that read CommCare's directory from CouchDB, through the loader the UCR stage and
 * the reports use: a location's ancestors, a location's descendants, a mobile worker's case sharing
 * and reporting groups; then a data source using them gives what CommCare gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoUsers } from '../../cli/demo-application.js';
import { seedDirectory } from '../../cli/demo-directory.js';
import { compileDataSource } from '../../commcare/ucr/index.js';
import { lookupKeyId } from '../../commcare/ucr/ucr-catalog.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { UcrLookupLoader } from '../../connectors/ucr/ucr-lookup-loader.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { testDatabase } from '../support/pipeline-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
const domain = names.id.replace(/_/g, '-');
const users = demoUsers(5, domain);
let loader: UcrLookupLoader;

beforeAll(async () => {
  const couchUrl = readEndpoints().COUCHDB_URL;
  await seedDirectory({ couchUrl, domain, users });
  // A group that does not share cases and is not for reporting.
  await fetch(`${couchUrl.replace(/\/?$/, '/')}commcarehq/${domain}-quiet`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      doc_type: 'Group',
      domain,
      name: 'quiet',
      users: [users[0]!.id],
      case_sharing: false,
      reporting: false,
    }),
  });
  loader = new UcrLookupLoader(database.db, undefined, {
    cacheEntries: 0,
    cacheTtlSeconds: 0,
    couchdbUrl: couchUrl,
    couchDatabases: { user: 'commcarehq__users', group: 'commcarehq', location: 'commcarehq' },
    logger: createLogger({ level: 'silent' }),
  });
});

afterAll(async () => {
  await database.close();
});

const fetchOne = async (kind: string, id: string) =>
  (await loader.fetch([{ kind, id, domain }])).get(lookupKeyId({ kind, id, domain }));

describe('directory lookups from CouchDB', () => {
  it("answers a location's ancestors, root first, and none for an unknown location", async () => {
    const ancestors = (await fetchOne('ancestor_locations', `${domain}-loc-3`)) as {
      _id: string;
      location_type: string;
    }[];
    expect(ancestors.map((a) => [a._id, a.location_type])).toEqual([[`${domain}-district-1`, 'district']]);
    expect(await fetchOne('ancestor_locations', 'no-such-location')).toEqual([]);
  });

  it("answers a location's descendants", async () => {
    const ids = (await fetchOne('location_descendants', `${domain}-district-2`)) as string[];
    expect(ids.sort()).toEqual(
      [`${domain}-loc-2`, `${domain}-loc-4`, `${domain}-loc-6`, `${domain}-loc-8`].sort(),
    );
  });

  it("answers a worker's case sharing and reporting groups, and [] for an unknown user", async () => {
    const sharing = (await fetchOne('case_sharing_groups', users[0]!.id)) as { _id: string }[];
    expect(sharing.map((g) => g._id)).toEqual([`${domain}-group-1`]);
    const reporting = (await fetchOne('reporting_groups', users[0]!.id)) as { _id: string }[];
    expect(reporting.map((g) => g._id)).toEqual([`${domain}-group-1`]);
    expect(await fetchOne('case_sharing_groups', 'nobody')).toEqual([]);
  });

  it('feeds ancestor_location and get_case_sharing_groups in a data source', async () => {
    const ds = compileDataSource({
      domain,
      table_id: 't',
      referenced_doc_type: 'CommCareCase',
      configured_indicators: [
        {
          type: 'expression',
          column_id: 'district',
          datatype: 'string',
          expression: {
            type: 'nested',
            argument_expression: {
              type: 'ancestor_location',
              location_id: { type: 'property_name', property_name: 'location_id' },
              location_type: 'district',
            },
            value_expression: { type: 'property_name', property_name: 'name' },
          },
        },
        {
          type: 'expression',
          column_id: 'groups',
          datatype: 'array',
          expression: {
            type: 'map_items',
            items_expression: {
              type: 'get_case_sharing_groups',
              user_id_expression: { type: 'property_name', property_name: 'user_id' },
            },
            map_expression: { type: 'property_name', property_name: 'name' },
          },
        },
      ],
    });
    const doc = {
      _id: 'c1',
      domain,
      doc_type: 'CommCareCase',
      location_id: `${domain}-loc-3`,
      user_id: users[0]!.id,
    };
    const first = ds.evaluate(doc, { get: () => undefined });
    expect(first.status).toBe('missing');
    const found = await loader.fetch(first.status === 'missing' ? first.missing : []);
    const result = ds.evaluate(doc, { get: (key) => found.get(lookupKeyId(key)) });
    expect(result).toMatchObject({
      status: 'rows',
      rows: [{ doc_id: 'c1', district: 'District 1', groups: [`${domain}-group-1`] }],
    });
  });
});
