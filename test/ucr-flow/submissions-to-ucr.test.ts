/**
 * The whole flow: forms posted to the receiver, saved with their cases, relayed to Kafka as Avro,
 * evaluated by the shipped UCR data sources into their tables, and read back through the shipped
 * reports — for a domain of this test's own.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGenerated } from '../../cli/commands/submit.js';
import { registry } from '../../cli/registry.js';
import { SubmissionClient } from '../../cli/submission-client.js';
import { primaryStoreTables as T } from '../../connectors/postgres/primary-store.js';
import { createReportService, reportRoutes } from '../../server/reports/index.js';
import type { PipelineHost } from '../../cli/pipeline-host.js';
import {
  caseEventToDoc,
  compileDataSource,
  formEventToDoc,
  type CompiledDataSource,
} from '../../commcare/ucr/index.js';
import { eventually, planOf, startPipelines, testDatabase } from '../support/pipeline-fixtures.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
const repoRoot = new URL('../..', import.meta.url).pathname;
const configDir = mkdtempSync(join(tmpdir(), 'tributary-ucr-flow-'));
let receiver: TestReceiver;
let host: PipelineHost;
let dataSources: CompiledDataSource[];

/** The shipped configurations, moved to this test's domain. */
function copyConfigs(from: string, to: string, domain: string): void {
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from).filter((f) => f.endsWith('.json'))) {
    const config = JSON.parse(readFileSync(join(from, file), 'utf8')) as { domain: string };
    writeFileSync(join(to, file), JSON.stringify({ ...config, domain }, null, 2));
  }
}

beforeAll(async () => {
  receiver = await startTestReceiver(names, {
    users: 6,
    modules: [() => reportRoutes(reports)],
  });
  copyConfigs(join(repoRoot, 'pipelines/ucr'), configDir, receiver.domain);
  copyConfigs(join(repoRoot, 'pipelines/ucr/reports'), join(configDir, 'reports'), receiver.domain);
  dataSources = readdirSync(configDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => compileDataSource(JSON.parse(readFileSync(join(configDir, f), 'utf8'))));
  const forms = names.topic('forms');
  const cases = names.topic('cases');
  const relay = planOf(
    `
name: ${names.id}_relay
source: { type: outbox, table: ${receiver.outboxTable}, channel: ${receiver.outboxChannel} }
sinks:
  topics:
    type: kafka
    topic: ${forms}
    partitions: 3
    value: { format: avro, schemaOf: forms }
    routes:
      forms: { topic: '${forms}', value: { format: avro, schemaOf: forms } }
      cases: { topic: '${cases}', value: { format: avro, schemaOf: cases } }
`,
    registry,
  );
  const ucrYaml = readFileSync(join(repoRoot, 'pipelines/examples/ucr-to-postgres.yaml'), 'utf8')
    .replace(/^name: .*$/m, `name: ${names.id}_ucr`)
    .replace('topics: [forms, cases]', `topics: ['${forms}', '${cases}']`);
  const ucr = planOf(ucrYaml, registry, { UCR_CONFIG_FOLDER: configDir });
  host = await startPipelines([relay, ucr]);
}, 180_000);

const reports = {
  service: undefined as ReturnType<typeof createReportService> | undefined,
  handleReportRequest(
    req: Parameters<ReturnType<typeof createReportService>['handleReportRequest']>[0],
    res: Parameters<ReturnType<typeof createReportService>['handleReportRequest']>[1],
  ) {
    this.service ??= createReportService({ db: database.db, reportsDir: join(configDir, 'reports') });
    return this.service.handleReportRequest(req, res);
  },
};

afterAll(async () => {
  await host?.stop();
  await receiver?.close();
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  rmSync(configDir, { recursive: true, force: true });
  await database.close();
});

const view = (ds: CompiledDataSource) => `"tributary_ucr"."${ds.domain}_${ds.tableId}"`;

/** What each data source yields for the latest version of every document in the primary store. */
async function expectedRows(ds: CompiledDataSource): Promise<Record<string, unknown>[]> {
  const table = ds.referencedDocType === 'XFormInstance' ? T.forms : T.cases;
  const events = (
    await database.db.any<{ event: Record<string, unknown> }>(
      `SELECT event FROM ${table} WHERE domain = $1`,
      [receiver.domain],
    )
  ).map((row) => row.event);
  const rows: Record<string, unknown>[] = [];
  for (const event of events) {
    if (event.deleted === true || event.doc_type === 'XFormArchived' || event.doc_type === 'XFormDeprecated')
      continue;
    const doc =
      ds.referencedDocType === 'XFormInstance'
        ? formEventToDoc(event as never)
        : caseEventToDoc(event as never);
    const result = ds.evaluate(doc, { get: () => null });
    if (result.status !== 'rows')
      throw new Error(`${ds.tableId} needs lookups: ${JSON.stringify(result.missing)}`);
    rows.push(...result.rows);
  }
  return normalise(ds, rows);
}

async function tableRows(ds: CompiledDataSource): Promise<Record<string, unknown>[]> {
  const columns = ds.columns.filter((c) => c.id !== 'inserted_at');
  const rows = await database.db
    .any<Record<string, unknown>>(
      `SELECT ${columns
        .map((c) =>
          c.datatype === 'date'
            ? `to_char("${c.id}", 'YYYY-MM-DD') AS "${c.id}"`
            : c.datatype === 'decimal'
              ? `"${c.id}"::float8 AS "${c.id}"`
              : `"${c.id}"`,
        )
        .join(', ')} FROM ${view(ds)}`,
    )
    .catch(() => []);
  return normalise(ds, rows);
}

function normalise(ds: CompiledDataSource, rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const columns = ds.columns.filter((c) => c.id !== 'inserted_at');
  return rows
    .map((row) =>
      Object.fromEntries(
        columns.map((c) => {
          const value = row[c.id];
          const plain = typeof value === 'bigint' ? Number(value) : value;
          return [
            c.id,
            c.datatype === 'decimal' && plain !== null && plain !== undefined
              ? Number(plain)
              : (plain ?? null),
          ];
        }),
      ),
    )
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('submissions to UCR tables and reports', () => {
  it(
    'keeps every shipped data source equal to what its configuration yields for the latest documents',
    { timeout: 240_000 },
    async () => {
      const client = new SubmissionClient(receiver.service.url, 8);
      const summary = await postGenerated(client, {
        domain: receiver.domain,
        count: 120,
        concurrency: 8,
        seed: 5,
        users: receiver.users,
      });
      client.close();
      expect(summary.refused).toBe(0);
      expect(dataSources.map((d) => d.tableId).sort()).toEqual([
        'household_register',
        'open_cases_by_owner',
        'visit_medications',
      ]);
      for (const ds of dataSources) {
        const expected = await expectedRows(ds);
        expect(expected.length, ds.tableId).toBeGreaterThan(0);
        const converged = await eventually(
          async () => JSON.stringify(await tableRows(ds)) === JSON.stringify(expected),
          120_000,
          500,
        );
        if (!converged) expect(await tableRows(ds), ds.tableId).toEqual(expected);
      }
    },
  );

  it(
    'removes the rows of an archived form and brings them back when it is restored',
    { timeout: 120_000 },
    async () => {
      const visits = dataSources.find((d) => d.tableId === 'visit_medications')!;
      const row = await database.db.one<{ doc_id: string; n: bigint }>(
        `SELECT doc_id, count(*) AS n FROM ${view(visits)} GROUP BY doc_id ORDER BY count(*) DESC LIMIT 1`,
      );
      const user = receiver.users[0]!;
      const auth = {
        authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`,
      };
      const count = async () =>
        Number(
          (
            await database.db.one<{ n: bigint }>(
              `SELECT count(*) AS n FROM ${view(visits)} WHERE doc_id = $1`,
              [row.doc_id],
            )
          ).n,
        );
      const archive = await fetch(
        `${receiver.service.url}/a/${receiver.domain}/forms/${row.doc_id}/archive`,
        { method: 'POST', headers: auth },
      );
      expect(archive.status).toBe(200);
      expect(await eventually(async () => (await count()) === 0, 60_000, 250)).toBe(true);
      const restore = await fetch(
        `${receiver.service.url}/a/${receiver.domain}/forms/${row.doc_id}/unarchive`,
        { method: 'POST', headers: auth },
      );
      expect(restore.status).toBe(200);
      expect(await eventually(async () => (await count()) === Number(row.n), 60_000, 250)).toBe(true);
    },
  );

  it(
    'answers the shipped reports from the tables, as JSON and CSV, to users of the domain',
    { timeout: 60_000 },
    async () => {
      const user = receiver.users[1]!;
      const auth = {
        authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`,
      };
      const households = dataSources.find((d) => d.tableId === 'household_register')!;
      const perVillage = (
        await database.db.any<{ village: string; n: bigint }>(
          `SELECT village, count(*) AS n FROM ${view(households)} GROUP BY village`,
        )
      ).map((r): [string, number] => [r.village, Number(r.n)]);
      const response = await fetch(
        `${receiver.service.url}/a/${receiver.domain}/reports/households-by-village/data`,
        { headers: auth },
      );
      expect(response.status).toBe(200);
      const report = (await response.json()) as {
        rows: Record<string, unknown>[];
        columns: { id: string }[];
      };
      const countColumn = 'households';
      expect(new Map(report.rows.map((r) => [r.village as string, Number(r[countColumn])]))).toEqual(
        new Map(perVillage),
      );

      const csv = await fetch(
        `${receiver.service.url}/a/${receiver.domain}/reports/medications-taken/data?format=csv`,
        { headers: auth },
      );
      expect(csv.status).toBe(200);
      expect((await csv.text()).split('\r\n')[0]).toMatch(/Medication/i);
      const anonymous = await fetch(
        `${receiver.service.url}/a/${receiver.domain}/reports/open-cases-by-owner/data`,
      );
      expect(anonymous.status).toBe(401);
    },
  );
});
