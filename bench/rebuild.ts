/**
 * The `rebuild` scenario: UCR data sources built from the primary store. 200,000 `demo`-style
 * change events (20,000 with `--quick`) are written to the primary store's tables
 * (`tributary_store.forms` / `.cases`) under a domain of the run's own, then the UCR pipeline
 * (`pipelines/examples/ucr-to-postgres.yaml`, run by the CLI with one worker, topics of its own and
 * left empty) is started with the shipped data sources retargeted to that domain: its `ucr-catalog`
 * resource builds each new table by running the pipeline's `ucr` stage and `ucr-postgres` sink over
 * the primary store (a bounded source through the engine). The build is
 * timed by the catalog (`tributary_ucr.data_sources`: from the first table's `created_at` to the
 * last one's `built_at`, `buildStartDelayMs: 0`).
 *
 * Same-run baseline: the same documents read bare from the primary store (keyset pages of the
 * same size, the same filter on xmlns / case type), evaluated with the same compiled data sources
 * and COPYed into plain tables, one data source after another, in this process.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { readEndpoints } from '../connectors/endpoints.js';
import { createKafkaClient } from '../connectors/kafka/create-kafka-client.js';
import { pinnedSubtypes } from '../commcare/ucr/pinned-subtypes.js';
import { ucrColumnType } from '../connectors/ucr/ucr-table-ddl.js';
import { ucrViewName } from '../commcare/ucr/ucr-table-names.js';
import { compileDataSource } from '../commcare/ucr/compile-data-source.js';
import type { CompiledDataSource } from '../commcare/ucr/contract.js';
import type { Case, Form } from '../schemas/generated/index.js';
import { demoChanges } from './demo-documents.js';
import { copiedColumns, copyText, eventDocument, rowsOf } from './ingest-rows.js';
import { watchPeakRss } from './peak-rss.js';
import { preparePipeline } from './prepare-pipeline.js';
import type { ScenarioResult } from './scenario-result.js';
import { ScenarioUnavailableError } from './scenario-unavailable-error.js';
import { figure, ratioOf, round3 } from './spread.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pipelineFile =
  process.env.BENCH_INGEST_PIPELINE ?? join(root, 'pipelines', 'examples', 'ucr-to-postgres.yaml');
const dataSourceFolder = process.env.BENCH_UCR_FOLDER ?? join(root, 'pipelines', 'ucr');
const cli = join(root, 'dist', 'cli', 'main.js');
/** The ucr-catalog resource's default `backfillChunkDocs`, which the baseline's pages match. */
const chunkDocs = 500;

function sizes(quick: boolean) {
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  return quick
    ? { documents: env('BENCH_REBUILD_DOCUMENTS', 20_000), repeats: env('BENCH_REPEATS', 1) }
    : { documents: env('BENCH_REBUILD_DOCUMENTS', 200_000), repeats: env('BENCH_REPEATS', 2) };
}

/** The run's documents: ids and domain of the run's own, so nothing collides in the shared store. */
function runDocuments(documents: number, domain: string, prefix: string) {
  const { forms, cases } = demoChanges(documents);
  const rename = <T extends Form | Case>(doc: T): T => ({ ...doc, doc_id: `${prefix}${doc.doc_id}`, domain });
  return { forms: forms.map(rename), cases: cases.map(rename) };
}

async function copyRows(client: pg.PoolClient, sql: string, lines: string[]) {
  if (lines.length) await streamPipeline(Readable.from([lines.join('')]), client.query(copyFrom(sql)));
}

/** Writes the documents to the primary store as the receiver would (the columns rebuilds read). */
async function fillPrimaryStore(pool: pg.Pool, forms: Form[], cases: Case[]) {
  const client = await pool.connect();
  try {
    const formLines = forms.map(
      (f) =>
        [
          f.doc_id,
          f.domain,
          f.xmlns,
          f.state,
          f.user_id ?? '\\N',
          new Date(f.received_on).toISOString(),
          String(f.version),
          'bench',
          copyText(JSON.stringify(f)),
        ].join('\t') + '\n',
    );
    const caseLines = cases.map(
      (c) =>
        [
          c.doc_id,
          c.domain,
          c.case_type,
          c.owner_id,
          String(c.closed),
          String(c.version),
          copyText(JSON.stringify(c)),
        ].join('\t') + '\n',
    );
    for (let from = 0; from < formLines.length; from += 10_000)
      await copyRows(
        client,
        'COPY tributary_store.forms (form_id, domain, xmlns, state, user_id, received_on, version, body_sha256, event) FROM STDIN',
        formLines.slice(from, from + 10_000),
      );
    for (let from = 0; from < caseLines.length; from += 10_000)
      await copyRows(
        client,
        'COPY tributary_store.cases (case_id, domain, case_type, owner_id, closed, version, event) FROM STDIN',
        caseLines.slice(from, from + 10_000),
      );
  } finally {
    client.release();
  }
}

/** The bare rebuild of one data source: keyset pages from the primary store → evaluate → COPY. */
async function bareRebuild(pool: pg.Pool, dataSource: CompiledDataSource, table: string): Promise<number> {
  const forms = dataSource.referencedDocType === 'XFormInstance';
  const store = forms ? 'tributary_store.forms' : 'tributary_store.cases';
  const id = forms ? 'form_id' : 'case_id';
  const subtypes = pinnedSubtypes(dataSource.source, forms ? 'xmlns' : 'type');
  const filter = subtypes ? ` AND ${forms ? 'xmlns' : 'case_type'} = ANY($3::text[])` : '';
  const copy = `COPY ${table} (${copiedColumns(dataSource)
    .map((c) => `"${c}"`)
    .join(', ')}) FROM STDIN`;
  const client = await pool.connect();
  let rows = 0;
  try {
    let after = '';
    for (;;) {
      const page = await client.query<{ id: string; event: unknown }>(
        `SELECT ${id} AS id, event FROM ${store} WHERE domain = $1 AND ${id} > $2${filter} ORDER BY ${id} LIMIT ${chunkDocs}`,
        subtypes ? [dataSource.domain, after, subtypes] : [dataSource.domain, after],
      );
      if (!page.rows.length) return rows;
      after = page.rows.at(-1)!.id;
      const lines = new Map<string, string[]>();
      for (const row of page.rows)
        rows += rowsOf(eventDocument(forms ? 'form' : 'case', row.event), [dataSource], lines);
      await copyRows(client, copy, lines.get(dataSource.tableId) ?? []);
    }
  } finally {
    client.release();
  }
}

interface CatalogRow {
  table_id: string;
  state: string;
  physical_table: string;
  view_name: string;
  created_at: Date;
  built_at: Date | null;
  rows: string | null;
  errors: string | null;
}

const catalogOf = (pool: pg.Pool, domain: string) =>
  pool
    .query<CatalogRow>(
      'SELECT table_id, state, physical_table, view_name, created_at, built_at, rows, errors FROM tributary_ucr.data_sources WHERE domain = $1',
      [domain],
    )
    .then((r) => r.rows)
    .catch(() => [] as CatalogRow[]);

/** Removes every UCR table, view and catalog row of the run's domain. */
async function dropDomain(pool: pg.Pool, domain: string, tableIds: string[]) {
  for (const row of await catalogOf(pool, domain))
    for (const sql of [
      `DROP VIEW IF EXISTS tributary_ucr."${row.view_name}" CASCADE`,
      `DROP TABLE IF EXISTS tributary_ucr."${row.physical_table}" CASCADE`,
      `DROP TABLE IF EXISTS tributary_ucr_versions."${row.physical_table}" CASCADE`,
    ])
      await pool.query(sql).catch(() => undefined);
  for (const id of tableIds)
    await pool
      .query(`DROP VIEW IF EXISTS tributary_ucr."${ucrViewName(domain, id)}" CASCADE`)
      .catch(() => undefined);
  await pool
    .query('DELETE FROM tributary_ucr.data_sources WHERE domain = $1', [domain])
    .catch(() => undefined);
}

export async function rebuildScenario(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<ScenarioResult> {
  const { log } = options;
  if (!existsSync(pipelineFile))
    throw new ScenarioUnavailableError(`rebuild cannot run yet: missing ${pipelineFile}`);
  const sourceFiles = (await readdir(dataSourceFolder))
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(dataSourceFolder, f));
  if (!sourceFiles.length)
    throw new ScenarioUnavailableError(`rebuild cannot run yet: no data sources in ${dataSourceFolder}`);
  const started = performance.now();
  const { documents, repeats } = sizes(options.quick);
  const endpoints = readEndpoints();
  const runId = `bench_rb_${randomBytes(3).toString('hex')}`;
  const domain = runId.replace(/_/g, '-');
  const work = await mkdtemp(join(tmpdir(), `${runId}-`));
  const pool = new pg.Pool({ connectionString: endpoints.DATABASE_URL, max: 4 });
  const tableIdsMade: string[] = [];
  const topics = [`${runId}.forms`, `${runId}.cases`];
  const admin = await createKafkaClient('platformatic', {
    brokers: [...endpoints.KAFKA_BROKERS],
    clientId: 'tributary-bench-rebuild',
  }).admin();
  try {
    // The pipeline's topics exist and stay empty: every row comes from the primary store.
    await admin.createTopics(
      topics.map((topic) => ({
        topic,
        partitions: 1,
        replicationFactor: 1,
        configs: { 'cleanup.policy': 'compact' },
      })),
    );
    const configs: Record<string, unknown>[] = await Promise.all(
      sourceFiles.map(async (file) => ({
        ...(JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>),
        domain,
      })),
    );
    const compiled = configs.map((config, i) => compileDataSource(config, { path: sourceFiles[i] }));
    const { forms, cases } = runDocuments(documents, domain, `${runId}-`);
    const fillStarted = performance.now();
    await fillPrimaryStore(pool, forms, cases);
    log(
      `rebuild: ${forms.length} forms + ${cases.length} cases in the primary store (domain ${domain}) in ` +
        `${((performance.now() - fillStarted) / 1000).toFixed(1)} s`,
    );
    await pool.query(`CREATE SCHEMA ${runId}`);

    const pipelineText = await readFile(pipelineFile, 'utf8');
    const timeoutMs = Math.max(180_000, documents * 5);
    const seconds = { bare: [] as number[], pipeline: [] as number[] };
    const rowCounts = { bare: [] as number[], pipeline: [] as number[] };
    let peakRssMiB = 0;
    for (let repeat = 0; repeat < repeats; repeat++) {
      // The baseline, in this process: one data source after another.
      const bareStarted = performance.now();
      let bareRows = 0;
      for (const dataSource of compiled) {
        const table = `${runId}."${dataSource.tableId}_${repeat}"`;
        const columns = dataSource.columns.map((c) =>
          c.id === 'inserted_at'
            ? `"inserted_at" ${ucrColumnType(c.datatype)} NOT NULL DEFAULT now()`
            : `"${c.id}" ${ucrColumnType(c.datatype)}`,
        );
        await pool.query(
          `CREATE TABLE ${table} (${columns.join(', ')}, PRIMARY KEY (${dataSource.primaryKey.map((k) => `"${k}"`).join(', ')}))`,
        );
        bareRows += await bareRebuild(pool, dataSource, table);
      }
      seconds.bare.push((performance.now() - bareStarted) / 1000);
      rowCounts.bare.push(bareRows);

      // The pipeline: the sink builds every new table from the primary store.
      const suffix = `r${repeat}`;
      const folder = join(work, suffix);
      await mkdir(folder, { recursive: true });
      for (const config of configs) {
        const tableId = `${String(config.table_id)}_${suffix}`;
        tableIdsMade.push(tableId);
        await writeFile(join(folder, `${tableId}.json`), JSON.stringify({ ...config, table_id: tableId }));
      }
      const name = `${runId}-${suffix}`.replace(/_/g, '-');
      topics.push(`${name}.dead-letter`);
      const file = join(work, `${suffix}.yaml`);
      await writeFile(
        file,
        preparePipeline(pipelineText, {
          name,
          topics: { forms: topics[0]!, cases: topics[1]! },
          ucrConfigFolder: folder,
          ucrCatalogSettings: { buildStartDelayMs: 0 },
        }),
      );
      const proc = spawn(process.execPath, [cli, 'run', file, '--port', '0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: root,
        env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      });
      let output = '';
      const keep = (chunk: string) => (output = (output + chunk).split('\n').slice(-40).join('\n'));
      proc.stdout.setEncoding('utf8').on('data', keep);
      proc.stderr.setEncoding('utf8').on('data', keep);
      const watch = watchPeakRss(proc.pid!);
      const waitStarted = performance.now();
      let live: CatalogRow[] = [];
      try {
        for (;;) {
          const rows = (await catalogOf(pool, domain)).filter((r) => r.table_id.endsWith(`_${suffix}`));
          live = rows.filter((r) => r.state === 'live' && r.built_at);
          if (live.length === configs.length) break;
          if (proc.exitCode !== null) throw new Error(`the pipeline exited with ${proc.exitCode}\n${output}`);
          if (performance.now() - waitStarted > timeoutMs)
            throw new Error(`${live.length}/${configs.length} tables built after ${timeoutMs} ms\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        const peaks = await watch.stop();
        peakRssMiB = Math.max(peakRssMiB, Math.round((peaks.get(proc.pid!) ?? 0) / 1024));
        if (proc.exitCode === null) {
          const exited = new Promise((resolve) => proc.once('exit', resolve));
          proc.kill('SIGTERM');
          await exited;
        }
      }
      const from = Math.min(...live.map((r) => r.created_at.getTime()));
      const to = Math.max(...live.map((r) => r.built_at!.getTime()));
      seconds.pipeline.push((to - from) / 1000);
      rowCounts.pipeline.push(live.reduce((sum, r) => sum + Number(r.rows ?? 0), 0));
      log(
        `rebuild: repeat ${repeat + 1}/${repeats}: bare ${seconds.bare.at(-1)!.toFixed(1)} s (${bareRows} rows), ` +
          `pipeline ${seconds.pipeline.at(-1)!.toFixed(1)} s (${rowCounts.pipeline.at(-1)} rows)`,
      );
      await dropDomain(pool, domain, tableIdsMade);
    }
    const perSecond = (list: number[]) => list.map((s) => documents / s);
    return {
      scenario: 'rebuild',
      figures: {
        'pipeline.documentsPerSecond': figure(perSecond(seconds.pipeline), 'documents/s'),
        'bare.documentsPerSecond': figure(perSecond(seconds.bare), 'documents/s'),
        'pipeline.seconds': figure(seconds.pipeline, 's'),
        'bare.seconds': figure(seconds.bare, 's'),
      },
      ratios: {
        pipelineToBare: ratioOf(
          perSecond(seconds.pipeline),
          perSecond(seconds.bare),
          'pipeline.documentsPerSecond',
          'bare.documentsPerSecond',
        ),
      },
      headline: ['pipeline.documentsPerSecond', 'bare.documentsPerSecond'],
      peakRssMiB: { 'pipeline.worker': peakRssMiB },
      seconds: round3((performance.now() - started) / 1000),
      setup: {
        documents,
        forms: forms.length,
        cases: cases.length,
        dataSources: compiled.map((d) => d.tableId),
        chunkDocs,
        repeats,
      },
      details: {
        rows: rowCounts,
        note:
          'documents/s = documents in the primary store (of the run domain) / seconds to build every data source table; ' +
          'pipeline: catalog created_at of the first table to built_at of the last (the ucr-catalog builds through the pipeline, buildStartDelayMs 0); ' +
          'bare: keyset pages of 500 → compiled data sources → COPY, one data source after another, in the scenario process.',
      },
    };
  } finally {
    await dropDomain(pool, domain, tableIdsMade).catch(() => undefined);
    await admin.deleteTopics(topics).catch(() => undefined);
    await admin.close();
    await pool.query('DELETE FROM tributary_store.forms WHERE domain = $1', [domain]).catch(() => undefined);
    await pool.query('DELETE FROM tributary_store.cases WHERE domain = $1', [domain]).catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS ${runId} CASCADE`).catch(() => undefined);
    await pool.end();
    await rm(work, { recursive: true, force: true });
  }
}
