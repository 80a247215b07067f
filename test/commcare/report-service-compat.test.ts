/**
 * Reports in CommCare's shapes served over HTTP with the real server, PostgreSQL and CouchDB:
 * owner and user names looked up in batches, the request's language and the domain's default,
 * location drill-down with descendants, and charts in the JSON.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { reportsModule } from '../../server/index.js';
import { testDatabase } from '../support/pipeline-fixtures.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
let receiver: TestReceiver;
let reportsDir: string;
let domain: string;
let view: string;

const couch = readEndpoints().COUCHDB_URL.replace(/\/?$/, '/');

async function setDefaultLanguage(lang: string): Promise<void> {
  const url = `${couch}commcarehq/domain-${domain}`;
  const doc = (await (await fetch(url)).json()) as Record<string, unknown>;
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...doc, default_lang: lang }),
  });
  expect(response.ok).toBe(true);
}

beforeAll(async () => {
  reportsDir = await mkdtemp(join(tmpdir(), 'compat-reports-'));
  domain = names.id.replace(/_/g, '-');
  view = `${domain}_pregnancy`;
  const report = {
    _id: 'by-owner',
    doc_type: 'ReportConfiguration',
    domain,
    config_id: 'pregnancy',
    title: 'Pregnancies by owner',
    description: null,
    aggregation_columns: ['owner_id'],
    columns: [
      {
        type: 'field',
        column_id: 'owner_id',
        field: 'owner_id',
        display: { en: 'Owner', fra: 'Propriétaire', hin: 'मालिक' },
        aggregation: 'simple',
        transform: { type: 'custom', custom_type: 'owner_display' },
        alias: null,
        calculate_total: false,
      },
      {
        type: 'field',
        column_id: 'count',
        field: 'count',
        display: 'Count',
        aggregation: 'sum',
        transform: {},
        calculate_total: true,
      },
    ],
    filters: [
      {
        type: 'location_drilldown',
        slug: 'district',
        field: 'location_id',
        display: { en: 'District' },
        include_descendants: true,
      },
    ],
    configured_charts: [
      { type: 'pie', title: 'By owner', aggregation_column: 'owner_id', value_column: 'count' },
    ],
  };
  await writeFile(join(reportsDir, 'by-owner.json'), JSON.stringify(report));
  receiver = await startTestReceiver(names, { users: 3, modules: [reportsModule({ reportsDir })] });
  await setDefaultLanguage('fra');
  await database.db.none('CREATE SCHEMA IF NOT EXISTS tributary_ucr');
  await database.db.none('CREATE SCHEMA IF NOT EXISTS $1:name', [names.pgSchema()]);
  await database.db.none(
    'CREATE TABLE $1:name.pregnancy (doc_id text PRIMARY KEY, inserted_at timestamp NOT NULL DEFAULT now(), owner_id text, location_id text, count integer)',
    [names.pgSchema()],
  );
  const user = receiver.users[0]!;
  const rows = [
    ['c1', user.id, `${domain}-loc-1`],
    ['c2', user.id, `${domain}-loc-3`],
    ['c3', user.groupId, `${domain}-loc-2`],
    ['c4', `${domain}-loc-2`, `${domain}-loc-2`],
    ['c5', 'nobody-at-all', `${domain}-district-1`],
  ];
  for (const [id, owner, location] of rows)
    await database.db.none(
      'INSERT INTO $1:name.pregnancy (doc_id, owner_id, location_id, count) VALUES ($2, $3, $4, 1)',
      [names.pgSchema(), id, owner, location],
    );
  await database.db.none('CREATE VIEW tributary_ucr.$1:name AS SELECT * FROM $2:name.pregnancy', [
    view,
    names.pgSchema(),
  ]);
});

afterAll(async () => {
  await receiver.close();
  await database.db.none('DROP VIEW IF EXISTS tributary_ucr.$1:name', [view]);
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
  await rm(reportsDir, { recursive: true, force: true });
});

async function report(query = ''): Promise<Record<string, unknown>> {
  const user = receiver.users[0]!;
  const response = await fetch(
    `${receiver.service.url}/a/${domain}/reports/by-owner/data${query ? `?${query}` : ''}`,
    {
      headers: {
        authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`,
      },
    },
  );
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('reports as CommCare shows them', () => {
  it('shows owners by name: a user without its domain suffix, a group, a location; nobody as null', async () => {
    const body = await report();
    const owners = (body.rows as { owner_id: unknown; count: number }[]).map((row) => row.owner_id);
    expect(owners.sort((a, b) => String(a).localeCompare(String(b)))).toEqual(
      ['Bondo', `${domain}-group-1`, 'chw1', null].sort((a, b) => String(a).localeCompare(String(b))),
    );
    expect(body.total_row).toEqual(['Total', 5]);
    expect((body.charts as { data: unknown[] }[])[0]!.data).toHaveLength(4);
  });

  it("uses the request's language, else the domain's default_lang", async () => {
    expect(((await report('lang=hin')).columns as { display: string }[])[0]!.display).toBe('मालिक');
    expect(((await report()).columns as { display: string }[])[0]!.display).toBe('Propriétaire');
  });

  it('drills down to a district and its villages', async () => {
    const body = await report(`district=${domain}-district-1`);
    // district-1 holds villages 1, 3, 5…: c1, c2 and c5 (the district itself).
    expect((body.rows as unknown[]).length).toBe(2);
    expect(body.total_row).toEqual(['Total', 3]);
  });
});
