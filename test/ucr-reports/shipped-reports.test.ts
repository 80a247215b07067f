import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { postgresPool, type Database } from '../../connectors/postgres/postgres-pool.js';
import { createReportService } from '../../server/reports/index.js';
import { ucrViewName } from '../../commcare/reports/index.js';
import { compileDataSource, type UcrDatatype } from '../../commcare/ucr/index.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { testNames } from '../support/resources.js';

// The shipped demo reports, end to end: tables shaped by the shipped data source configurations
// (columns and SQL types as the reference's §8 gives them), published as views under a domain unique
// to this run, and the report files with their domain changed to it.
const names = testNames(import.meta.url);
const schema = names.pgSchema();
const domain = names.id;
const ucrDir = fileURLToPath(new URL('../../pipelines/ucr/', import.meta.url));
const resources = new ResourcePool();
let db: Database;
let server: Server;
let base: string;
let reportsDir: string;
const views: string[] = [];

const sqlTypes: Record<UcrDatatype, string> = {
  string: 'text',
  integer: 'integer',
  small_integer: 'smallint',
  decimal: 'numeric(64,16)',
  date: 'date',
  datetime: 'timestamp',
  boolean: 'integer',
  array: 'text[]',
};

const rows: Record<string, Record<string, unknown>[]> = {
  household_register: [
    { doc_id: 'h1', village: 'Kanyama', household_size: 4, opened_on: '2026-01-10', closed: 0 },
    { doc_id: 'h2', village: 'Kanyama', household_size: 3, opened_on: '2026-02-01', closed: 0 },
    { doc_id: 'h3', village: 'Mtendere', household_size: 7, opened_on: '2026-02-15', closed: 1 },
  ],
  visit_medications: [
    {
      doc_id: 'f1',
      repeat_iteration: 0,
      medication_name: 'ORS',
      dose_mg: '250',
      taken: 1,
      visit_date: '2026-03-01',
    },
    {
      doc_id: 'f1',
      repeat_iteration: 1,
      medication_name: 'Zinc',
      dose_mg: '20',
      taken: 0,
      visit_date: '2026-03-01',
    },
    {
      doc_id: 'f2',
      repeat_iteration: 0,
      medication_name: 'ORS',
      dose_mg: '250',
      taken: 1,
      visit_date: '2026-03-09',
    },
    {
      doc_id: 'f3',
      repeat_iteration: 0,
      medication_name: 'ORS',
      dose_mg: '250',
      taken: 0,
      visit_date: '2026-04-02',
    },
  ],
  open_cases_by_owner: [
    { doc_id: 'c1', owner_id: 'u1', case_type: 'household', closed: 0, opened_on: '2026-01-10', count: 1 },
    { doc_id: 'c2', owner_id: 'u1', case_type: 'member', closed: 0, opened_on: '2026-01-11', count: 1 },
    { doc_id: 'c3', owner_id: 'u1', case_type: 'member', closed: 0, opened_on: '2026-01-12', count: 1 },
    { doc_id: 'c4', owner_id: 'u2', case_type: 'member', closed: 0, opened_on: '2026-02-01', count: 1 },
    { doc_id: 'c5', owner_id: 'u2', case_type: 'household', closed: 1, opened_on: '2026-02-02', count: 1 },
  ],
};

beforeAll(async () => {
  db = await postgresPool(resources, readEndpoints().DATABASE_URL);
  await db.none('CREATE SCHEMA IF NOT EXISTS tributary_ucr');
  await db.none('CREATE SCHEMA $1:name', [schema]);
  for (const file of (await readdir(ucrDir)).filter((name) => name.endsWith('.json'))) {
    const raw = JSON.parse(await readFile(join(ucrDir, file), 'utf8')) as Record<string, unknown>;
    // A static data source wraps its configuration in {domains, config}.
    const config = (raw.config ?? raw) as Record<string, unknown>;
    const tableId = config.table_id as string;
    if (!(tableId in rows)) continue;
    const columns = compileDataSource({ ...config, domain }, { path: file }).columns;
    const definition = columns.map((column) => `"${column.id}" ${sqlTypes[column.datatype]}`).join(', ');
    await db.none(`CREATE TABLE $1:name.$2:name (${definition})`, [schema, tableId]);
    for (const row of rows[tableId]!) {
      await db.none('INSERT INTO $1:name.$2:name ($3:name) VALUES ($3:csv)', [
        schema,
        tableId,
        { inserted_at: '2026-05-01T00:00:00', ...row },
      ]);
    }
    const view = ucrViewName(domain, tableId);
    await db.none('CREATE VIEW tributary_ucr.$1:name AS SELECT * FROM $2:name.$3:name', [
      view,
      schema,
      tableId,
    ]);
    views.push(view);
  }
  reportsDir = await mkdtemp(join(tmpdir(), 'ucr-shipped-reports-'));
  for (const file of await readdir(join(ucrDir, 'reports'))) {
    const report = JSON.parse(await readFile(join(ucrDir, 'reports', file), 'utf8')) as Record<
      string,
      unknown
    >;
    await writeFile(join(reportsDir, file), JSON.stringify({ ...report, domain }));
  }
  const service = createReportService({ db, reportsDir });
  // Unbound, as a server's handler list holds it.
  const handle = service.handleReportRequest;
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  for (const view of views) await db.none('DROP VIEW IF EXISTS tributary_ucr.$1:name', [view]);
  await db?.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]);
  if (reportsDir) await rm(reportsDir, { recursive: true, force: true });
  await resources.close();
});

async function report(id: string, query = ''): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}/a/${domain}/reports/${id}/data${query ? `?${query}` : ''}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('shipped demo reports', () => {
  it('households-by-village counts households and people per village, filtered by village and opening date', async () => {
    expect(await report('households-by-village')).toMatchObject({
      rows: [
        { village: 'Kanyama', households: 2, people: 7 },
        { village: 'Mtendere', households: 1, people: 7 },
      ],
      total_row: ['Total', 3, 14],
      total_records: 2,
    });
    const filtered = await report(
      'households-by-village',
      'village=Kanyama&opened_on-start=2026-02-01&opened_on-end=2026-02-28',
    );
    expect(filtered.rows).toEqual([{ village: 'Kanyama', households: 1, people: 3 }]);
  });

  it('medications-taken counts doses, sums taken and gives the percent taken', async () => {
    expect(await report('medications-taken')).toMatchObject({
      rows: [
        { medication_name: 'ORS', doses: 3, taken: 2, percent_taken: '67%' },
        { medication_name: 'Zinc', doses: 1, taken: 0, percent_taken: '0%' },
      ],
      total_row: ['Total', 4, 2, '50%'],
    });
    const march = await report('medications-taken', 'visit_date-start=2026-03-01&visit_date-end=2026-03-31');
    expect(march.total_row).toEqual(['Total', 3, 2, '67%']);
  });

  it('open-cases-by-owner splits open cases by case type per owner', async () => {
    const body = await report('open-cases-by-owner');
    expect(body.columns).toEqual([
      { id: 'owner_id', display: 'Owner', type: 'field' },
      { id: 'case_type-household', display: 'Case type-household', type: 'expanded' },
      { id: 'case_type-member', display: 'Case type-member', type: 'expanded' },
      { id: 'open_cases', display: 'Open cases', type: 'field' },
    ]);
    expect(body.rows).toEqual([
      { owner_id: 'u1', 'case_type-household': 1, 'case_type-member': 2, open_cases: 3 },
      { owner_id: 'u2', 'case_type-household': 0, 'case_type-member': 1, open_cases: 1 },
    ]);
    expect(body.total_row).toEqual(['Total', 1, 3, 4]);
  });
});
