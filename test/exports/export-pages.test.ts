/**
 * Exports and case import as a person uses them, in Chromium (Debian's package, driven by
 * playwright-core): log in, start an export, watch the progress bar reach 100%, download the file
 * and check its rows against PostgreSQL; import a case file and see its per-row results. Real
 * receiver, PostgreSQL, Redis (BullMQ), S3 and CouchDB; the worker runs in this process.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGenerated } from '../../cli/commands/submit.js';
import { SubmissionClient } from '../../cli/submission-client.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import {
  exportsModule,
  importsModule,
  openTaskServices,
  pagesModule,
  sessionAuthenticator,
  startTaskWorkers,
  type TaskServices,
} from '../../server/index.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const artifacts = join(import.meta.dirname, '..', 'artifacts');
const exportsFolder = mkdtempSync(join(tmpdir(), 'tributary-exports-'));
let receiver: TestReceiver;
let tasks: TaskServices;
let workers: { close(): Promise<void> };
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  const settings = {
    prefix: names.id,
    exportsFolder,
    exportsDatabase: 'commcarehq',
    usersDatabase: 'commcarehq__users',
    mainDatabase: 'commcarehq',
  };
  const domain = names.id.replace(/_/g, '-');
  const shipped = JSON.parse(
    readFileSync(new URL('../../pipelines/exports/household-cases.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
  writeFileSync(join(exportsFolder, 'households.json'), JSON.stringify({ ...shipped, domain }));
  receiver = await startTestReceiver(names, {
    blobs: 's3',
    modules: [
      exportsModule(settings),
      importsModule(settings, {
        maxUploadBytes: 10 * 1024 * 1024,
        outbox: {
          table: `${names.pgSchema()}.outbox`,
          channel: `${names.id}_outbox`,
          topics: { forms: 'forms', cases: 'cases' },
        },
      }),
      pagesModule(settings),
    ],
    authenticator: sessionAuthenticator(settings),
  });
  expect(receiver.domain).toBe(domain);
  const client = new SubmissionClient(receiver.service.url, 8);
  await postGenerated(client, { domain, count: 120, concurrency: 8, seed: 7, users: receiver.users });
  client.close();
  tasks = await openTaskServices({
    ...settings,
    endpoints: readEndpoints(),
    logger: createLogger({ level: 'silent' }),
  });
  workers = startTaskWorkers(tasks, {
    queues: ['exports', 'imports'],
    concurrency: 2,
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    pageSize: 25,
    partBytes: 5 * 1024 * 1024,
  });
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tributary-chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 390, height: 844 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await context?.close();
  await workers?.close();
  await tasks?.close();
  await receiver?.close();
});

async function logIn(): Promise<void> {
  const user = receiver.users[0]!;
  await page.goto(`${receiver.service.url}/a/${receiver.domain}/exports/`);
  await expect.poll(() => page.url()).toContain('/login');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/exports\/$/);
}

describe('the exports page', () => {
  it('refuses a wrong password and logs in with the right one into a secure, HttpOnly session cookie', async () => {
    await page.goto(`${receiver.service.url}/a/${receiver.domain}/login`);
    await page.getByLabel('Username').fill(receiver.users[0]!.username);
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wrong password');
    await logIn();
    const session = (await context.cookies()).find((c) => c.name === 'tributary_session')!;
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
  });

  it('starts an export, shows the bar reaching 100%, and downloads a file whose rows match PostgreSQL', async () => {
    const row = page.locator('[data-export="household-cases"]');
    await row.getByRole('button', { name: 'Export' }).click();
    const bar = row.locator('progress');
    const seen: number[] = [];
    await expect
      .poll(
        async () => {
          seen.push(Number(await bar.getAttribute('value')));
          return row.locator('a.download').count();
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(1);
    expect(Number(await bar.getAttribute('value'))).toBe(100);
    // The bar never went backwards.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    await page.screenshot({ path: join(artifacts, 'export-progress.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), row.locator('a.download').click()]);
    const file = join(artifacts, 'households.xlsx');
    await download.saveAs(file);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.worksheets[0]!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(0, 4)).toEqual(['caseid', 'name', 'village', 'household_size']);
    const fromFile = new Map<string, unknown[]>();
    sheet.eachRow((r, n) => {
      if (n > 1) fromFile.set(r.getCell(1).text, (r.values as unknown[]).slice(1));
    });
    const cases = await receiver.service.db.any<{
      case_id: string;
      name: string;
      village: string;
      size: string;
    }>(
      `SELECT case_id, event->>'name' AS name, event->'properties'->>'village' AS village, event->'properties'->>'household_size' AS size
       FROM tributary_store.cases WHERE domain = $1 AND case_type = 'household' AND NOT deleted`,
      [receiver.domain],
    );
    expect(cases.length).toBeGreaterThan(5);
    expect([...fromFile.keys()].sort()).toEqual(cases.map((c) => c.case_id).sort());
    for (const c of cases)
      expect(fromFile.get(c.case_id)!.slice(1, 4)).toEqual([c.name, c.village, Number(c.size)]);
  });
});

describe('the case import page', () => {
  it('uploads a file, maps its columns, and shows created, updated and failed rows', async () => {
    const existing = await receiver.service.db.one<{ case_id: string }>(
      `SELECT case_id FROM tributary_store.cases WHERE domain = $1 AND case_type = 'household' AND NOT deleted ORDER BY case_id LIMIT 1`,
      [receiver.domain],
    );
    const csv = `case_id,name,village\r\n${existing.case_id},Renamed household,Kisumu\r\n,New household,Bondo\r\nnot-a-case,Ghost,Nowhere\r\n`;
    const file = join(artifacts, 'import.csv');
    writeFileSync(file, csv);
    await page.goto(`${receiver.service.url}/a/${receiver.domain}/imports/cases/`);
    await page.getByLabel('Case file').setInputFiles(file);
    await expect.poll(() => page.locator('#mapping input').count()).toBe(3);
    await page.getByLabel('Case type').fill('household');
    await page.getByLabel('Create a case when none is found').check();
    await page.getByRole('button', { name: 'Import' }).click();
    const results = page.locator('#import-task table');
    await expect.poll(() => results.count(), { timeout: 60_000 }).toBe(1);
    await page.screenshot({ path: join(artifacts, 'case-import.png'), fullPage: true });
    const cells: string[][] = [];
    for (const tr of await results.locator('tbody tr').all())
      cells.push(await tr.locator('td').allTextContents());
    expect(cells.map((c) => [c[0], c[1]])).toEqual([
      ['2', 'updated'],
      ['3', 'created'],
      ['4', 'failed'],
    ]);
    expect(cells[2]![3]).toContain('not-a-case');
    const renamed = await receiver.service.db.one<{ name: string; village: string }>(
      `SELECT event->>'name' AS name, event->'properties'->>'village' AS village FROM tributary_store.cases WHERE case_id = $1`,
      [existing.case_id],
    );
    expect(renamed).toEqual({ name: 'Renamed household', village: 'Kisumu' });
    const outbox = await receiver.service.db.one<{ n: bigint }>(
      `SELECT count(*) AS n FROM ${receiver.outboxTable} WHERE doc_id = $1`,
      [existing.case_id],
    );
    expect(outbox.n).toBeGreaterThan(0n);
  });
});
