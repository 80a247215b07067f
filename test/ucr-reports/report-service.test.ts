import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { postgresPool, type Database } from '../../connectors/postgres/postgres-pool.js';
import { createReportService, type ReportService } from '../../server/reports/index.js';
import { ucrViewName as pipelineViewName } from '../../commcare/ucr/ucr-table-names.js';
import { ucrViewName } from '../../commcare/reports/index.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { testNames } from '../support/resources.js';

// One private schema holds the table; the view the reports read sits in tributary_ucr under a
// domain unique to this run, as the UCR pipeline would publish it.
const names = testNames(import.meta.url);
const schema = names.pgSchema();
const domain = names.id;
const resources = new ResourcePool();
let db: Database;
let server: Server;
let base: string;
let reportsDir: string;
let service: ReportService;

const visits = [
  // doc_id, village, household_size, opened_on, medication, taken, weight, tags
  ['d1', 'Alpha', 4, '2024-01-05', 'amoxicillin', 1, '2.5', '{a,b}'],
  ['d2', 'Alpha', 6, '2024-01-20', 'amoxicillin', 0, '3.5', '{b}'],
  ['d3', 'Beta', 2, '2024-02-02', 'paracetamol', 1, '1.25', '{}'],
  ['d4', 'Beta', 3, '2024-02-28', 'amoxicillin', 1, null, '{a}'],
  ['d5', 'Gamma, "the far one"', 5, '2024-03-15', 'zinc', 0, '4', '{c}'],
  ['d6', null, 1, null, 'zinc', 1, '1', '{}'],
] as const;

const reports: Record<string, unknown> = {
  households: {
    _id: 'households',
    domain,
    config_id: 'visits',
    title: 'Households by village',
    aggregation_columns: ['village'],
    columns: [
      { type: 'field', field: 'village', column_id: 'village', display: 'Village', aggregation: 'simple' },
      {
        type: 'field',
        field: 'doc_id',
        column_id: 'households',
        display: 'Households',
        aggregation: 'count',
        calculate_total: true,
      },
      {
        type: 'field',
        field: 'household_size',
        column_id: 'people',
        display: 'People',
        aggregation: 'sum',
        calculate_total: true,
      },
      {
        type: 'field',
        field: 'weight',
        column_id: 'avg_weight',
        display: 'Average weight',
        aggregation: 'avg',
      },
      {
        type: 'field',
        field: 'opened_on',
        column_id: 'first_opened',
        display: 'First opened',
        aggregation: 'min',
      },
    ],
    filters: [
      {
        type: 'choice_list',
        slug: 'village',
        field: 'village',
        choices: [{ value: 'Alpha' }, { value: 'Beta' }, { value: 'Gamma, "the far one"' }],
      },
      { type: 'date', slug: 'opened', field: 'opened_on' },
      { type: 'numeric', slug: 'size', field: 'household_size' },
      { type: 'dynamic_choice_list', slug: 'tag', field: 'tags' },
    ],
  },
  medications: {
    _id: 'medications',
    domain,
    config_id: 'visits',
    title: 'Medications taken',
    aggregation_columns: ['medication'],
    columns: [
      {
        type: 'field',
        field: 'medication_name',
        column_id: 'medication',
        display: 'Medication',
        aggregation: 'simple',
      },
      {
        type: 'field',
        field: 'doc_id',
        column_id: 'visits',
        display: 'Visits',
        aggregation: 'count',
        calculate_total: true,
      },
      {
        type: 'field',
        field: 'taken',
        column_id: 'taken',
        display: 'Taken',
        aggregation: 'sum',
        calculate_total: true,
      },
      {
        type: 'percent',
        column_id: 'pct_taken',
        display: 'Percent taken',
        format: 'percent',
        calculate_total: true,
        numerator: { type: 'field', field: 'taken', column_id: 'pct_num', aggregation: 'sum' },
        denominator: { type: 'field', field: 'doc_id', column_id: 'pct_den', aggregation: 'count' },
      },
    ],
    filters: [{ type: 'pre', slug: 'has_size', field: 'household_size', pre_value: 2, pre_operator: '>=' }],
    sort_expression: [{ field: 'visits', order: 'DESC' }],
  },
  monthly: {
    _id: 'monthly',
    domain,
    config_id: 'visits',
    title: 'By month',
    aggregation_columns: ['month'],
    columns: [
      { type: 'aggregate_date', field: 'opened_on', column_id: 'month', display: 'Month' },
      { type: 'expanded', field: 'medication_name', column_id: 'med', display: 'Med', calculate_total: true },
      {
        type: 'integer_buckets',
        field: 'household_size',
        column_id: 'size_band',
        ranges: { small: [0, 3], large: [4, 10] },
      },
      {
        type: 'sum_when',
        column_id: 'big_taken',
        whens: [['household_size >= 4 AND taken = 1', 1]],
        else_: 0,
        calculate_total: true,
      },
    ],
    filters: [{ type: 'pre', slug: 'dated', field: 'opened_on', pre_value: null, pre_operator: 'is not' }],
  },
  other_domain: {
    _id: 'other_domain',
    domain: 'elsewhere',
    config_id: 'visits',
    columns: [{ type: 'field', field: 'village', aggregation: 'simple' }],
  },
  misfit: {
    _id: 'misfit',
    domain,
    config_id: 'visits',
    columns: [{ type: 'field', field: 'renamed_away', aggregation: 'simple' }],
  },
  by_doc: {
    _id: 'by_doc',
    domain,
    config_id: 'visits',
    title: 'One row per document',
    aggregation_columns: ['doc_id'],
    columns: [
      {
        type: 'field',
        field: 'village',
        column_id: 'village',
        display: { en: 'Village', fr: 'Village (fr)' },
        aggregation: 'simple',
        transform: {
          type: 'translation',
          translations: { Alpha: { en: 'Alpha village', fr: 'Village Alpha' } },
        },
      },
      {
        type: 'field',
        field: 'household_size',
        column_id: 'share',
        display: 'Share',
        aggregation: 'sum',
        format: 'percent_of_total',
      },
    ],
    filters: [{ type: 'choice_list', slug: 'village', field: 'village', choices: [{ value: 'Alpha' }] }],
  },
  not_built: {
    _id: 'not_built',
    domain,
    config_id: 'not_built_yet',
    columns: [{ type: 'field', field: 'village', aggregation: 'simple' }],
  },
};

beforeAll(async () => {
  db = await postgresPool(resources, readEndpoints().DATABASE_URL);
  await db.none('CREATE SCHEMA IF NOT EXISTS tributary_ucr');
  await db.none('CREATE SCHEMA $1:name', [schema]);
  await db.none(
    `CREATE TABLE $1:name.visits (doc_id text PRIMARY KEY, inserted_at timestamp NOT NULL DEFAULT now(), village text,
       household_size integer, opened_on date, medication_name text, taken smallint, weight numeric(64,16), tags text[])`,
    [schema],
  );
  for (const [docId, village, size, opened, medication, taken, weight, tags] of visits) {
    await db.none(
      'INSERT INTO $1:name.visits (doc_id, village, household_size, opened_on, medication_name, taken, weight, tags) VALUES ($2, $3, $4, $5, $6, $7, $8, $9)',
      [schema, docId, village, size, opened, medication, taken, weight, tags],
    );
  }
  await db.none('CREATE VIEW tributary_ucr.$1:name AS SELECT * FROM $2:name.visits', [
    `${domain}_visits`,
    schema,
  ]);
  reportsDir = await mkdtemp(join(tmpdir(), 'ucr-reports-'));
  for (const [id, config] of Object.entries(reports))
    await writeFile(join(reportsDir, `${id}.json`), JSON.stringify(config));
  await writeFile(
    join(reportsDir, 'broken.json'),
    JSON.stringify({
      _id: 'broken',
      domain,
      config_id: 'visits',
      columns: [{ type: 'field', field: 'village', aggregation: 'median' }],
    }),
  );
  await writeFile(join(reportsDir, 'not-json.json'), '{ "_id": ');
  service = createReportService({ db, reportsDir, maxLimit: 3 });
  server = createServer((req, res) => {
    void service.handleReportRequest(req, res).then((handled) => {
      if (!handled) res.writeHead(418).end('not a report');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await db?.none('DROP VIEW IF EXISTS tributary_ucr.$1:name', [`${domain}_visits`]);
  await db?.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]);
  if (reportsDir) await rm(reportsDir, { recursive: true, force: true });
  await resources.close();
});

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const url = (report: string, query = '') => `/a/${domain}/reports/${report}/data${query ? `?${query}` : ''}`;

describe('report service', () => {
  it('answers the grouped report as JSON with columns, rows, totals and the record count', async () => {
    const { status, body } = await getJson(url('households'));
    expect(status).toBe(200);
    expect(body.report_id).toBe('households');
    expect(body.title).toBe('Households by village');
    expect(body.columns).toEqual([
      { id: 'village', display: 'Village', type: 'field' },
      { id: 'households', display: 'Households', type: 'field' },
      { id: 'people', display: 'People', type: 'field' },
      { id: 'avg_weight', display: 'Average weight', type: 'field' },
      { id: 'first_opened', display: 'First opened', type: 'field' },
    ]);
    expect(body.rows).toEqual([
      { village: 'Alpha', households: 2, people: 10, avg_weight: 3, first_opened: '2024-01-05' },
      { village: 'Beta', households: 2, people: 5, avg_weight: 1.25, first_opened: '2024-02-02' },
      {
        village: 'Gamma, "the far one"',
        households: 1,
        people: 5,
        avg_weight: 4,
        first_opened: '2024-03-15',
      },
    ]);
    expect(body.total_row).toEqual(['Total', 6, 21, null, null]);
    // Four groups (the null village is one); the page is capped at maxLimit 3.
    expect(body.total_records).toBe(4);
  });

  it('pages with limit and offset, totals still over every row', async () => {
    const { body } = await getJson(url('households', 'limit=2&offset=2'));
    expect((body.rows as { village: unknown }[]).map((row) => row.village)).toEqual([
      'Gamma, "the far one"',
      null,
    ]);
    expect(body.total_records).toBe(4);
    expect(body.total_row).toEqual(['Total', 6, 21, null, null]);
  });

  it('filters by choice list values, one or several, and _all', async () => {
    const one = await getJson(url('households', 'village=Beta'));
    expect(one.body.rows).toEqual([
      { village: 'Beta', households: 2, people: 5, avg_weight: 1.25, first_opened: '2024-02-02' },
    ]);
    expect(one.body.total_row).toEqual(['Total', 2, 5, null, null]);
    const several = await getJson(url('households', 'village=Alpha&village=Beta'));
    expect((several.body.rows as unknown[]).length).toBe(2);
    const all = await getJson(url('households', 'village=_all'));
    expect(all.body.total_records).toBe(4);
  });

  it('filters by an inclusive date range', async () => {
    const { body } = await getJson(url('households', 'opened-start=2024-01-20&opened-end=2024-02-28'));
    expect(body.rows).toEqual([
      { village: 'Alpha', households: 1, people: 6, avg_weight: 3.5, first_opened: '2024-01-20' },
      { village: 'Beta', households: 2, people: 5, avg_weight: 1.25, first_opened: '2024-02-02' },
    ]);
  });

  it('filters by a numeric comparison', async () => {
    const { body } = await getJson(
      url('households', `size-operator=${encodeURIComponent('>')}&size-operand=4`),
    );
    expect(body.rows).toEqual([
      { village: 'Alpha', households: 1, people: 6, avg_weight: 3.5, first_opened: '2024-01-20' },
      {
        village: 'Gamma, "the far one"',
        households: 1,
        people: 5,
        avg_weight: 4,
        first_opened: '2024-03-15',
      },
    ]);
  });

  it('filters an array column by any of the chosen values', async () => {
    const { body } = await getJson(url('households', 'tag=a'));
    expect(body.rows).toEqual([
      { village: 'Alpha', households: 1, people: 4, avg_weight: 2.5, first_opened: '2024-01-05' },
      { village: 'Beta', households: 1, people: 3, avg_weight: null, first_opened: '2024-02-28' },
    ]);
  });

  it('applies the pre filter, sorts by the sort expression and formats percents and their total', async () => {
    const { body } = await getJson(url('medications'));
    // household_size >= 2 leaves out d6.
    expect(body.rows).toEqual([
      { medication: 'amoxicillin', visits: 3, taken: 2, pct_taken: '67%' },
      { medication: 'paracetamol', visits: 1, taken: 1, pct_taken: '100%' },
      { medication: 'zinc', visits: 1, taken: 0, pct_taken: '0%' },
    ]);
    expect(body.total_row).toEqual(['Total', 5, 3, '60%']);
  });

  it('groups by month, expands distinct values, buckets integers and sums conditionally', async () => {
    const { body } = await getJson(url('monthly'));
    expect(body.columns).toEqual([
      { id: 'month', display: 'Month', type: 'aggregate_date' },
      { id: 'med-amoxicillin', display: 'Med-amoxicillin', type: 'expanded' },
      { id: 'med-paracetamol', display: 'Med-paracetamol', type: 'expanded' },
      { id: 'med-zinc', display: 'Med-zinc', type: 'expanded' },
      { id: 'size_band', display: 'size_band', type: 'integer_buckets' },
      { id: 'big_taken', display: 'big_taken', type: 'sum_when' },
    ]);
    expect(body.rows).toEqual([
      {
        month: '2024-01',
        'med-amoxicillin': 2,
        'med-paracetamol': 0,
        'med-zinc': 0,
        size_band: 'large',
        big_taken: 1,
      },
      {
        month: '2024-02',
        'med-amoxicillin': 1,
        'med-paracetamol': 1,
        'med-zinc': 0,
        size_band: 'small',
        big_taken: 0,
      },
      {
        month: '2024-03',
        'med-amoxicillin': 0,
        'med-paracetamol': 0,
        'med-zinc': 1,
        size_band: 'large',
        big_taken: 0,
      },
    ]);
    expect(body.total_row).toEqual(['Total', 3, 1, 1, null, 1]);
  });

  it('answers CSV with a header of display names, RFC 4180 quoting and the total row', async () => {
    const response = await fetch(
      `${base}${url('households', 'format=csv&village=Beta&village=Gamma%2C%20%22the%20far%20one%22')}`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await response.text()).toBe(
      'Village,Households,People,Average weight,First opened\r\n' +
        'Beta,2,5,1.25,2024-02-02\r\n' +
        '"Gamma, ""the far one""",1,5,4,2024-03-15\r\n' +
        'Total,3,10,,\r\n',
    );
  });

  it('answers 400 naming the parameter for bad filter and paging values', async () => {
    for (const [query, parameter] of [
      ['opened-start=2024-13-01', 'opened-start'],
      ['size-operator=LIKE&size-operand=1', 'size-operator'],
      ['size-operand=1;DROP', 'size-operand'],
      ['village=Delta', 'village'],
      ['limit=-1', 'limit'],
      ['offset=abc', 'offset'],
      ['format=xml', 'format'],
    ] as const) {
      const { status, body } = await getJson(url('households', query));
      expect({ query, status, parameter: body.parameter }).toEqual({ query, status: 400, parameter });
      expect(body.error).toMatch(new RegExp(`^parameter ${parameter}: `));
    }
  });

  it('answers 404 for an unknown report or a report of another domain', async () => {
    expect((await getJson(url('nope'))).status).toBe(404);
    expect((await getJson(url('other_domain'))).status).toBe(404);
    expect((await getJson(`/a/elsewhere/reports/households/data`)).status).toBe(404);
  });

  it('answers 503 while the data source view does not exist', async () => {
    const { status, body } = await getJson(url('not_built'));
    expect(status).toBe(503);
    expect(body.error).toMatch(/does not exist yet/);
  });

  it('reports invalid configuration files by file and path, and still serves the others', async () => {
    await expect(service.load()).rejects.toThrow(/broken\.json: \$\.columns\[0\]\.aggregation/);
    await expect(service.load()).rejects.toThrow(/not-json\.json: \$: expected a JSON document/);
    const broken = await getJson(url('broken'));
    expect(broken.status).toBe(500);
    expect(broken.body.error).toMatch(/invalid configuration file/);
    expect((await getJson(url('households'))).status).toBe(200);
  });

  it('answers 500 naming the path when a report does not fit its view', async () => {
    const { status, body } = await getJson(url('misfit'));
    expect(status).toBe(500);
    expect(body.error).toMatch(
      /\$\.columns\[0\]\.field: expected a column of the data source .*got "renamed_away"/,
    );
  });

  it('groups by a data source column, translates for the language and shows percent of total', async () => {
    const { body } = await getJson(url('by_doc', 'lang=fr'));
    expect(body.columns).toEqual([
      { id: 'village', display: 'Village (fr)', type: 'field' },
      { id: 'share', display: 'Share', type: 'field' },
    ]);
    // One row per document (doc_id is grouped but not shown), in doc_id order; the page holds
    // d1..d3 (maxLimit 3) with 4 + 6 + 2 people, and percent of total is of the page, as in CommCare.
    expect(body.rows).toEqual([
      { village: 'Village Alpha', share: '33%' },
      { village: 'Village Alpha', share: '50%' },
      { village: 'Beta', share: '17%' },
    ]);
    expect(body.total_records).toBe(6);
    const alpha = await getJson(url('by_doc', 'village=Alpha'));
    expect(alpha.body.rows).toEqual([
      { village: 'Alpha village', share: '40%' },
      { village: 'Alpha village', share: '60%' },
    ]);
  });

  it('keeps the first row per DISTINCT ON group in sort order', async () => {
    await writeFile(
      join(reportsDir, 'latest.json'),
      JSON.stringify({
        _id: 'latest',
        domain,
        config_id: 'visits',
        aggregation_columns: ['village', 'opened'],
        columns: [
          { type: 'field', field: 'village', column_id: 'village', aggregation: 'simple' },
          { type: 'field', field: 'opened_on', column_id: 'opened', aggregation: 'simple' },
          { type: 'field', field: 'household_size', column_id: 'size', aggregation: 'sum' },
        ],
        sort_expression: [
          { field: 'village', order: 'ASC' },
          { field: 'opened', order: 'DESC' },
        ],
        distinct_on: ['village'],
      }),
    );
    await expect(service.reload()).rejects.toThrow(/broken\.json/);
    const { body } = await getJson(url('latest', 'limit=3'));
    expect(body.rows).toEqual([
      { village: 'Alpha', opened: '2024-01-20', size: 6 },
      { village: 'Beta', opened: '2024-02-28', size: 3 },
      { village: 'Gamma, "the far one"', opened: '2024-03-15', size: 5 },
    ]);
    expect(body.total_records).toBe(4);
  });

  it('keeps SQL in filter values inert', async () => {
    const attack = "Alpha') OR 1=1; DROP TABLE visits; --";
    const { status, body } = await getJson(
      url('households', new URLSearchParams({ tag: attack }).toString()),
    );
    expect(status).toBe(200);
    expect(body.rows).toEqual([]);
    expect(body.total_records).toBe(0);
    expect(await db.one('SELECT count(*)::int AS n FROM $1:name.visits', [schema])).toEqual({ n: 6 });
  });

  it('answers HEAD with headers only and other methods with 405', async () => {
    const head = await fetch(`${base}${url('households')}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await head.text()).toBe('');
    const post = await fetch(`${base}${url('households')}`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 503 when the view goes away, and serves again once it is back', async () => {
    const view = `${domain}_visits`;
    await db.none('DROP VIEW tributary_ucr.$1:name', [view]);
    try {
      expect((await getJson(url('households'))).status).toBe(503);
    } finally {
      await db.none('CREATE VIEW tributary_ucr.$1:name AS SELECT * FROM $2:name.visits', [view, schema]);
    }
    expect((await getJson(url('households'))).status).toBe(200);
  });

  it('names views exactly as the UCR pipeline does, long names included', () => {
    for (const [d, t] of [
      ['demo', 'household_register'],
      ['a-rather-long-domain-name-for-a-project', 'a_table_id_that_is_also_quite_long'],
    ]) {
      expect(ucrViewName(d!, t!)).toBe(pipelineViewName(d!, t!));
    }
  });

  it('leaves other URLs to the caller', async () => {
    const response = await fetch(`${base}/a/${domain}/reports/households`);
    expect(response.status).toBe(418);
  });
});
