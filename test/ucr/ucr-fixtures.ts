/** Helpers for the UCR table tests: events, a pipeline with the test compiler, views read back. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAvroSerde } from '../../connectors/kafka/avro-serde.js';
import { SchemaRegistryClient } from '../../connectors/kafka/schema-registry-client.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import type { Database } from '../../connectors/postgres/postgres-pool.js';
import { ucrCatalogTable, ucrProblemsTable } from '../../connectors/ucr/ucr-catalog.js';
import { ucrDropTableDdl } from '../../connectors/ucr/ucr-table-ddl.js';
import { ucrQualified, ucrViewName } from '../../commcare/ucr/ucr-table-names.js';
import { ensurePrimaryStore, primaryStoreTables } from '../../connectors/postgres/primary-store.js';
import { registry } from '../../cli/registry.js';
import { PipelineHost } from '../../cli/pipeline-host.js';
import { createLogger, silentLogger } from '../../runtime/telemetry/logger.js';
import { caseSchema, formSchema, type Case, type Form } from '../../schemas/generated/index.js';
import { planOf, produce } from '../support/pipeline-fixtures.js';

export const unionSchemaFile = 'schemas/readers/form-or-case.avsc';
const t0 = Date.UTC(2024, 4, 14, 10, 0, 0);

export function formEvent(domain: string, id: string, version: number, over: Partial<Form> = {}): Form {
  return {
    doc_id: id,
    domain,
    doc_type: 'XFormInstance',
    version,
    deleted: false,
    changed_on: t0 + version,
    xmlns: 'http://example.org/visit',
    form_name: 'Visit',
    app_id: 'app-1',
    build_id: null,
    user_id: 'u-1',
    username: 'chw',
    device_id: null,
    auth_user_id: null,
    auth_username: null,
    auth_method: null,
    received_on: t0,
    server_modified_on: t0 + version,
    time_start: null,
    time_end: null,
    state: 'normal',
    case_ids: [],
    attachments: [],
    form: {},
    form_body_url: null,
    ...over,
  };
}

export function caseEvent(domain: string, id: string, version: number, over: Partial<Case> = {}): Case {
  return {
    doc_id: id,
    domain,
    doc_type: 'CommCareCase',
    version,
    deleted: false,
    changed_on: t0 + version,
    case_type: 'patient',
    name: `patient ${id}`,
    owner_id: 'u-1',
    opened_on: t0,
    opened_by: 'u-1',
    modified_on: t0 + version,
    modified_by: 'u-1',
    server_modified_on: t0 + version,
    closed: false,
    closed_on: null,
    closed_by: null,
    external_id: null,
    location_id: null,
    properties: {},
    indices: [],
    xform_ids: [],
    change_source: 'form',
    ...over,
  };
}

const registryClient = () => new SchemaRegistryClient({ url: readEndpoints().SCHEMA_REGISTRY_URL });

/** Produces form events (Avro, keyed by doc id) in order. */
export async function produceForms(topic: string, events: Form[]): Promise<void> {
  const serde = createAvroSerde({ subject: `${topic}-value`, schema: formSchema }, registryClient());
  await produce(
    topic,
    await Promise.all(events.map(async (e) => ({ key: e.doc_id, value: await serde.encode(e) }))),
  );
}

export async function produceCases(topic: string, events: Case[]): Promise<void> {
  const serde = createAvroSerde({ subject: `${topic}-value`, schema: caseSchema }, registryClient());
  await produce(
    topic,
    await Promise.all(events.map(async (e) => ({ key: e.doc_id, value: await serde.encode(e) }))),
  );
}

/** A folder of data source configurations, removed by `cleanup`. */
export async function configFolder(): Promise<{
  path: string;
  /** Names of the files written and not removed. */
  written: Set<string>;
  write(name: string, json: unknown): Promise<void>;
  remove(name: string): Promise<void>;
  cleanup(): Promise<void>;
}> {
  const path = await mkdtemp(join(tmpdir(), 'tributary-ucr-'));
  const written = new Set<string>();
  return {
    path,
    written,
    write: (name, json) => {
      written.add(name);
      return writeFile(join(path, name), JSON.stringify(json, null, 2));
    },
    remove: (name) => {
      written.delete(name);
      return rm(join(path, name), { force: true });
    },
    cleanup: () => rm(path, { recursive: true, force: true }),
  };
}

/** Pipeline YAML: Avro forms and cases → ucr → ucr-postgres, with short timers for tests; `catalog` overrides the ucr-catalog's settings. */
export function ucrPipeline(
  name: string,
  topics: string[],
  folder: string,
  catalog: Record<string, unknown> = {},
): string {
  const catalogConfig = {
    type: 'ucr-catalog',
    configFolder: folder,
    configPollMs: 300,
    catalogPollMs: 300,
    buildStartDelayMs: 0,
    graceMs: 500,
    backfillChunkDocs: 50,
    ...catalog,
  };
  return `
name: ${name}
resources:
  ucr: ${JSON.stringify(catalogConfig)}
source:
  type: kafka
  topics: ${JSON.stringify(topics)}
  partitions: 1
  compact: false
  value: { format: avro, schemaFile: ${unionSchemaFile} }
processors:
  - type: ucr
    catalog: ucr
    sink: reports
sinks:
  reports: { type: ucr-postgres, catalog: ucr }
delivery:
  maxBatchRecords: 200
  maxWaitMs: 50
`;
}

/** Starts pipelines in one in-process host, as `tributary run` does. */
export async function startUcrPipelines(yamls: string[]): Promise<PipelineHost> {
  // UCR_TEST_LOG=debug shows what the pipeline did.
  const level = process.env.UCR_TEST_LOG;
  const host = new PipelineHost(level ? createLogger({ level, destination: process.stderr }) : silentLogger, {
    defaultMetrics: false,
  });
  await host.start(yamls.map((yaml) => planOf(yaml, registry, process.env)));
  return host;
}

/** Rows of a data source's view, sorted by doc_id and repeat_iteration (empty when no view yet). */
export async function viewRows(
  db: Database,
  domain: string,
  tableId: string,
): Promise<Record<string, unknown>[]> {
  const view = ucrQualified(ucrViewName(domain, tableId));
  const exists = await db.one<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [view]);
  if (!exists.ok) return [];
  const rows = await db.any<Record<string, unknown>>(`SELECT * FROM ${view}`);
  return rows
    .map(({ inserted_at: _ignored, ...rest }) => rest)
    .sort((a, b) =>
      String(a.doc_id) === String(b.doc_id)
        ? Number(a.repeat_iteration ?? 0) - Number(b.repeat_iteration ?? 0)
        : String(a.doc_id) < String(b.doc_id)
          ? -1
          : 1,
    );
}

export async function catalogOf(db: Database, domain: string) {
  return db.any<{
    physical_table: string;
    state: string;
    definition_hash: string;
    rows: bigint | null;
    errors: string | null;
  }>(
    `SELECT physical_table, state, definition_hash, rows, errors FROM ${ucrCatalogTable} WHERE domain = $1 ORDER BY created_at`,
    [domain],
  );
}

/** Saves events in the primary store, as the receiver would (for backfills). */
export async function storeEvents(db: Database, forms: Form[], cases: Case[] = []): Promise<void> {
  await ensurePrimaryStore(db);
  for (const f of forms) {
    await db.none(
      `INSERT INTO ${primaryStoreTables.forms} (form_id, domain, xmlns, state, user_id, received_on, version, body_sha256, event)
       VALUES ($1, $2, $3, $4, $5, to_timestamp($6 / 1000.0), $7, 'x', $8)
       ON CONFLICT (form_id) DO UPDATE SET domain = excluded.domain, version = excluded.version, event = excluded.event, xmlns = excluded.xmlns`,
      [f.doc_id, f.domain, f.xmlns, f.state, f.user_id, f.received_on, f.version, JSON.stringify(f)],
    );
  }
  for (const c of cases) {
    await db.none(
      `INSERT INTO ${primaryStoreTables.cases} (case_id, domain, case_type, owner_id, closed, deleted, version, event)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (case_id) DO UPDATE SET domain = excluded.domain, case_type = excluded.case_type, version = excluded.version, event = excluded.event, closed = excluded.closed, deleted = excluded.deleted`,
      [c.doc_id, c.domain, c.case_type, c.owner_id, c.closed, c.deleted, c.version, JSON.stringify(c)],
    );
  }
}

/** Drops every table, view and catalog row of a test domain. */
export async function dropDomain(db: Database, domain: string): Promise<void> {
  const rows = await db.any<{ physical_table: string; view_name: string }>(
    `SELECT physical_table, view_name FROM ${ucrCatalogTable} WHERE domain = $1`,
    [domain],
  );
  for (const row of rows) {
    await db.none(`DROP VIEW IF EXISTS ${ucrQualified(row.view_name)}`);
    await db.none(`DROP TABLE IF EXISTS ${ucrQualified(row.physical_table)} CASCADE`);
    for (const statement of ucrDropTableDdl(row.physical_table)) await db.none(statement);
  }
  await db.none(`DELETE FROM ${ucrCatalogTable} WHERE domain = $1`, [domain]);
  await db.none(`DELETE FROM ${ucrProblemsTable} WHERE domain = $1`, [domain]);
  await db.none(`DELETE FROM ${primaryStoreTables.forms} WHERE domain = $1`, [domain]).catch(() => undefined);
  await db.none(`DELETE FROM ${primaryStoreTables.cases} WHERE domain = $1`, [domain]).catch(() => undefined);
}

/** A data source of one column, the form's xmlns, over the forms of `domain`; `over` replaces fields. */
export const xmlnsDataSource = (domain: string, over: object = {}) => ({
  domain,
  table_id: 'forms',
  referenced_doc_type: 'XFormInstance',
  configured_indicators: [
    {
      type: 'expression',
      column_id: 'xmlns',
      datatype: 'string',
      expression: { type: 'property_name', property_name: 'xmlns' },
    },
  ],
  ...over,
});
